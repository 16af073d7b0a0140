"""HTTP client for the ClinicalTrials.gov API v2 ``/studies`` endpoint.

- search with ``query.term``, ``query.cond`` and, for ``since``, ``filter.advanced`` =
  ``AREA[LastUpdatePostDate]RANGE[YYYY-MM-DD,MAX]``;
- paging with ``pageSize`` / ``pageToken`` until the server sends no ``nextPageToken``;
- retries with exponential backoff on timeouts, connection errors, 429 and 5xx, honouring
  ``Retry-After`` (seconds or an HTTP date); a failed page is asked for again with the *same*
  token, so a server error mid-way neither loses nor repeats a study (studies are also
  de-duplicated by NCT id);
- a configurable base URL (default ``https://clinicaltrials.gov/api/v2``) so tests and mirrors
  can stand in for the live registry.

The clock and sleeping are injectable (``sleep=``) so tests run without waiting.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx

from cartrial import __version__
from cartrial.domain.errors import CartrialError
from cartrial.ingest.ctgov import CtgovError, Page, nct_id_of, parse_page

__all__ = [
    "DEFAULT_BASE_URL",
    "RegistryClient",
    "RegistryError",
    "SearchQuery",
]

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class RegistryError(CartrialError):
    """The registry could not be read; ``page_token`` says where to resume (None: first page)."""

    def __init__(
        self, message: str, *, page_token: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.page_token = page_token
        self.status = status


@dataclass(frozen=True)
class SearchQuery:
    """What to ask ``GET /studies`` for."""

    term: str | None = None
    conditions: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None

    def params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.term:
            out["query.term"] = self.term
        if self.conditions:
            out["query.cond"] = " OR ".join(
                f'"{c}"' if " " in c and not c.startswith('"') else c for c in self.conditions
            )
        if self.since or self.until:
            lo = self.since.isoformat() if self.since else "MIN"
            hi = self.until.isoformat() if self.until else "MAX"
            out["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{lo},{hi}]"
        return out


def _retry_after(value: str | None, *, now: Callable[[], datetime]) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())


class RegistryClient:
    """A small, polite API v2 client (use as a context manager or call :meth:`close`)."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 30.0,
        retries: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        page_size: int = 100,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        transport: httpx.BaseTransport | None = None,
        on_retry: Callable[[int, float, str], None] | None = None,
    ) -> None:
        if page_size < 1 or page_size > 1000:
            raise ValueError("page_size must be 1..1000 (the API's limit)")
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.page_size = page_size
        self._sleep = sleep
        self._now = now
        self._on_retry = on_retry
        self._client = httpx.Client(
            timeout=timeout,
            transport=transport,
            headers={
                "User-Agent": f"cartrial/{__version__} (+registry sync)",
                "Accept": "application/json",
            },
            follow_redirects=True,
        )
        self.requests = 0

    # ------------------------------------------------------------------ plumbing

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None:
            ra = _retry_after(response.headers.get("Retry-After"), now=self._now)
            if ra is not None:
                return min(ra, self.max_backoff)
        return float(min(self.backoff * (2**attempt), self.max_backoff))

    def get_json(
        self, path: str, params: Mapping[str, str] | None = None, *, page_token: str | None = None
    ) -> Any:
        """GET ``base_url + path`` with retries; the decoded JSON body."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        last = "no attempt made"
        status: int | None = None
        for attempt in range(self.retries + 1):
            response: httpx.Response | None = None
            try:
                self.requests += 1
                response = self._client.get(url, params=dict(params or {}))
            except httpx.TimeoutException:
                last = "timed out"
            except httpx.TransportError as exc:
                last = f"connection failed ({exc.__class__.__name__}: {exc})"
            else:
                status = response.status_code
                if status == 200:
                    try:
                        return response.json()
                    except ValueError:
                        raise RegistryError(
                            f"{url}: the server sent something that is not JSON",
                            page_token=page_token,
                            status=status,
                        ) from None
                if status not in RETRY_STATUS:
                    snippet = response.text[:200].strip().replace("\n", " ")
                    raise RegistryError(
                        f"{url}: HTTP {status}" + (f": {snippet}" if snippet else ""),
                        page_token=page_token,
                        status=status,
                    )
                last = f"HTTP {status}"
            if attempt == self.retries:
                break
            delay = self._delay(attempt, response)
            if self._on_retry is not None:
                self._on_retry(attempt + 1, delay, last)
            self._sleep(delay)
        raise RegistryError(
            f"{url}: giving up after {self.retries + 1} attempts ({last})",
            page_token=page_token,
            status=status,
        )

    # ------------------------------------------------------------------ API

    def study(self, nct_id: str) -> Mapping[str, Any]:
        """One study by NCT id (``GET /studies/{nct_id}``)."""
        doc = self.get_json(f"studies/{nct_id.strip().upper()}", {"format": "json"})
        try:
            page = parse_page(doc, where=f"{self.base_url}/studies/{nct_id}")
        except CtgovError as exc:
            raise RegistryError(str(exc)) from None
        if len(page.studies) != 1:
            raise RegistryError(f"{nct_id}: expected one study, got {len(page.studies)}")
        return page.studies[0]

    def pages(
        self,
        query: SearchQuery | None = None,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        max_pages: int | None = None,
        fields: Sequence[str] | None = None,
    ) -> Iterator[Page]:
        """Result pages of ``GET /studies`` in order; stops when no ``nextPageToken`` comes."""
        base = {"format": "json", "pageSize": str(page_size or self.page_size)}
        base.update((query or SearchQuery()).params())
        if fields:
            base["fields"] = ",".join(fields)
        token = page_token
        n = 0
        seen_tokens: set[str] = set()
        while True:
            params = dict(base)
            if token:
                params["pageToken"] = token
            else:
                params["countTotal"] = "true"
            doc = self.get_json("studies", params, page_token=token)
            try:
                page = parse_page(doc, where=f"{self.base_url}/studies page {n + 1}")
            except CtgovError as exc:
                raise RegistryError(str(exc), page_token=token) from None
            if isinstance(doc, Mapping) and "studies" not in doc:
                raise RegistryError(
                    "the search answered with a single study, not a page", page_token=token
                )
            yield page
            n += 1
            token = page.next_page_token
            if not token or (max_pages is not None and n >= max_pages):
                return
            if token in seen_tokens:
                raise RegistryError(f"the server repeated page token {token!r}", page_token=token)
            seen_tokens.add(token)

    def studies(
        self,
        query: SearchQuery | None = None,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        max_pages: int | None = None,
    ) -> Iterator[Mapping[str, Any]]:
        """Every study of the search once (de-duplicated by NCT id), page after page."""
        seen: set[str] = set()
        for page in self.pages(
            query, page_size=page_size, page_token=page_token, max_pages=max_pages
        ):
            for study in page.studies:
                nct = nct_id_of(study)
                if nct is None or nct in seen:
                    continue
                seen.add(nct)
                yield study
