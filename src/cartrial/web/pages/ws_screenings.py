"""Workspace screenings: one saved run with what changed, the verdict tallies per trial and a
trial's candidates (the latest verdict of every patient screened for it)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from cartrial.persistence.repositories import Audit, Screenings
from cartrial.services.screening import explained_json
from cartrial.web.deps import DB, CatalogDep, PageUser
from cartrial.web.pages.ws_common import record_or_404
from cartrial.web.templating import render
from cartrial.web.workspace_actions import run_with_diff

router = APIRouter(prefix="/workspace")


@router.get("/screenings/{run_id}")
def screening_page(
    request: Request, run_id: str, db: DB, user: PageUser, catalog: CatalogDep
) -> Response:
    run = Screenings(db).run(run_id)
    if run is None:
        raise HTTPException(404, "There is no such screening run.")
    record = record_or_404(db, run.patient_id)
    Audit(db).record(user, "view", record.id, "screening run")
    return render(
        request,
        "ws_screening.html",
        {
            "user": user,
            "record": record,
            "run": run,
            "diff": run_with_diff(db, run),
            "results": explained_json((r.result for r in run.rows), catalog.protocols),
        },
    )


@router.get("/trials")
def trials(request: Request, db: DB, user: PageUser, catalog: CatalogDep) -> Response:
    screenings = Screenings(db)
    Audit(db).record(user, "view", None, "screening list (verdicts per trial)")
    counts: dict[str, dict[str, int]] = {}
    for nct in catalog.entries:
        tally = {"ELIGIBLE": 0, "NEEDS_DATA": 0, "INELIGIBLE": 0}
        for row in screenings.latest_for_trial(nct):
            tally[row.verdict] = tally.get(row.verdict, 0) + 1
        counts[nct] = tally
    return render(
        request,
        "ws_trials.html",
        {"user": user, "entries": list(catalog.entries.values()), "counts": counts},
    )


@router.get("/trials/{nct_id}/candidates")
def candidates(
    request: Request,
    nct_id: str,
    db: DB,
    user: PageUser,
    catalog: CatalogDep,
) -> Response:
    entry = catalog.get(nct_id)
    if entry is None:
        raise HTTPException(404, f"There is no bundled trial {nct_id}.")
    rows = Screenings(db).latest_for_trial(entry.nct_id)
    Audit(db).record(user, "view", None, f"candidates {entry.nct_id}")
    order = {"ELIGIBLE": 0, "NEEDS_DATA": 1, "INELIGIBLE": 2}
    rows.sort(key=lambda r: (order.get(r.verdict, 3), r.patient.label))
    reasons = {
        row.run_id: ex.get("reason", "")
        for row, ex in zip(
            rows, explained_json((r.result for r in rows), catalog.protocols), strict=True
        )
    }
    return render(
        request,
        "ws_candidates.html",
        {
            "user": user,
            "entry": entry,
            "rows": rows,
            "current_version": entry.version,
            "reasons": reasons,
        },
    )
