"""The API v2 client against a real local HTTP server serving recorded pages."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path
from types import ModuleType

import pytest

from cartrial.ingest.ctgov import nct_id_of
from cartrial.ingest.registry_client import RegistryClient, RegistryError, SearchQuery

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ctgov"
ALL_IDS = ["NCT09100001", "NCT09100002", "NCT09100003", "NCT09100004", "NCT09100005"]


def _load_fake() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ctgov_fake_registry", FIXTURES / "fake_registry.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fake_registry = _load_fake()
Failure = fake_registry.Failure
FakeRegistry = fake_registry.FakeRegistry


@pytest.fixture
def fake() -> Iterator[FakeRegistry]:
    with fake_registry.serve() as f:
        yield f


class Sleeps:
    """Records requested delays instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def _client(base_url: str, sleeps: Sleeps | None = None, **kw: object) -> RegistryClient:
    opts: dict[str, object] = {"timeout": 2.0, "retries": 3, "backoff": 0.01, "page_size": 2}
    opts.update(kw)
    return RegistryClient(base_url, sleep=sleeps or Sleeps(), **opts)  # type: ignore[arg-type]


def _ids(studies: object) -> list[str]:
    return [nct_id_of(s) or "?" for s in studies]  # type: ignore[attr-defined]


def test_pages_in_order_with_tokens(fake: FakeRegistry) -> None:
    with _client(fake.base_url) as client:
        pages = list(client.pages(SearchQuery(term="CAR-T")))
    assert [len(p.studies) for p in pages] == [2, 2, 1]
    assert pages[0].total_count == 5
    assert [p.next_page_token for p in pages] == ["tok-page-2", "tok-page-3", None]
    paths = [p for p, _ in fake.requests]
    assert paths == ["/api/v2/studies"] * 3
    first, second, third = (params for _, params in fake.requests)
    assert first["pageSize"] == "2" and first["format"] == "json"
    assert first["countTotal"] == "true" and "pageToken" not in first
    assert second["pageToken"] == "tok-page-2" and "countTotal" not in second
    assert third["pageToken"] == "tok-page-3"
    assert all(p["query.term"] == "CAR-T" for p in (first, second, third))


def test_studies_yields_every_study_once(fake: FakeRegistry) -> None:
    with _client(fake.base_url) as client:
        assert _ids(client.studies()) == ALL_IDS


def test_search_parameters() -> None:
    q = SearchQuery(
        term="CAR-T",
        conditions=("Systemic Lupus Erythematosus", "myositis"),
        since=date(2025, 1, 1),
    )
    assert q.params() == {
        "query.term": "CAR-T",
        "query.cond": '"Systemic Lupus Erythematosus" OR myositis',
        "filter.advanced": "AREA[LastUpdatePostDate]RANGE[2025-01-01,MAX]",
    }
    assert SearchQuery(until=date(2024, 12, 31)).params() == {
        "filter.advanced": "AREA[LastUpdatePostDate]RANGE[MIN,2024-12-31]"
    }


def test_since_is_sent_as_filter_advanced(fake: FakeRegistry) -> None:
    with _client(fake.base_url) as client:
        list(client.pages(SearchQuery(since=date(2025, 2, 1)), max_pages=1))
    params = fake.requests[0][1]
    assert params["filter.advanced"] == "AREA[LastUpdatePostDate]RANGE[2025-02-01,MAX]"


def test_server_error_mid_way_loses_and_repeats_nothing(fake: FakeRegistry) -> None:
    fake.plan["tok-page-2"] = [Failure(500), Failure(503)]
    sleeps = Sleeps()
    with _client(fake.base_url, sleeps) as client:
        got = _ids(client.studies())
    assert got == ALL_IDS
    assert len(got) == len(set(got))
    tokens = [params.get("pageToken") for _, params in fake.requests]
    assert tokens == [None, "tok-page-2", "tok-page-2", "tok-page-2", "tok-page-3"]
    assert sleeps.calls == [0.01, 0.02]  # exponential backoff


def test_backoff_doubles_and_is_capped(fake: FakeRegistry) -> None:
    fake.plan[None] = [Failure(502), Failure(502), Failure(502), Failure(502)]
    sleeps = Sleeps()
    with _client(fake.base_url, sleeps, retries=4, backoff=0.01, max_backoff=0.03) as client:
        assert _ids(client.studies()) == ALL_IDS
    assert sleeps.calls == [0.01, 0.02, 0.03, 0.03]


def test_429_honours_retry_after_seconds(fake: FakeRegistry) -> None:
    fake.plan["tok-page-3"] = [Failure(429, {"Retry-After": "0.05"})]
    sleeps = Sleeps()
    with _client(fake.base_url, sleeps) as client:
        assert _ids(client.studies()) == ALL_IDS
    assert sleeps.calls == [0.05]


def test_429_honours_retry_after_http_date(fake: FakeRegistry) -> None:
    now = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
    later = datetime(2025, 6, 1, 12, 0, 2, tzinfo=UTC)
    fake.plan[None] = [Failure(429, {"Retry-After": format_datetime(later, usegmt=True)})]
    sleeps = Sleeps()
    client = RegistryClient(
        fake.base_url, sleep=sleeps, now=lambda: now, retries=2, backoff=0.01, page_size=2
    )
    with client:
        assert _ids(client.studies()) == ALL_IDS
    assert sleeps.calls == [2.0]


def test_retry_after_is_capped_by_max_backoff(fake: FakeRegistry) -> None:
    fake.plan[None] = [Failure(503, {"Retry-After": "3600"})]
    sleeps = Sleeps()
    with _client(fake.base_url, sleeps, max_backoff=0.2) as client:
        list(client.studies())
    assert sleeps.calls == [0.2]


def test_timeout_is_retried(fake: FakeRegistry) -> None:
    fake.plan["tok-page-2"] = [Failure(200, stall=0.6)]
    sleeps = Sleeps()
    with _client(fake.base_url, sleeps, timeout=0.2) as client:
        assert _ids(client.studies()) == ALL_IDS
    assert sleeps.calls == [0.01]


def test_gives_up_with_the_token_to_resume(fake: FakeRegistry) -> None:
    fake.plan["tok-page-2"] = [Failure(500)] * 10
    got: list[str] = []
    with _client(fake.base_url, retries=2) as client, pytest.raises(RegistryError) as info:
        for study in client.studies():
            got.append(nct_id_of(study) or "?")
    assert got == ALL_IDS[:2]
    assert info.value.page_token == "tok-page-2"
    assert info.value.status == 500
    assert "giving up after 3 attempts (HTTP 500)" in str(info.value)
    # resuming from the token finishes the job without repeating page 1
    fake.plan["tok-page-2"] = []
    with _client(fake.base_url) as client:
        rest = _ids(client.studies(page_token=info.value.page_token))
    assert got + rest == ALL_IDS


def test_client_errors_are_not_retried(fake: FakeRegistry) -> None:
    fake.plan[None] = [Failure(400, body='{"message": "bad filter"}')]
    sleeps = Sleeps()
    with _client(fake.base_url, sleeps) as client, pytest.raises(RegistryError, match="HTTP 400"):
        list(client.studies())
    assert sleeps.calls == [] and len(fake.requests) == 1


def test_base_url_is_configurable() -> None:
    with fake_registry.serve(FakeRegistry(prefix="/mirror/ctgov/v2")) as fake:
        with _client(fake.base_url + "/") as client:  # a trailing slash is fine
            assert _ids(client.studies()) == ALL_IDS
        assert fake.requests[0][0] == "/mirror/ctgov/v2/studies"
        wrong = fake.base_url.replace("/mirror/ctgov/v2", "/api/v2")
        with _client(wrong) as client, pytest.raises(RegistryError, match="HTTP 404"):
            list(client.studies())


def test_connection_refused_is_retried_then_reported() -> None:
    with fake_registry.serve() as fake:
        url = fake.base_url
    sleeps = Sleeps()
    with (
        _client(url, sleeps, retries=2) as client,
        pytest.raises(RegistryError, match="connection failed"),
    ):
        list(client.studies())
    assert sleeps.calls == [0.01, 0.02]


def test_duplicate_study_across_pages_is_yielded_once(fake: FakeRegistry) -> None:
    dup = fake.pages[None]["studies"][0]
    fake.pages["tok-page-2"]["studies"].append(dup)
    with _client(fake.base_url) as client:
        assert _ids(client.studies()) == ALL_IDS


def test_repeated_page_token_is_an_error(fake: FakeRegistry) -> None:
    fake.pages["tok-page-2"]["nextPageToken"] = "tok-page-2"
    with (
        _client(fake.base_url) as client,
        pytest.raises(RegistryError, match="repeated page token"),
    ):
        list(client.studies())


def test_max_pages_stops_early(fake: FakeRegistry) -> None:
    with _client(fake.base_url) as client:
        assert _ids(client.studies(max_pages=2)) == ALL_IDS[:4]
    assert len(fake.requests) == 2


def test_single_study_endpoint(fake: FakeRegistry) -> None:
    with _client(fake.base_url) as client:
        study = client.study("nct09100003")
        assert nct_id_of(study) == "NCT09100003"
        with pytest.raises(RegistryError, match="HTTP 404"):
            client.study("NCT00000000")
    assert fake.requests[0][0] == "/api/v2/studies/NCT09100003"


def test_non_json_answer_is_reported(fake: FakeRegistry) -> None:
    fake.plan[None] = []
    fake.pages[None] = {"studies": "nope"}  # not a list
    with (
        _client(fake.base_url) as client,
        pytest.raises(RegistryError, match="'studies' is not a list"),
    ):
        list(client.studies())


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="page_size"):
        RegistryClient(page_size=0)
    with pytest.raises(ValueError, match="retries"):
        RegistryClient(retries=-1)
