"""The workspace population page: the funnel of each trial over a configured DuckDB CDM."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cartrial.synth.omop import write_duckdb
from cartrial.web.pages.population import configured_cdm
from tests.web.helpers import ADMIN_PASSWORD, Env, login


@pytest.fixture(scope="module")
def cdm_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_duckdb(400, 5, tmp_path_factory.mktemp("popcdm") / "cdm.duckdb")


def test_page_without_a_cdm_says_how_to_configure(env: Env) -> None:
    login(env.client, "admin", ADMIN_PASSWORD)
    env.app.dependency_overrides[configured_cdm] = lambda: None
    page = env.client.get("/workspace/population")
    assert page.status_code == 200
    assert "CARTRIAL_POPULATION_CDM" in page.text


def test_page_shows_the_funnel_of_every_trial(env: Env, cdm_file: Path) -> None:
    login(env.client, "admin", ADMIN_PASSWORD)
    env.app.dependency_overrides[configured_cdm] = lambda: f"duckdb://{cdm_file}"
    page = env.client.get("/workspace/population")
    assert page.status_code == 200
    assert page.text.count("(400 persons)") == 5
    assert "NCT05858684" in page.text and "manual review" in page.text
    counts = [int(x.replace(",", "")) for x in re.findall(r"INELIGIBLE ([\d,]+)", page.text)]
    assert len(counts) == 5 and all(0 < c <= 400 for c in counts)
    assert 'href="/workspace/population"' in page.text


def test_page_needs_a_login(env: Env) -> None:
    page = env.client.get("/workspace/population", follow_redirects=False)
    assert page.status_code in (302, 303, 401)
