"""Workspace: the population funnel of each trial over a configured OMOP CDM (read-only).

The CDM is a DuckDB file named by ``CARTRIAL_POPULATION_CDM`` (``duckdb:///path.duckdb``),
opened read-only; results are kept per (file, modification time, day) so reloading the page
does not screen the population again.
"""

from __future__ import annotations

import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from cartrial.domain.errors import CartrialError
from cartrial.sql.funnel import Funnel
from cartrial.web.deps import PageUser, Today
from cartrial.web.templating import render

router = APIRouter(prefix="/workspace")

ENV = "CARTRIAL_POPULATION_CDM"


def configured_cdm() -> str | None:
    """The CDM URL from the environment (tests override this dependency)."""
    return os.environ.get(ENV) or None


CdmUrl = Annotated[str | None, Depends(configured_cdm)]


@lru_cache(maxsize=8)
def _funnels(url: str, stamp: int, day: date) -> tuple[Funnel, ...]:
    from cartrial.services.bundled_protocols import load_protocols
    from cartrial.sql.cdm import connect, inspect
    from cartrial.sql.compile import compile_protocol
    from cartrial.sql.funnel import funnel

    con = connect(url)
    try:
        cdm = inspect(con)
        out = []
        for protocol in load_protocols().values():
            compiled = compile_protocol(protocol, cdm, as_of=day)
            out.append(funnel(compiled, con.query(compiled.sql(con.dialect))))
        return tuple(out)
    finally:
        con.close()


@router.get("/population")
def population(request: Request, user: PageUser, today: Today, cdm: CdmUrl) -> Response:
    funnels: tuple[Funnel, ...] = ()
    error = None
    if cdm is not None:
        if not cdm.startswith("duckdb://"):
            error = f"{ENV} must name a DuckDB file (duckdb:///path.duckdb) for the web page"
        else:
            path = Path(cdm[len("duckdb://") :])
            try:
                funnels = _funnels(cdm, path.stat().st_mtime_ns, today)
            except (CartrialError, OSError) as exc:
                error = str(exc)
    return render(
        request,
        "ws_population.html",
        {"user": user, "funnels": funnels, "cdm": cdm, "error": error, "env": ENV, "as_of": today},
    )
