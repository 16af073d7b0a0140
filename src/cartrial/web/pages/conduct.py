"""Pages of trial conduct (issue 17): set-up, the DLT board with the escalation decision,
enrolment, each patient's course (visits, adverse events graded at entry, labs, efficacy),
pictures and the safety report exports.

Every write goes through :class:`cartrial.conduct.store.ConductStore` (audited, append-only). A
bad input re-renders the page with the message naming the field (422) after rolling the
request's transaction back, so nothing is half-stored.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from cartrial.conduct.board import board_from_snapshot, snapshot
from cartrial.conduct.efficacy import (
    DESCRIPTOR_INSTRUMENTS,
    INSTRUMENTS,
    SLEDAI_DESCRIPTORS,
    instruments_for,
)
from cartrial.conduct.fhir_labs import labs_from_bundle, patient_resource
from cartrial.conduct.forms import calculator_fields, coerce_inputs
from cartrial.conduct.pdf import report_pdf
from cartrial.conduct.plots import ANALYTE_LABELS, Series, heatmap_svg, kinetics_svg, swimmer_svg
from cartrial.conduct.report import adae_csv, adsl_csv, teae_csv, teae_table
from cartrial.conduct.service import report_data, trial_board
from cartrial.conduct.store import (
    ACTIONS,
    KINETICS_ANALYTES,
    OUTCOMES,
    RELATEDNESS,
    ConductStore,
)
from cartrial.conduct.swimmer import lanes_from_report
from cartrial.conduct.terms import ae_term, ae_terms
from cartrial.criteria.protocol import Protocol
from cartrial.domain.errors import DataError
from cartrial.domain.trial import LymphodepletionAgent, LymphodepletionRegimen
from cartrial.ingest.fhir import patient_from_bundle
from cartrial.persistence.conduct_models import ConductSetup, Enrolment
from cartrial.persistence.models import PatientRecord, User
from cartrial.persistence.repositories import Patients
from cartrial.persistence.scope import scope_for, set_scope
from cartrial.web.bodies import form_file, form_text, read_form
from cartrial.web.deps import DB, AppSettings, CatalogDep, PageEditor, PageUser, State, Today
from cartrial.web.escalation import board_values, decide
from cartrial.web.templating import render

router = APIRouter(prefix="/workspace")


def _read_db(state: State, user: PageUser) -> Iterator[Session]:
    """A session for reading only (no write lock on SQLite where the app has a read-only
    factory), scoped to the user's site like the request's own session: pictures and exports
    take a while to draw, and the browser may abandon an image request, so they must never
    hold the write lock."""
    factory = getattr(state, "read_sessions", None) or state.sessions
    session = factory()
    set_scope(session, scope_for(user))
    try:
        yield session
    finally:
        session.rollback()
        session.close()


ReadDB = Annotated[Session, Depends(_read_db)]

SVG = "image/svg+xml"


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _protocol(catalog: CatalogDep, nct_id: str) -> Protocol:
    protocol = catalog.protocols.get(nct_id)
    if protocol is None:
        raise HTTPException(404, f"There is no trial {nct_id}.")
    return protocol


def _setup(store: ConductStore, nct_id: str) -> ConductSetup:
    setup = store.setup(nct_id)
    if setup is None:
        raise HTTPException(404, f"{nct_id} is not set up for conduct yet.")
    return setup


def _enrolment(store: ConductStore, enrolment_id: int) -> Enrolment:
    e = store.enrolment(enrolment_id)
    if e is None:
        raise HTTPException(404, f"There is no enrolment {enrolment_id}.")
    return e


def _date(text: str, field: str, *, required: bool = True) -> dt.date | None:
    text = text.strip()
    if not text:
        if required:
            raise DataError("a date is required (YYYY-MM-DD)", field=field)
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DataError(f"{text!r} is not a date (YYYY-MM-DD)", field=field) from None


def _int(text: str, field: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise DataError(f"{text!r} is not a whole number", field=field) from None


def _float(text: str, field: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise DataError(f"{text!r} is not a number", field=field) from None


# ------------------------------------------------------------------ set-up


@router.get("/conduct")
def conduct_home(request: Request, db: DB, user: PageUser, catalog: CatalogDep) -> Response:
    store = ConductStore(db, user)
    return _home(request, store, user, catalog, error=None, status=200)


def _home(
    request: Request,
    store: ConductStore,
    user: User,
    catalog: CatalogDep,
    *,
    error: str | None,
    status: int,
    values: dict[str, str] | None = None,
) -> Response:
    running = store.trials_in_conduct()
    setups = {nct: store.setup(nct) for nct in running}
    counts = {nct: len(store.enrolments(nct)) for nct in running}
    return render(
        request,
        "conduct_index.html",
        {
            "user": user,
            "setups": setups,
            "counts": counts,
            "catalog": catalog,
            "available": [n for n in sorted(catalog.protocols) if n not in setups],
            "error": error,
            "values": values or {},
        },
        status_code=status,
    )


@router.post("/conduct/setup")
async def conduct_setup(
    request: Request, db: DB, user: PageEditor, catalog: CatalogDep, settings: AppSettings
) -> Response:
    form = await read_form(request, settings.max_bundle_bytes)
    values = {k: form_text(form, k) for k in form}
    store = ConductStore(db, user)
    try:
        protocol = _protocol(catalog, form_text(form, "trial"))
        design = form_text(form, "design")
        regimen = None
        flu = _float(form_text(form, "fludarabine"), "fludarabine")
        cy = _float(form_text(form, "cyclophosphamide"), "cyclophosphamide")
        if flu is not None or cy is not None:
            days = tuple(
                _int(d, "ld_days") for d in form_text(form, "ld_days").split(",") if d.strip()
            )
            agents = []
            if flu is not None:
                agents.append(
                    LymphodepletionAgent(drug="fludarabine", dose_mg_per_m2_per_day=flu, days=days)
                )
            if cy is not None:
                agents.append(
                    LymphodepletionAgent(
                        drug="cyclophosphamide", dose_mg_per_m2_per_day=cy, days=days
                    )
                )
            regimen = LymphodepletionRegimen(
                agents=tuple(agents), source_text=form_text(form, "regimen_source").strip() or None
            )
        store.create_setup(
            protocol.trial,
            design=design,
            target=_float(form_text(form, "target"), "target"),
            cohort_size=_int(form_text(form, "cohort_size") or "3", "cohort_size"),
            dose_levels=[x for x in form_text(form, "dose_levels").split(",")],
            regimen=regimen,
        )
        return _redirect(f"/workspace/trials/{protocol.trial.nct_id}/conduct")
    except (DataError, ValueError) as exc:
        db.rollback()
        return _home(request, store, user, catalog, error=str(exc), status=422, values=values)


# ------------------------------------------------------------------ the trial's board


def _trial_ctx(
    store: ConductStore, protocol: Protocol, setup: ConductSetup, user: User, today: dt.date
) -> dict[str, Any]:
    nct = protocol.trial.nct_id
    board = trial_board(store, protocol, setup, today)
    values = None
    esc = None
    if board.current_level is not None:
        values = board_values(
            design=setup.design,
            target=setup.target,
            cohort_size=setup.cohort_size,
            n_cohorts=setup.n_cohorts,
            n=board.counts.n,
            y=board.counts.y,
            current_level=board.current_level,
        )
        try:
            esc = decide(values)
        except ValueError:
            esc = None
    enrolments = store.enrolments(nct)
    visible = {e.subject_code for e in enrolments}
    enrolled = {e.patient_id for e in store.all_enrolments(nct)}
    patients = [p for p in Patients(store.db).search(limit=500) if p.id not in enrolled]
    decisions = store.decisions(nct)
    next_level = (
        board.decision.next_level
        if board.decision
        else (1 if board.current_level is None else None)
    )
    return {
        "user": user,
        "protocol": protocol,
        "trial": protocol.trial,
        "setup": setup,
        "board": board,
        "esc_values": values,
        "esc": esc,
        "enrolments": enrolments,
        "visible": visible,
        "hidden_count": sum(1 for r in board.rows if r.subject not in visible),
        "infusions": {e.id: store.infusion_date(e) for e in enrolments},
        "patients": patients,
        "decisions": decisions,
        "next_level": next_level,
        "today": today,
        "analytes": [
            a
            for a in KINETICS_ANALYTES
            if a in ("cd19_abs", "car_copies", "car_cells", "igg", "anti_dsdna", "anc")
        ],
        "analyte_labels": ANALYTE_LABELS,
        "error": None,
    }


@router.get("/trials/{nct_id}/conduct")
def trial_conduct(
    request: Request, nct_id: str, db: DB, user: PageUser, catalog: CatalogDep, today: Today
) -> Response:
    store = ConductStore(db, user)
    protocol = _protocol(catalog, nct_id)
    setup = _setup(store, nct_id)
    return render(request, "conduct_trial.html", _trial_ctx(store, protocol, setup, user, today))


@router.post("/trials/{nct_id}/conduct/decisions")
def record_decision(
    nct_id: str, db: DB, user: PageEditor, catalog: CatalogDep, today: Today
) -> Response:
    """Record the board's decision with the data it used (reproducible from the snapshot)."""
    store = ConductStore(db, user)
    protocol = _protocol(catalog, nct_id)
    setup = _setup(store, nct_id)
    board = trial_board(store, protocol, setup, today)
    if board.decision is None:
        raise HTTPException(409, board.note or "There is no decision to record.")
    store.record_decision(
        nct_id, as_of=today, design=setup.design, snapshot=snapshot(board),
        decision=board.decision.to_dict(),
    )  # fmt: skip
    return _redirect(f"/workspace/trials/{nct_id}/conduct#decisions")


@router.get("/trials/{nct_id}/conduct/decisions/{decision_id}")
def show_decision(
    request: Request, nct_id: str, decision_id: int, db: DB, user: PageUser
) -> Response:
    store = ConductStore(db, user)
    record = store.decision(decision_id)
    if record is None or record.trial_id != nct_id:
        raise HTTPException(404, f"There is no decision {decision_id} for {nct_id}.")
    again = board_from_snapshot(record.snapshot)
    visible = {e.subject_code for e in store.enrolments(nct_id)}
    reproduced = again.decision.to_dict() if again.decision else None
    return render(
        request,
        "conduct_decision.html",
        {"user": user, "nct_id": nct_id, "record": record, "reproduced": reproduced,
         "same": reproduced == record.decision,
         "pairs": [(p, row) for p, row in zip(record.snapshot["patients"], again.rows, strict=True)
                   if p["subject"] in visible]},
    )  # fmt: skip


@router.post("/trials/{nct_id}/conduct/enrol")
async def enrol(
    request: Request, nct_id: str, db: DB, user: PageEditor, catalog: CatalogDep, today: Today,
    settings: AppSettings,
) -> Response:  # fmt: skip
    form = await read_form(request, settings.max_bundle_bytes)
    store = ConductStore(db, user)
    protocol = _protocol(catalog, nct_id)
    setup = _setup(store, nct_id)
    try:
        record = Patients(db).get(_int(form_text(form, "patient_id"), "patient_id"))
        if record is None:
            raise DataError("choose a workspace patient", field="patient_id")
        decision_id = form_text(form, "decision_id").strip()
        decision = store.decision(int(decision_id)) if decision_id.isdigit() else None
        infusion = _date(form_text(form, "planned_infusion"), "planned_infusion")
        assert infusion is not None
        e = store.enrol(
            protocol.trial, record, patient_from_bundle(record.bundle),
            dose_level=_int(form_text(form, "dose_level"), "dose_level"),
            planned_infusion=infusion,
            enrolled_on=_date(form_text(form, "enrolled_on"), "enrolled_on") or today,
            decision=decision,
        )  # fmt: skip
        return _redirect(f"/workspace/conduct/enrolments/{e.id}")
    except DataError as exc:
        db.rollback()
        ctx = _trial_ctx(store, protocol, setup, user, today)
        ctx["error"] = str(exc)
        return render(request, "conduct_trial.html", ctx, status_code=422)


# ------------------------------------------------------------------ one patient's course


def _enrolment_ctx(
    store: ConductStore, e: Enrolment, user: User, catalog: CatalogDep, request: Request
) -> dict[str, Any]:
    protocol = _protocol(catalog, e.trial_id)
    setup = _setup(store, e.trial_id)
    aes = store.current_aes([e.id])
    term_name = request.query_params.get("term") or ""
    term = None
    fields: list[dict[str, Any]] = []
    if term_name:
        try:
            term = ae_term(term_name)
            if term.calculator:
                fields = calculator_fields(term.calculator)
        except DataError:
            term = None
    instrument = request.query_params.get("instrument") or ""
    offered = instruments_for(protocol.trial.diseases) or list(INSTRUMENTS)
    inst_fields = (
        calculator_fields(instrument)
        if instrument in INSTRUMENTS and instrument not in DESCRIPTOR_INSTRUMENTS
        else []
    )
    return {
        "user": user,
        "e": e,
        "protocol": protocol,
        "setup": setup,
        "record": store.db.get(PatientRecord, e.patient_id),
        "visits": store.visits(e),
        "infusion": store.infusion_date(e),
        "aes": aes,
        "labs": store.labs(e),
        "efficacy": store.efficacy(e),
        "terms": list(ae_terms().values()),
        "term": term,
        "fields": fields,
        "instrument": instrument if instrument in INSTRUMENTS else "",
        "instruments": [(k, INSTRUMENTS[k]) for k in offered],
        "inst_fields": inst_fields,
        "descriptors": SLEDAI_DESCRIPTORS,
        "descriptor_instruments": DESCRIPTOR_INSTRUMENTS,
        "relatedness": RELATEDNESS,
        "actions": ACTIONS,
        "outcomes": OUTCOMES,
        "analytes": KINETICS_ANALYTES,
        "analyte_labels": ANALYTE_LABELS,
        "notes": e.course.get("notes", []),
        "ld": e.course.get("lymphodepletion"),
        "error": None,
        "values": {},
    }


@router.get("/conduct/enrolments/{enrolment_id}")
def enrolment_page(
    request: Request, enrolment_id: int, db: DB, user: PageUser, catalog: CatalogDep
) -> Response:
    store = ConductStore(db, user)
    e = _enrolment(store, enrolment_id)
    store.record_view(e, "course viewed")
    return render(
        request, "conduct_enrolment.html", _enrolment_ctx(store, e, user, catalog, request)
    )


def _failed(
    request: Request, db: DB, user: User, catalog: CatalogDep, enrolment_id: int,
    exc: Exception, form: FormData,
) -> Response:  # fmt: skip
    db.rollback()
    store = ConductStore(db, user)
    e = _enrolment(store, enrolment_id)
    ctx = _enrolment_ctx(store, e, user, catalog, request)
    ctx["error"] = str(exc)
    ctx["values"] = {k: form_text(form, k) for k in form}
    return render(request, "conduct_enrolment.html", ctx, status_code=422)


@router.post("/conduct/enrolments/{enrolment_id}/visits")
async def mark_visit(
    request: Request, enrolment_id: int, db: DB, user: PageEditor, catalog: CatalogDep,
    settings: AppSettings,
) -> Response:  # fmt: skip
    form = await read_form(request, settings.max_bundle_bytes)
    store = ConductStore(db, user)
    e = _enrolment(store, enrolment_id)
    try:
        store.mark_visit(
            e, form_text(form, "visit_key"), status=form_text(form, "status"),
            visit_date=_date(form_text(form, "visit_date"), "visit_date", required=False),
            reason=form_text(form, "reason"),
        )  # fmt: skip
    except DataError as exc:
        return _failed(request, db, user, catalog, enrolment_id, exc, form)
    return _redirect(f"/workspace/conduct/enrolments/{enrolment_id}#visits")


@router.post("/conduct/enrolments/{enrolment_id}/aes")
async def record_ae(
    request: Request, enrolment_id: int, db: DB, user: PageEditor, catalog: CatalogDep,
    settings: AppSettings,
) -> Response:  # fmt: skip
    """An adverse event: the grade is computed from the observations by the term's calculator
    (shown with its components on the AE page); the investigator confirms or overrides it."""
    form = await read_form(request, settings.max_bundle_bytes)
    store = ConductStore(db, user)
    e = _enrolment(store, enrolment_id)
    try:
        term = ae_term(form_text(form, "term"))
        raw = {k[4:]: form_text(form, k) for k in form if k.startswith("obs_")}
        observations = coerce_inputs(term.calculator, raw) if term.calculator else {}
        grade_text = form_text(form, "investigator_grade").strip()
        onset = _date(form_text(form, "onset"), "onset")
        assert onset is not None
        ae = store.record_ae(
            e, term=term.term, onset=onset, observations=observations,
            resolution=_date(form_text(form, "resolution"), "resolution", required=False),
            serious=form_text(form, "serious") == "on",
            related_ld=form_text(form, "related_ld") or "not_related",
            related_car=form_text(form, "related_car") or "not_related",
            action=form_text(form, "action") or "none",
            outcome=form_text(form, "outcome") or "not_recovered",
            investigator_grade=_int(grade_text, "investigator_grade") if grade_text else None,
            override_reason=form_text(form, "override_reason"),
        )  # fmt: skip
    except DataError as exc:
        return _failed(request, db, user, catalog, enrolment_id, exc, form)
    return _redirect(f"/workspace/conduct/aes/{ae.ae_key}")


def _ae_response(
    request: Request, store: ConductStore, user: Any, ae: Any, error: str | None = None
) -> Response:
    """The adverse event's page (with the error of a refused change: 422)."""
    e = _enrolment(store, ae.enrolment_id)
    context = {
        "user": user, "ae": ae, "e": e, "history": store.ae_history(ae.ae_key),
        "audit": store.audit_trail(e.trial_id, entity_key=ae.ae_key), "error": error,
        "outcomes": OUTCOMES,
    }  # fmt: skip
    return render(request, "conduct_ae.html", context, status_code=422 if error else 200)


@router.get("/conduct/aes/{ae_key}")
def ae_page(request: Request, ae_key: str, db: DB, user: PageUser) -> Response:
    store = ConductStore(db, user)
    ae = store.ae(ae_key)
    if ae is None:
        raise HTTPException(404, f"There is no adverse event {ae_key}.")
    store.record_view(_enrolment(store, ae.enrolment_id), "adverse event viewed")
    return _ae_response(request, store, user, ae)


@router.post("/conduct/aes/{ae_key}/grade")
async def confirm_grade(
    request: Request, ae_key: str, db: DB, user: PageEditor, settings: AppSettings
) -> Response:
    form = await read_form(request, settings.max_bundle_bytes)
    store = ConductStore(db, user)
    try:
        store.confirm_grade(
            ae_key, investigator_grade=_int(form_text(form, "investigator_grade"), "investigator_grade"),
            reason=form_text(form, "reason"),
        )  # fmt: skip
    except DataError as exc:
        db.rollback()
        ae = store.ae(ae_key)
        if ae is None:
            raise HTTPException(404, f"There is no adverse event {ae_key}.") from None
        return _ae_response(request, store, user, ae, str(exc))
    return _redirect(f"/workspace/conduct/aes/{ae_key}")


@router.post("/conduct/aes/{ae_key}/correct")
async def correct_ae(
    request: Request, ae_key: str, db: DB, user: PageEditor, settings: AppSettings
) -> Response:
    """A correction of the AE's resolution, outcome or seriousness: a new version with its
    reason (the earlier version stays)."""
    form = await read_form(request, settings.max_bundle_bytes)
    store = ConductStore(db, user)
    old = store.ae(ae_key)
    if old is None or store.enrolment(old.enrolment_id) is None:
        raise HTTPException(404, f"There is no adverse event {ae_key}.")
    try:
        changes: dict[str, Any] = {
            "resolution": _date(form_text(form, "resolution"), "resolution", required=False),
            "outcome": form_text(form, "outcome") or old.outcome,
            "serious": form_text(form, "serious") == "on",
        }
        if changes["outcome"] not in OUTCOMES:
            raise DataError(f"{changes['outcome']!r} is not an outcome", field="outcome")
        store.correct_ae(ae_key, reason=form_text(form, "reason"), **changes)
    except DataError as exc:
        db.rollback()
        return _ae_response(request, store, user, old, str(exc))
    return _redirect(f"/workspace/conduct/aes/{ae_key}")


@router.post("/conduct/enrolments/{enrolment_id}/labs")
async def add_labs(
    request: Request, enrolment_id: int, db: DB, user: PageEditor, catalog: CatalogDep,
    settings: AppSettings,
) -> Response:  # fmt: skip
    """Labs as a FHIR Bundle of Observations (file or pasted JSON), or one value typed in;
    gradable values are graded at once."""
    form = await read_form(request, settings.max_bundle_bytes)
    store = ConductStore(db, user)
    e = _enrolment(store, enrolment_id)
    try:
        raw = await form_file(form, "bundle", settings.max_bundle_bytes)
        text = raw.decode("utf-8") if raw else form_text(form, "bundle_text")
        if text.strip():
            try:
                bundle = json.loads(text)
            except json.JSONDecodeError as exc:
                raise DataError(f"not valid JSON ({exc.msg})", field="bundle") from None
            record = store.db.get(PatientRecord, e.patient_id)
            assert record is not None
            labs, _skipped = labs_from_bundle(bundle, patient_resource(record.bundle))
            if not labs:
                raise DataError(
                    "the bundle has no Observation of a conduct analyte", field="bundle"
                )
            store.add_labs(e, labs, source="fhir")
        else:
            analyte = form_text(form, "analyte")
            value = _float(form_text(form, "value"), "value")
            when = _date(form_text(form, "effective"), "effective")
            if value is None or when is None:
                raise DataError("give a value and its date, or a FHIR bundle", field="value")
            store.add_labs(
                e,
                [(analyte, value, KINETICS_ANALYTES.get(analyte, ""), when,
                  _float(form_text(form, "ref_low"), "ref_low"),
                  _float(form_text(form, "ref_high"), "ref_high"), None)],
                source="form",
            )  # fmt: skip
    except DataError as exc:
        return _failed(request, db, user, catalog, enrolment_id, exc, form)
    return _redirect(f"/workspace/conduct/enrolments/{enrolment_id}#labs")


@router.post("/conduct/enrolments/{enrolment_id}/efficacy")
async def record_efficacy(
    request: Request, enrolment_id: int, db: DB, user: PageEditor, catalog: CatalogDep,
    settings: AppSettings,
) -> Response:  # fmt: skip
    form = await read_form(request, settings.max_bundle_bytes)
    store = ConductStore(db, user)
    e = _enrolment(store, enrolment_id)
    try:
        instrument = form_text(form, "instrument")
        if instrument not in INSTRUMENTS:
            raise DataError(f"{instrument!r} is not an efficacy instrument", field="instrument")
        if instrument in DESCRIPTOR_INSTRUMENTS:
            items: dict[str, Any] = {"descriptors": [str(v) for v in form.getlist("descriptors")]}
        else:
            raw = {k[5:]: form_text(form, k) for k in form if k.startswith("item_")}
            items = coerce_inputs(instrument, raw)
        when = _date(form_text(form, "assessed_on"), "assessed_on")
        assert when is not None
        store.record_efficacy(
            e, visit_key=form_text(form, "visit_key"), instrument=instrument, assessed_on=when,
            items=items,
        )  # fmt: skip
    except DataError as exc:
        return _failed(request, db, user, catalog, enrolment_id, exc, form)
    return _redirect(f"/workspace/conduct/enrolments/{enrolment_id}#efficacy")


# ------------------------------------------------------------------ pictures and reports


def _svg(text: str) -> Response:
    return Response(text, media_type=SVG)


def _series(store: ConductStore, enrolments: list[Enrolment], analyte: str) -> list[Series]:
    out = []
    for e in enrolments:
        infusion = store.infusion_date(e)
        if infusion is None:
            continue
        points = tuple(
            ((lab.effective - infusion).days, lab.value) for lab in store.labs(e, analyte)
        )
        out.append(Series(e.subject_code, e.dose_level, points))
    return out


@router.get("/trials/{nct_id}/conduct/kinetics.svg")
def trial_kinetics(
    nct_id: str, db: ReadDB, user: PageUser,
    analyte: Annotated[str, Query(max_length=40)] = "cd19_abs",
    by: Annotated[str, Query(pattern="^(patient|level)$")] = "patient",
) -> Response:  # fmt: skip
    if analyte not in KINETICS_ANALYTES:
        raise HTTPException(422, f"analyte: {analyte!r} is not a stored analyte")
    store = ConductStore(db, user)
    series = _series(store, list(store.enrolments(nct_id)), analyte)
    return _svg(kinetics_svg(analyte, series, by_level=by == "level"))


@router.get("/conduct/enrolments/{enrolment_id}/kinetics.svg")
def patient_kinetics(
    enrolment_id: int, db: ReadDB, user: PageUser,
    analyte: Annotated[str, Query(max_length=40)] = "cd19_abs",
) -> Response:  # fmt: skip
    if analyte not in KINETICS_ANALYTES:
        raise HTTPException(422, f"analyte: {analyte!r} is not a stored analyte")
    store = ConductStore(db, user)
    e = _enrolment(store, enrolment_id)
    return _svg(kinetics_svg(analyte, _series(store, [e], analyte)))


def _cut(text: str | None, today: dt.date) -> dt.date:
    if not text:
        return today
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise HTTPException(422, f"cut: {text!r} is not a date (YYYY-MM-DD)") from None


def _data(store: ConductStore, catalog: CatalogDep, nct_id: str, cut: dt.date) -> Any:
    protocol = _protocol(catalog, nct_id)
    return report_data(store, protocol, _setup(store, nct_id), cut)


@router.get("/trials/{nct_id}/conduct/swimmer.svg")
def swimmer(
    nct_id: str, db: ReadDB, user: PageUser, catalog: CatalogDep, today: Today,
    cut: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:  # fmt: skip
    data = _data(ConductStore(db, user), catalog, nct_id, _cut(cut, today))
    return _svg(swimmer_svg(lanes_from_report(data)))


@router.get("/trials/{nct_id}/conduct/heatmap.svg")
def heatmap(
    nct_id: str, db: ReadDB, user: PageUser, catalog: CatalogDep, today: Today,
    cut: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:  # fmt: skip
    data = _data(ConductStore(db, user), catalog, nct_id, _cut(cut, today))
    return _svg(heatmap_svg(teae_table(data), data.dose_labels))


def _record_export(state: State, user: User, nct_id: str, what: str, cut: dt.date) -> None:
    """The export is audited in its own short write transaction, after the reading."""
    with state.sessions.begin() as db:
        ConductStore(db, user).record_export(nct_id, what, cut)


@router.get("/trials/{nct_id}/conduct/report.pdf")
def report(
    nct_id: str, db: ReadDB, user: PageUser, catalog: CatalogDep, today: Today, state: State,
    cut: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:  # fmt: skip
    store = ConductStore(db, user)
    when = _cut(cut, today)
    data = _data(store, catalog, nct_id, when)
    pdf = report_pdf(data, generated=dt.datetime.now(dt.UTC))
    _record_export(state, user, nct_id, "safety report PDF", when)
    name = f"{nct_id}-safety-{when.isoformat()}.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'inline; filename="{name}"'})  # fmt: skip


@router.get("/trials/{nct_id}/conduct/{kind}.csv")
def csv_export(
    nct_id: str, kind: str, db: ReadDB, user: PageUser, catalog: CatalogDep, today: Today,
    state: State,
    cut: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:  # fmt: skip
    writers = {"teae": teae_csv, "adsl": adsl_csv, "adae": adae_csv}
    if kind not in writers:
        raise HTTPException(404, f"There is no {kind}.csv export (teae, adsl, adae).")
    store = ConductStore(db, user)
    when = _cut(cut, today)
    text = writers[kind](_data(store, catalog, nct_id, when))
    _record_export(state, user, nct_id, f"{kind}.csv", when)
    name = f"{nct_id}-{kind}-{when.isoformat()}.csv"
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})  # fmt: skip


@router.get("/trials/{nct_id}/conduct/audit")
def audit(request: Request, nct_id: str, db: DB, user: PageUser) -> Response:
    store = ConductStore(db, user)
    return render(
        request, "conduct_audit.html",
        {"user": user, "nct_id": nct_id, "entries": store.audit_trail(nct_id)},
    )  # fmt: skip
