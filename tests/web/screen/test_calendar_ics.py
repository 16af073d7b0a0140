"""The trial page's calendar download is the file `cartrial plan --format ics` writes (same
events, dates and descriptions; only the patient's identity, which the page does not have, and
the time stamp differ)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.services.bundled_protocols import examples_dir

BUNDLE = examples_dir() / "patients" / "sle-eligible-nct07193667.json"


def _events(ics: str) -> list[tuple[str, ...]]:
    unfolded = ics.replace("\r\n ", "").replace("\r\n", "\n")
    out = []
    for block in re.findall(r"BEGIN:VEVENT\n(.*?)END:VEVENT", unfolded, re.S):
        fields = dict(line.split(":", 1) for line in block.strip().split("\n") if ":" in line)
        out.append(
            (
                fields["SUMMARY"],
                fields["DTSTART;VALUE=DATE"],
                fields["DTEND;VALUE=DATE"],
                fields["DESCRIPTION"],
                fields["CATEGORIES"],
            )
        )
    return out


def test_web_ics_has_the_cli_events(client: TestClient) -> None:
    web = client.get("/trials/NCT07193667/calendar.ics", params={"infusion": "2027-03-01"})
    assert web.status_code == 200
    assert web.headers["content-type"].startswith("text/calendar")
    cli = CliRunner().invoke(
        app,
        [
            "plan",
            "NCT07193667",
            "--infusion-date",
            "2027-03-01",
            "--patient",
            str(BUNDLE),
            "--format",
            "ics",
        ],
    )
    assert cli.exit_code == 0, cli.output
    web_events, cli_events = _events(web.text), _events(cli.stdout)
    assert len(web_events) == len(cli_events) > 10
    assert web_events == cli_events


def test_calendar_fragment_dates_every_visit_and_rejects_a_bad_date(client: TestClient) -> None:
    page = client.get("/trials/NCT07193667/calendar", params={"infusion": "2027-03-01"})
    assert page.status_code == 200
    assert "2027-02-24 Wed" in page.text and "Lymphodepletion" in page.text  # day −5
    assert 'href="/trials/NCT07193667/calendar.ics?infusion=2027-03-01"' in page.text
    bad = client.get("/trials/NCT07193667/calendar.ics", params={"infusion": "03/01/2027"})
    assert bad.status_code == 422 and "03/01/2027" in bad.text
    assert (
        client.get(
            "/trials/NCT00000000/calendar.ics", params={"infusion": "2027-03-01"}
        ).status_code
        == 404
    )
