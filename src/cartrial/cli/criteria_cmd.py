"""``cartrial criteria parse FILE|-``: eligibility text (or a registry study) -> criteria nodes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from cartrial.cli._common import choice, clear_errors, fail, stdout_write
from cartrial.ingest.ctgov import CtgovError, eligibility_criteria, nct_id_of, parse_page
from cartrial.ingest.parse import ParseResult, node_records, parse_eligibility

criteria_app = typer.Typer(
    help="Eligibility criteria: parse free text into criteria nodes.", no_args_is_help=True
)


def _read_source(source: str) -> tuple[str, str]:
    """(text, where) from a path or ``-`` (stdin)."""
    if source == "-":
        return sys.stdin.read(), "<stdin>"
    path = Path(source)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise fail(f"{source}: cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig"), str(path)
    except UnicodeDecodeError as exc:
        raise fail(f"{source}: not UTF-8 text ({exc.reason})") from None


def _texts(content: str, where: str) -> list[tuple[str | None, str]]:
    """(NCT id or None, eligibility text) pairs: a study / list page gives one per study."""
    stripped = content.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            doc = json.loads(stripped)
        except json.JSONDecodeError:
            return [(None, content)]  # not JSON after all: plain text that starts with a bracket
        try:
            page = parse_page(doc, where=where)
        except CtgovError as exc:
            raise fail(str(exc)) from None
        out: list[tuple[str | None, str]] = []
        for study in page.studies:
            out.append((nct_id_of(study), eligibility_criteria(study) or ""))
        return out
    return [(None, content)]


def _tree(result: ParseResult) -> dict[str, Any]:
    sections: dict[str, Any] = {"inclusion": [], "exclusion": []}
    for crit in result.criteria:
        sections[crit.section].append(
            {
                "cohort": crit.cohort,
                "span": list(crit.span),
                "node": crit.node.model_dump(mode="json", exclude_none=True),
            }
        )
    return sections


@criteria_app.command("parse")
def parse(
    source: Annotated[
        str,
        typer.Argument(help="A text file, a ClinicalTrials.gov study/page JSON, or - for stdin."),
    ],
    fmt: Annotated[str, typer.Option("--format", help="json or yaml.")] = "json",
    tree: Annotated[
        bool, typer.Option("--tree", help="Print the criteria trees instead of the flat node list.")
    ] = False,
) -> None:
    """Parse eligibility criteria and print every produced node.

    Each node carries section, cohort, kind, concept, comparator, value, unit or uln_multiple,
    window (amount, unit, direction, reference), text, span (offsets into the text) and
    confidence. Sentences the parser did not understand come out as kind "manual".
    """
    fmt = choice(fmt, ("json", "yaml"), "--format")
    content, where = _read_source(source)
    with clear_errors():
        inputs = _texts(content, where)
        payload: list[dict[str, Any]] = []
        for nct, text in inputs:
            result = parse_eligibility(text)
            body: Any = _tree(result) if tree else node_records(result)
            if len(inputs) == 1 and nct is None:
                if tree:
                    payload.append(body)
                else:
                    payload.extend(body)
            else:
                entry: dict[str, Any] = {"nct_id": nct, "warnings": list(result.warnings)}
                entry["tree" if tree else "nodes"] = body
                payload.append(entry)
            for w in result.warnings:
                typer.echo(f"warning: {where}{' ' + nct if nct else ''}: {w}", err=True)
    single_text = len(inputs) == 1 and inputs[0][0] is None
    data: Any = payload[0] if tree and single_text and payload else payload
    if fmt == "json":
        stdout_write(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        stdout_write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))


def register(app: typer.Typer) -> None:
    app.add_typer(criteria_app, name="criteria")
