"""Optional wording polish of a plain summary by an OpenAI-compatible chat endpoint.

``SUMMARY_LLM_URL`` (e.g. ``http://127.0.0.1:8080/v1``) names the endpoint; without it nothing
is sent anywhere. The model's text is accepted only if every number in it and every named
criterion in it (a disease, score, antibody or drug of the lexicon below) is found in the
structured summary; otherwise the deterministic text stands and the reason is returned. The
summary holds no patient data: only the trial's registry facts are sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from cartrial.finder import conditions as cond
from cartrial.finder.summary import NUMBER_RE, PlainSummary

__all__ = ["Rewrite", "check_rewrite", "rewrite_summary"]

SYSTEM_PROMPT = (
    "Rewrite the text for a patient at a 6th-grade reading level. Keep every number exactly "
    "as written. Do not add any fact, number, disease, test or medicine that is not in the "
    "text. Answer with the rewritten text only."
)

#: named criteria a rewrite could introduce: diseases (the condition patterns), scores,
#: antibodies, drugs. A name found in the rewrite must be in the structured summary too.
_NAMED = re.compile(
    r"\b(?:SLEDAI(?:-2K)?|BILAG|mRSS|DAS28|ESSDAI|BVAS|MMT-?8|QMG|MG-ADL|EDSS|"
    r"ANA|anti-?dsDNA|dsDNA|ANCA|anti-?Sm|AChR|MuSK|"
    r"fludarabine|cyclophosphamide|bendamustine|tocilizumab|rituximab|prednisone|"
    r"CD19|CD20|CD7|BCMA|BAFF-?R|CD22|CD70)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Rewrite:
    text: str
    accepted: bool
    reason: str


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in NUMBER_RE.findall(text)}


def check_rewrite(summary: PlainSummary, candidate: str) -> Rewrite:
    """Accept ``candidate`` only if its numbers and named criteria are all in ``summary``."""
    original = summary.text
    text = " ".join(candidate.split())
    if not text:
        return Rewrite(original, False, "the rewriter returned no text")
    extra_numbers = _numbers(text) - _numbers(original)
    if extra_numbers:
        return Rewrite(
            original, False, f"number(s) not in the structured summary: {sorted(extra_numbers)}"
        )
    base_keys = set(cond.normalise([original]))
    new_keys = set(cond.normalise([text])) - base_keys - {"autoimmune"}
    if new_keys:
        return Rewrite(original, False, f"condition(s) not in the summary: {sorted(new_keys)}")
    base_names = {m.casefold().replace("-", "") for m in _NAMED.findall(original)}
    new_names = {m.casefold().replace("-", "") for m in _NAMED.findall(text)} - base_names
    if new_names:
        return Rewrite(original, False, f"named criteria not in the summary: {sorted(new_names)}")
    return Rewrite(text, True, "accepted")


def _endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


def rewrite_summary(
    summary: PlainSummary,
    url: str,
    *,
    model: str = "default",
    timeout: float = 10.0,
    client: httpx.Client | None = None,
) -> Rewrite:
    """Ask the endpoint for a simpler wording; fall back to the deterministic text."""
    body: dict[str, Any] = {
        "model": model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": summary.text},
        ],
    }
    own = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        resp = http.post(_endpoint(url), json=body, timeout=timeout)
        resp.raise_for_status()
        content = resp.json()["choices"][0]["message"]["content"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        return Rewrite(summary.text, False, f"rewriter unavailable: {type(exc).__name__}")
    finally:
        if own:
            http.close()
    if not isinstance(content, str):
        return Rewrite(summary.text, False, "rewriter answer has no text content")
    return check_rewrite(summary, content)
