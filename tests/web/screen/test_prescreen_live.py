"""The live short form: a prompt until the basics are in, then an ask-next list that names only
data that can still change a verdict (never for a trial already ruled out)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.helpers import csrf_of


def _live(client: TestClient, **fields: str) -> str:
    r = client.post(
        "/prescreen?live=1",
        data={
            "csrf_token": csrf_of(client, "/prescreen"),
            "mode": "form",
            "as_of": "2026-11-22",
            **fields,
        },
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200, r.text
    assert r.text.lstrip().startswith('<div id="prescreen-results"')
    return r.text


def test_prompt_until_the_basics_are_entered(client: TestClient) -> None:
    text = _live(client, age="41")
    assert "Enter the sex, diagnosis to see the verdicts." in text
    assert "Results as of" not in text


def _asks(text: str) -> tuple[list[str], str]:
    ask = re.search(r'<div class="card ask-next" id="ask-next">(.*?)</div>', text, re.S)
    assert ask is not None
    return re.findall(r'<a class="ask" href="#([\w-]+)">', ask.group(1)), ask.group(1)


def test_ask_next_only_for_trials_still_open(client: TestClient) -> None:
    items, html = _asks(_live(client, age="41", sex="female", diagnosis="sle", diagnosis_years="5"))
    assert "lab-cd19_abs" in items  # NCT07193667 / NCT05858684 need CD19+ B cells
    # the cSSc trial (ages 5-18) is ruled out at 41: none of its data is asked for it
    assert "NCT06792344" not in html
    assert "lab-mpap" not in items


def test_history_not_yet_entered_is_asked_for_when_it_alone_decides(client: TestClient) -> None:
    items, html = _asks(_live(client, age="52", sex="female", diagnosis="rheumatoid_arthritis"))
    # the RA trials need a failed-treatment history: with none entered yet, it is asked for
    assert "t1-drug" in items
    therapies = re.search(r'href="#t1-drug">.*?</li>', html, re.S)
    assert therapies is not None
    assert "NCT05239702" in therapies.group(0) and "NCT06464679" in therapies.group(0)
    assert "NCT06792344" not in therapies.group(0)  # ruled out by age, whatever the history
    # once a therapy is entered it is no longer asked
    text = _live(
        client,
        age="52",
        sex="female",
        diagnosis="rheumatoid_arthritis",
        diagnosis_years="10",
        **{"therapy.1.drug": "methotrexate"},
    )
    assert 'href="#t1-drug"' not in text


def test_full_submit_still_reports_missing_basics(client: TestClient) -> None:
    r = client.post(
        "/prescreen",
        data={"csrf_token": csrf_of(client, "/prescreen"), "mode": "form", "age": "41"},
    )
    assert r.status_code == 422 and "sex" in r.text and "diagnosis" in r.text
