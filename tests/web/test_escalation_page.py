"""The workspace's escalation decision page (BOIN and 3+3 from cartrial.designs)."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from cartrial.designs import Boin, ThreePlusThree
from cartrial.web.escalation import FormError, decide
from tests.web.helpers import ADMIN_PASSWORD, Env, csrf_of, login

PAGE = "/workspace/escalation"


def _decide(client: TestClient, htmx: bool = False, **fields: str) -> tuple[int, str]:
    token = csrf_of(client, PAGE)
    headers = {"HX-Request": "true"} if htmx else {}
    r = client.post(PAGE, data={"csrf_token": token, **fields}, headers=headers)
    return r.status_code, r.text


def _alert(page: str) -> str:
    found = re.search(r'class="message error" role="alert"[^>]*>([^<]*)<', page)
    return html.unescape(found.group(1)) if found else ""


@pytest.fixture
def viewer(env: Env) -> TestClient:
    env.add_user("vera", "viewer")  # a read-only role may use the form: nothing is stored
    login(env.client, "vera")
    return env.client


def test_the_form_renders_and_is_linked(viewer: TestClient) -> None:
    page = viewer.get(PAGE)
    assert page.status_code == 200
    for name in ("design", "target", "n", "y", "current_level", "csrf_token"):
        assert f'name="{name}"' in page.text
    assert 'href="/workspace/escalation" aria-current="page"' in page.text  # in the subnav
    assert PAGE in viewer.get("/workspace/calculators").text


def test_boin_decision_reason_and_boundary_table(viewer: TestClient, env: Env) -> None:
    status, page = _decide(
        viewer, design="boin", target="0.3", n="3, 6, 3", y="0,1,2", current_level="3"
    )
    assert status == 200, _alert(page)
    expected = Boin(0.3).decide([3, 6, 3], [0, 1, 2], 2)
    assert expected.action.label == "de-escalate" and expected.next_level == 2
    assert 'class="esc-action">De-escalate<' in page
    assert "level 2</strong>" in page and html.escape(expected.reason) in page
    assert f"<code>{expected.code}</code>" in page
    table = Boin(0.3).boundaries()
    assert f"{table.lambda_e:.4f}" in page and f"{table.lambda_d:.4f}" in page
    for row in table.cohort_rows():
        cells = [row.n, row.escalate_max, row.deescalate_min, row.eliminate_min]
        shown = "".join(f"<td>{'—' if c is None else c}</td>" for c in cells)
        assert shown in page, row
    # the same decision as the REST API
    api = viewer.post(
        "/api/v1/escalation",
        json={"design": "boin", "target": 0.3, "n": [3, 6, 3], "y": [0, 1, 2], "current_level": 3},
    ).json()
    assert api["decision"]["next_level"] == 2 and api["decision"]["reason"] == expected.reason
    # not patient data: nothing audited or stored (beyond the sign-in itself)
    assert [
        e for e in env.audit() if e[1] != "login" and not e[3].startswith(("user ", "API token"))
    ] == []


def test_three_plus_three_and_stopping(viewer: TestClient) -> None:
    status, page = _decide(viewer, design="3+3", n="3,3", y="0,1", current_level="2")
    assert status == 200
    expected = ThreePlusThree().decide([3, 3], [0, 1], 1)
    assert expected.action.label == "stay" and 'class="esc-action">Stay<' in page
    assert "3+3 rules" in page and "1 DLT in 3 patients" in page
    status, page = _decide(viewer, design="3+3", n="6,3", y="1,2", current_level="2", target="0.3")
    stop = ThreePlusThree().decide([6, 3], [1, 2], 1)
    assert stop.action.label == "stop" and stop.mtd_level == 1
    assert 'class="esc-action">Stop<' in page and "selected MTD: <strong>level 1</strong>" in page
    assert "3+3 has no target DLT rate" in page


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"design": "crm"}, "design: choose one of boin, 3+3"),
        ({"target": ""}, "target DLT rate: BOIN needs a target"),
        ({"target": "abc"}, "target DLT rate: 'abc' is not a number"),
        ({"target": "1.5"}, "target DLT rate: 1.5 must lie strictly between 0 and 1"),
        ({"target": "0.8"}, "target DLT rate: phi2"),
        ({"n": "3, x, 3"}, "n (patients treated per level): level 2: 'x' is not a whole number"),
        ({"n": ""}, "n (patients treated per level): give at least one dose level"),
        ({"n": "3,-3,3"}, "n (patients treated per level): level 2: must not be negative"),
        ({"y": "0,1"}, "y (patients with a DLT per level): n lists 3 dose levels but y lists 2"),
        ({"y": "0,7,0"}, "y (patients with a DLT per level): level 2: 7 DLTs among 6 patients"),
        ({"current_level": "4"}, "current level: must be between 1 and 3, got 4"),
        ({"current_level": "0"}, "current level: must be between 1 and 3, got 0"),
        ({"current_level": ""}, "current level: give the level (1 to 3)"),
        ({"current_level": "two"}, "current level: 'two' is not a whole number"),
        ({"cohort_size": "20"}, "cohort size: must be between 1 and 12, got 20"),
        ({"n_cohorts": "0"}, "maximum cohorts: must be between 1 and 100, got 0"),
    ],
)
def test_bad_input_rerenders_the_form_naming_the_field(
    viewer: TestClient, fields: dict[str, str], named: str
) -> None:
    values = {"design": "boin", "target": "0.3", "n": "3,6,3", "y": "0,1,2", "current_level": "3"}
    values.update(fields)
    status, page = _decide(viewer, **values)
    assert status == 422
    assert _alert(page).startswith(named), _alert(page)
    assert 'aria-invalid="true"' in page and "<form" in page and "esc-result" not in page
    # what was typed is kept in the form
    if values["n"]:
        assert f'value="{html.escape(values["n"], quote=True)}"' in page


def test_htmx_gets_the_form_and_result_fragment(viewer: TestClient) -> None:
    status, page = _decide(
        viewer, htmx=True, design="boin", target="0.25", n="3,0", y="0,0", current_level="1"
    )
    assert status == 200 and page.lstrip().startswith('<div id="escalation">')
    assert "<html" not in page and 'class="esc-action">Escalate<' in page
    status, page = _decide(viewer, htmx=True, design="boin", target="", n="3", y="0")
    assert status == 422 and page.lstrip().startswith('<div id="escalation">')
    assert "target DLT rate" in _alert(page)


def test_login_and_csrf_are_required(env: Env) -> None:
    r = env.client.get(PAGE, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    login(env.client, "admin", ADMIN_PASSWORD)
    r = env.client.post(PAGE, data={"design": "boin", "n": "3", "y": "0", "current_level": "1"})
    assert r.status_code == 403 and "CSRF" in r.text


def test_decide_helper_maps_library_errors_to_form_fields() -> None:
    with pytest.raises(FormError) as info:
        decide({"design": "boin", "target": "0.3", "n": "3", "y": "4", "current_level": "1"})
    assert info.value.field == "y"
    result = decide(
        {"design": "boin", "target": "0.3", "n": "3 4", "y": "0 1", "current_level": "2"}
    )
    assert result.n_current == 4 and 4 in [r.n for r in result.rows]  # off-cohort row shown
    assert [lv.current for lv in result.levels] == [False, True]
