"""The finder through the REST API and the pages (TestClient on the real app, bundled snapshot)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cartrial.services.bundled_protocols import load_protocols
from tests.unit.finder.test_rewriter import FakeLLM


def test_catalogue_api_holds_the_whole_field_with_its_source(client: TestClient) -> None:
    body = client.get("/api/v1/trials", params={"limit": 10}).json()
    assert body["count"] >= 300 and len(body["trials"]) == 10
    src = body["data_source"]
    assert src["snapshot_date"] == "2026-08-22" and src["licence"] == "MIT"
    assert "Rheumatology CAR-T Trials Monitor" in src["attribution"]
    reviewed = {t["nct_id"] for t in client.get("/api/v1/trials").json()["trials"]
                if t["reviewed_protocol"]}  # fmt: skip
    assert reviewed == set(load_protocols())


def test_near_and_within_sort_and_filter_by_distance(client: TestClient) -> None:
    body = client.get(
        "/api/v1/trials", params={"q": "lupus", "near": "Shanghai", "within_km": 500}
    ).json()
    assert body["near"]["name"] == "Shanghai" and body["near"]["kind"] == "city"
    kms = [t["nearest_site_km"] for t in body["trials"]]
    assert kms and kms == sorted(kms) and max(kms) <= 500
    every = client.get("/api/v1/trials", params={"q": "lupus"}).json()
    assert body["count"] < every["count"]
    # trials that match but give no site location are named, not silently dropped
    unplaced = set(body["without_site_location"])
    assert unplaced and not unplaced & {t["nct_id"] for t in body["trials"]}
    located = {t["nct_id"]: t["sites_with_coordinates"] for t in every["trials"]}
    assert all(located[n] == 0 for n in unplaced)
    page = client.get("/", params={"q": "lupus", "near": "Shanghai", "within_km": 500})
    assert f"{len(unplaced)} more trials match but give no site location" in page.text
    by_coords = client.get(
        "/api/v1/trials", params={"q": "lupus", "near": "31.2222,121.4581", "within_km": 500}
    ).json()
    assert {t["nct_id"] for t in by_coords["trials"]} == {t["nct_id"] for t in body["trials"]}


def test_synonyms_find_the_same_trials(client: TestClient) -> None:
    def ids(**params: str) -> set[str]:
        return {t["nct_id"] for t in client.get("/api/v1/trials", params=params).json()["trials"]}

    sle = ids(disease="sle")
    assert sle and sle <= ids(q="lupus")
    assert ids(q="SLE") >= sle  # free text may also match words elsewhere
    ssc = ids(disease="ssc")
    assert ssc and ids(q="scleroderma") >= ssc and ids(q="SSc") >= ssc
    assert ids(q="myositis") >= ids(disease="iim")
    conditions = {
        c
        for t in client.get("/api/v1/trials", params={"disease": "sle"}).json()["trials"]
        for c in t["conditions"]
    }
    assert {"SLE (Systemic Lupus)", "Systemic Lupus Erythematosus"} <= conditions


def test_unknown_place_gives_a_message_with_close_spellings(client: TestClient) -> None:
    r = client.get("/api/v1/trials", params={"near": "Shanghia", "within_km": 500})
    assert r.status_code == 422
    assert "Shanghia" in r.json()["detail"] and "Shanghai, China" in r.json()["detail"]
    page = client.get("/", params={"q": "lupus", "near": "Shanghia", "within_km": 500})
    assert page.status_code == 422 and "Shanghai, China" in page.text
    assert "No trial matches" not in page.text  # a message, not an empty list
    r = client.get("/api/v1/trials", params={"within_km": 100})
    assert r.status_code == 422 and "near" in r.json()["detail"]
    assert client.get("/api/v1/trials", params={"near": "95,10"}).status_code == 422


def test_sites_by_distance_keep_sites_without_coordinates_last(client: TestClient) -> None:
    nct = "NCT06581198"  # 99 sites in the snapshot, 3 without coordinates
    every = client.get(f"/api/v1/trials/{nct}/sites").json()["sites"]
    r = client.get(f"/api/v1/trials/{nct}/sites", params={"near": "Köln"})
    assert r.status_code == 200
    sites = r.json()["sites"]
    assert len(sites) == len(every) >= 3
    kms = [s["distance_km"] for s in sites]
    known = [k for k in kms if k is not None]
    missing = len(kms) - len(known)
    assert missing >= 1 and all(k is None for k in kms[len(known) :])
    assert known == sorted(known)
    assert sites[0]["distance_mi"] == pytest.approx(sites[0]["distance_km"] / 1.609344, abs=0.1)
    assert client.get("/api/v1/trials/NCT00000000/sites").status_code == 404


def test_similar_trials_say_why(client: TestClient) -> None:
    r = client.get("/api/v1/trials/NCT05858684/similar", params={"near": "Shanghai"}).json()
    sims = r["similar"]
    assert len(sims) == 5 and "NCT05858684" not in {s["nct_id"] for s in sims}
    assert all(s["reason"].startswith("also") for s in sims)
    assert all("sle" in s["condition_keys"] for s in sims)  # the same disease first
    assert any("km away" in s["reason"] for s in sims)


def test_drafted_criteria_are_marked_not_reviewed(client: TestClient) -> None:
    body = client.get("/api/v1/trials/NCT06581198").json()
    assert body["reviewed"] is False
    assert 0 <= body["computable_share"] <= 1 and body["eligibility"]["inclusion"]
    page = client.get("/trials/NCT06581198")
    assert page.status_code == 200
    assert "Not reviewed." in page.text and "criteria sentences" in page.text
    curated = client.get("/api/v1/trials/NCT05858684").json()
    assert curated["reviewed"] is True and len(curated["protocol_version"]) == 64


def test_trial_page_numbers_link_to_their_source(client: TestClient) -> None:
    page = client.get("/trials/NCT05858684", params={"near": "Hangzhou"})
    assert page.status_code == 200
    facts = re.findall(
        r'<a class="fact" href="(#[^"]+)" title="Source: ([^"]+)">([^<]+)</a>', page.text
    )
    assert facts
    for nct in ("NCT05858684", "NCT06581198", "NCT06121297", "NCT04146051"):
        text = client.get(f"/trials/{nct}", params={"near": "Hangzhou"}).text
        links = re.findall(r'<a class="fact" href="#([^"]+)"', text)
        assert links, nct
        for anchor in links:  # every number points at an element of the page
            assert f'id="{anchor}"' in text, (nct, anchor)
    assert "Study details" in page.text and "/organizations/" in page.text
    assert "Similar trials" in page.text and "Sorted by distance from" in page.text


def test_group_pages_faq_and_footer(client: TestClient) -> None:
    sle = client.get("/conditions/sle")
    assert sle.status_code == 200 and "Systemic lupus erythematosus (SLE)" in sle.text
    assert client.get("/conditions/no-such").status_code == 404
    org = client.get("/api/v1/organizations/cabaletta-bio").json()
    assert org["count"] >= 1 and all(t["sponsor"] == "Cabaletta Bio" for t in org["trials"])
    assert client.get("/organizations/cabaletta-bio").status_code == 200
    assert client.get("/products/caba-201").status_code == 200
    faq = client.get("/faq").text
    for words in ("What is a clinical trial?", "lymphodepletion", "Source"):
        assert words in faq
    for path in ("/login", "/faq", "/"):
        assert "snapshot of 2026-08-22" in client.get(path).text, path
    data = client.get("/api/v1/snapshot").json()
    assert "MIT License" in data["licence_text"]


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_rewriter_through_the_page(
    client: TestClient, llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUMMARY_LLM_URL", llm.url)
    llm.transform = lambda text: text.replace("18", "21")
    page = client.get("/trials/NCT05858684")
    assert llm.requests and "Wording polished" not in page.text  # rejected: 21 is invented
    llm.transform = lambda text: text.replace("can join", "may take part")
    page = client.get("/trials/NCT06121297")  # answers are cached per summary text
    assert "Wording polished" in page.text and "may take part" in page.text


def test_prescreening_runs_on_drafted_criteria_with_the_label(
    client: TestClient, bundle: dict[str, object]
) -> None:
    import json

    headers = {"content-type": "application/fhir+json"}
    r = client.post(
        "/api/v1/trials/NCT06581198/screen",
        params={"as_of": "2026-11-22"},
        content=json.dumps(bundle),
        headers=headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reviewed"] is False and body["label"].startswith("not reviewed")
    assert body["result"]["trial"] == "NCT06581198"
    assert body["result"]["verdict"] in {"ELIGIBLE", "NEEDS_DATA", "INELIGIBLE"}
    curated = client.post(
        "/api/v1/trials/NCT05858684/screen", content=json.dumps(bundle), headers=headers
    ).json()
    assert curated["reviewed"] is True and curated["computable_share"] is None
    no_text = client.post(
        "/api/v1/trials/NCT04146051/screen", content=json.dumps(bundle), headers=headers
    )
    assert no_text.status_code == 409 and "no eligibility text" in no_text.json()["detail"]


def test_trial_page_prescreen_form_on_draft_criteria(
    client: TestClient, bundle: dict[str, object]
) -> None:
    import json

    from tests.web.helpers import csrf_of

    token = csrf_of(client, "/trials/NCT06581198")
    r = client.post(
        "/trials/NCT06581198/prescreen",
        data={"csrf_token": token, "as_of": "2026-11-22"},
        files={"bundle": ("p.json", json.dumps(bundle), "application/fhir+json")},
    )
    assert r.status_code == 200, r.text[:500]
    assert "Not reviewed." in r.text and "Results as of 2026-11-22" in r.text
    assert "NCT06581198" in r.text
    empty = client.post("/trials/NCT06581198/prescreen", data={"csrf_token": token})
    assert empty.status_code == 422 and "choose a FHIR bundle" in empty.text
    no_token = client.post(
        "/trials/NCT06581198/prescreen",
        files={"bundle": ("p.json", json.dumps(bundle), "application/fhir+json")},
    )
    assert no_token.status_code in (400, 403)


def test_a_synced_record_replaces_the_snapshot_version(env: object) -> None:
    from cartrial.ingest.ctgov import study_to_trial
    from cartrial.ingest.store import TrialStore
    from tests.unit.finder.test_cli_sync import STUDY

    app = env.app  # type: ignore[attr-defined]
    client: TestClient = env.client  # type: ignore[attr-defined]
    before = client.get("/api/v1/trials/NCT05765006/sites", params={"near": "Erlangen"}).json()
    assert all(s["city"] != "Erlangen" for s in before["sites"])
    var_dir = app.state.cartrial.settings.var_dir
    TrialStore(var_dir).save(study_to_trial(STUDY), STUDY, imported_at="2026-12-01T00:00:00")
    after = client.get("/api/v1/trials/NCT05765006/sites", params={"near": "Erlangen"}).json()
    assert after["sites"][0]["city"] == "Erlangen" and after["sites"][0]["distance_km"] < 1
    assert after["sites"][-1]["distance_km"] is None  # the site without geoPoint, last
    assert "synced 2026-12-01" in client.get("/trials/NCT05765006").text


def test_enum_parameters_take_only_their_documented_values(client: TestClient) -> None:
    """A blank or padded ``sort`` is refused as the OpenAPI enum says (schemathesis finding)."""
    assert client.get("/api/v1/trials", params={"sort": "nct", "limit": 1}).status_code == 200
    for bad in ("", " nct", "newest"):
        assert client.get("/api/v1/trials", params={"sort": bad}).status_code == 422, bad
    assert client.get("/api/v1/trials", params={"q": "  ", "limit": 1}).status_code == 200


def test_blank_number_or_boolean_filters_are_refused_by_the_api(client: TestClient) -> None:
    """``within_km=`` is not a number (schemathesis finding): the API answers 422 naming each
    blank filter; the catalogue page's form sends blank fields and takes them as unset."""
    r = client.get("/api/v1/trials?within_km=&open=&age=%20&q=")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem")
    named = {tuple(e["loc"]) for e in r.json()["errors"]}
    assert named == {("query", "within_km"), ("query", "open"), ("query", "age")}
    assert client.get("/api/v1/trials", params={"q": "", "limit": 1}).status_code == 200
    ok = client.get("/api/v1/trials", params={"within_km": 500, "near": "Paris", "open": "true"})
    assert ok.status_code == 200 and ok.json()["filters"]["within_km"] == 500
    page = client.get("/?q=lupus&near=&within_km=&age=&open=&sort=relevance")
    assert page.status_code == 200 and "No trial matches" not in page.text
