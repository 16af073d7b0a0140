"""The coordinators' workspace (login required): patients, screenings, candidates, calculators,
API tokens, users and the audit log.

Roles: viewers read; coordinators and admins also import, edit, screen and delete; admins see
the audit log and manage users (add, deactivate, reactivate, reset a password). Every view,
creation, change, export and deletion of a patient record writes an audit entry in the same
transaction as the action — opening a list of patients (the patient list, a trial's candidates,
the screening tallies) too, with the list as its target and no patient id.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from cartrial.calculators.registry import get_calculator, list_calculators, run_calculator
from cartrial.domain.errors import DataError
from cartrial.persistence.auth import login_key, new_password
from cartrial.persistence.models import AUDIT_ACTIONS, ROLES, PatientRecord, User
from cartrial.persistence.repositories import (
    Audit,
    Patients,
    RepositoryError,
    Screenings,
    Tokens,
    Users,
)
from cartrial.web.bodies import (
    BadInput,
    bundle_to_patient,
    form_file,
    form_text,
    parse_bundle_json,
    read_form,
)
from cartrial.web.deps import (
    DB,
    AppSettings,
    CatalogDep,
    PageAdmin,
    PageEditor,
    PageUser,
    State,
    Today,
    login_session,
)
from cartrial.web.escalation import DESIGNS, FIELDS, LABELS, FormError, decide
from cartrial.web.pages.auth import throttle
from cartrial.web.templating import render
from cartrial.web.workspace import (
    import_bundle,
    patient_overview,
    replace_bundle,
    run_with_diff,
    screen_record,
)

router = APIRouter(prefix="/workspace")


def _record(db: DB, patient_id: int) -> PatientRecord:
    record = Patients(db).get(patient_id)
    if record is None:
        raise HTTPException(404, f"There is no patient {patient_id}.")
    return record


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


@router.get("")
def home() -> Response:
    return _redirect("/workspace/patients")


# ------------------------------------------------------------------ patients


@router.get("/patients")
def patients(
    request: Request,
    db: DB,
    user: PageUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    records = Patients(db).search(q=q)
    Audit(db).record(user, "view", None, "patient list")  # never the search text: it may be a name
    latest = Screenings(db).latest_for_patients(r.id for r in records)
    return render(
        request,
        "ws_patients.html",
        {"user": user, "records": records, "latest": latest, "q": q or "", "error": None},
    )


async def _bundle_from_form(form: FormData, limit: int) -> dict[str, Any]:
    raw = await form_file(form, "bundle", limit)
    if raw is None:
        text = form_text(form, "bundle_text")
        if not text.strip():
            raise BadInput("choose a bundle file or paste the bundle JSON")
        raw = text.encode("utf-8")
    return parse_bundle_json(raw)


@router.post("/patients")
async def import_patient(
    request: Request,
    db: DB,
    user: PageEditor,
    settings: AppSettings,
) -> Response:
    form = await read_form(request, settings.max_bundle_bytes)
    data = await _bundle_from_form(form, settings.max_bundle_bytes)
    record = import_bundle(db, user, data, label=form_text(form, "label"), via="upload")
    return _redirect(f"/workspace/patients/{record.id}")


@router.get("/patients/{patient_id}")
def patient_page(
    request: Request,
    patient_id: int,
    db: DB,
    user: PageUser,
    today: Today,
    catalog: CatalogDep,
) -> Response:
    record = _record(db, patient_id)
    Audit(db).record(user, "view", record.id, "patient page")
    overview = patient_overview(bundle_to_patient(record.bundle), today)
    runs = Screenings(db).runs_for(record.id)
    return render(
        request,
        "ws_patient.html",
        {
            "user": user,
            "record": record,
            "overview": overview,
            "runs": runs,
            "today": today,
            "trials": list(catalog.entries.values()),
        },
    )


@router.get("/patients/{patient_id}/edit")
def edit_page(request: Request, patient_id: int, db: DB, user: PageEditor) -> Response:
    record = _record(db, patient_id)
    Audit(db).record(user, "view", record.id, "edit form")
    return render(
        request,
        "ws_edit.html",
        {
            "user": user,
            "record": record,
            "errors": [],
            "bundle_text": json.dumps(record.bundle, indent=2, ensure_ascii=False),
        },
    )


@router.post("/patients/{patient_id}")
async def update_patient(
    request: Request,
    patient_id: int,
    db: DB,
    user: PageEditor,
    settings: AppSettings,
) -> Response:
    record = _record(db, patient_id)
    form = await read_form(request, settings.max_bundle_bytes)
    label, notes = form_text(form, "label"), form_text(form, "notes")
    bundle_text = form_text(form, "bundle_text")
    try:
        data = parse_bundle_json(bundle_text) if bundle_text.strip() else None
        if data is not None:
            bundle_to_patient(data)
    except BadInput as exc:
        return render(
            request,
            "ws_edit.html",
            {
                "user": user,
                "record": record,
                "errors": [exc.message],
                "bundle_text": bundle_text,
                "label": label,
                "notes": notes,
            },
            status_code=exc.status_code,
        )
    changed = Patients(db).update(record, label=label, notes=notes)
    if changed:
        Audit(db).record(user, "update", record.id, "edited " + ", ".join(changed))
    if data is not None:
        replace_bundle(db, user, record, data, via="edit form")
    return _redirect(f"/workspace/patients/{record.id}")


@router.get("/patients/{patient_id}/export")
def export_patient(patient_id: int, db: DB, user: PageUser) -> Response:
    record = _record(db, patient_id)
    Audit(db).record(user, "export", record.id, "bundle download")
    return Response(
        json.dumps(record.bundle, indent=2, ensure_ascii=False),
        media_type="application/fhir+json",
        headers={"Content-Disposition": f'attachment; filename="patient-{record.id}.json"'},
    )


@router.post("/patients/{patient_id}/delete")
def delete_patient(patient_id: int, db: DB, user: PageEditor) -> Response:
    record = _record(db, patient_id)
    Audit(db).record(user, "delete", record.id, "record and its screenings")
    Patients(db).delete(record)
    return _redirect("/workspace/patients")


@router.post("/patients/{patient_id}/screen")
async def screen_patient_page(
    request: Request,
    patient_id: int,
    db: DB,
    user: PageEditor,
    catalog: CatalogDep,
    today: Today,
    settings: AppSettings,
) -> Response:
    record = _record(db, patient_id)
    form = await read_form(request, settings.max_bundle_bytes)
    raw = form_text(form, "as_of").strip()
    try:
        as_of = date.fromisoformat(raw) if raw else today
    except ValueError:
        raise BadInput(f"as_of: {raw!r} is not a date (YYYY-MM-DD)") from None
    run = screen_record(db, catalog, record, user, as_of=as_of, via="workspace")
    return _redirect(f"/workspace/screenings/{run.run_id}")


@router.get("/screenings/{run_id}")
def screening_page(request: Request, run_id: str, db: DB, user: PageUser) -> Response:
    run = Screenings(db).run(run_id)
    if run is None:
        raise HTTPException(404, "There is no such screening run.")
    record = _record(db, run.patient_id)
    Audit(db).record(user, "view", record.id, "screening run")
    return render(
        request,
        "ws_screening.html",
        {
            "user": user,
            "record": record,
            "run": run,
            "diff": run_with_diff(db, run),
            "results": [r.result for r in run.rows],
        },
    )


# ------------------------------------------------------------------ trials and candidates


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
    return render(
        request,
        "ws_candidates.html",
        {
            "user": user,
            "entry": entry,
            "rows": rows,
            "current_version": entry.version,
        },
    )


# ------------------------------------------------------------------ calculators


def _calc_fields(name: str) -> list[dict[str, Any]]:
    calc = get_calculator(name)
    schema = calc.inputs.model_json_schema()
    required = set(schema.get("required", []))
    fields = []
    for fname, prop in schema.get("properties", {}).items():
        types = [prop["type"]] if "type" in prop else [a.get("type") for a in prop.get("anyOf", [])]
        kind = next((t for t in types if t and t != "null"), "string")
        fields.append(
            {
                "name": fname,
                "kind": kind,
                "required": fname in required,
                "nullable": "null" in types,
                "default": prop.get("default"),
                "description": prop.get("description", ""),
            }
        )
    return fields


def _coerce(field: dict[str, Any], raw: str | None) -> Any:
    """A form string to the JSON value the calculator's strict model expects."""
    kind = field["kind"]
    if kind == "boolean":
        return raw in ("on", "true", "1", "yes")
    text = (raw or "").strip()
    if not text:
        return None
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            raise DataError(f"{text!r} is not a number", field=field["name"]) from None
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise DataError(f"{text!r} is not a whole number", field=field["name"]) from None
    if kind in ("object", "array"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"not valid JSON ({exc.msg})", field=field["name"]) from None
    return text


@router.get("/calculators")
def calculators(request: Request, user: PageUser) -> Response:
    return render(request, "ws_calculators.html", {"user": user, "calculators": list_calculators()})


def _calculator_or_404(name: str) -> Any:
    try:
        return get_calculator(name)
    except DataError:
        raise HTTPException(404, f"There is no calculator {name!r}.") from None


@router.get("/calculators/{name}")
def calculator_page(request: Request, name: str, user: PageUser) -> Response:
    calc = _calculator_or_404(name)
    return render(
        request,
        "ws_calculator.html",
        {
            "user": user,
            "calc": calc,
            "fields": _calc_fields(name),
            "values": {},
            "result": None,
            "error": None,
        },
    )


@router.post("/calculators/{name}")
async def calculator_run(
    request: Request,
    name: str,
    user: PageUser,
    settings: AppSettings,
) -> Response:
    calc = _calculator_or_404(name)
    fields = _calc_fields(name)
    form = await read_form(request, settings.max_bundle_bytes)
    values = {f["name"]: form_text(form, f["name"]) for f in fields}
    ctx: dict[str, Any] = {
        "user": user,
        "calc": calc,
        "fields": fields,
        "values": values,
        "result": None,
        "error": None,
    }
    status = 200
    try:
        inputs = {}
        for f in fields:
            value = _coerce(
                f,
                form_text(form, f["name"])
                if f["kind"] != "boolean"
                else form_text(form, f["name"], "off"),
            )
            if value is not None or f["required"]:
                inputs[f["name"]] = value
        ctx["result"] = run_calculator(name, inputs).to_json_dict()
    except DataError as exc:
        ctx["error"] = str(exc)
        status = 422
    template = (
        "_calc_result.html" if request.headers.get("hx-request") == "true" else "ws_calculator.html"
    )
    return render(request, template, ctx, status_code=status)


# ------------------------------------------------------------------ escalation decisions


ESCALATION_DEFAULTS = {"design": "boin", "cohort_size": "3"}


def _escalation_ctx(user: User, values: dict[str, str]) -> dict[str, Any]:
    return {
        "user": user,
        "values": values,
        "designs": DESIGNS,
        "labels": LABELS,
        "result": None,
        "error": None,
        "error_field": None,
    }


@router.get("/escalation")
def escalation_page(request: Request, user: PageUser) -> Response:
    return render(request, "ws_escalation.html", _escalation_ctx(user, dict(ESCALATION_DEFAULTS)))


@router.post("/escalation")
async def escalation_decide(request: Request, user: PageUser, settings: AppSettings) -> Response:
    """The design's decision for the next cohort, with its reason and boundary table; bad input
    re-renders the form (422) with a message naming the field."""
    form = await read_form(request, settings.max_bundle_bytes)
    values = {name: form_text(form, name)[:500] for name in FIELDS}
    ctx = _escalation_ctx(user, values)
    status = 200
    try:
        ctx["result"] = decide(values)
    except FormError as exc:
        ctx["error"], ctx["error_field"] = exc.message, exc.field
        status = 422
    template = (
        "_escalation.html" if request.headers.get("hx-request") == "true" else "ws_escalation.html"
    )
    return render(request, template, ctx, status_code=status)


# ------------------------------------------------------------------ API tokens


@router.get("/tokens")
def tokens(request: Request, db: DB, user: PageUser) -> Response:
    return render(
        request,
        "ws_tokens.html",
        {"user": user, "tokens": Tokens(db).list_for(user), "new_token": None},
    )


@router.post("/tokens")
async def create_token(request: Request, db: DB, user: PageUser, settings: AppSettings) -> Response:
    form = await read_form(request, settings.max_bundle_bytes)
    _, plain = Tokens(db).create(user, form_text(form, "name"))
    return render(
        request,
        "ws_tokens.html",
        {"user": user, "tokens": Tokens(db).list_for(user), "new_token": plain},
        status_code=201,
    )


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: int, db: DB, user: PageUser) -> Response:
    if not Tokens(db).revoke(user, token_id):
        raise HTTPException(404, "There is no such active token of yours.")
    return _redirect("/workspace/tokens")


# ------------------------------------------------------------------ admin: users, audit


@router.get("/users")
def users(request: Request, db: DB, user: PageAdmin) -> Response:
    return render(
        request,
        "ws_users.html",
        {"user": user, "users": Users(db).all(), "roles": ROLES, "error": None},
    )


DONE_MESSAGES = {
    "deactivated": "The account is deactivated: it cannot sign in and its API tokens are refused.",
    "reactivated": "The account is active again.",
    "password": "The password was changed: the user's open sessions have ended.",
}


def _account(db: DB, user_id: int) -> User:
    account = Users(db).get(user_id)
    if account is None:
        raise HTTPException(404, f"There is no user {user_id}.")
    return account


def _account_page(
    request: Request,
    db: DB,
    admin: User,
    account: User,
    *,
    message: str | None = None,
    error: str | None = None,
    shown_password: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "ws_user.html",
        {
            "user": admin,
            "account": account,
            "active_tokens": Tokens(db).active_count(account),
            "message": message,
            "error": error,
            "new_password": shown_password,
        },
        status_code=status_code,
    )


@router.get("/users/{user_id}")
def user_page(
    request: Request,
    user_id: int,
    db: DB,
    user: PageAdmin,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    account = _account(db, user_id)
    return _account_page(request, db, user, account, message=DONE_MESSAGES.get(done or ""))


@router.post("/users/{user_id}/deactivate")
def deactivate_user(request: Request, user_id: int, db: DB, user: PageAdmin) -> Response:
    account = _account(db, user_id)
    if account.id == user.id:
        return _account_page(
            request,
            db,
            user,
            account,
            error="You cannot deactivate your own account (ask another administrator).",
            status_code=422,
        )
    if Users(db).set_active(account, False):
        Audit(db).record(user, "update", None, f"user {account.username}: deactivated")
    return _redirect(f"/workspace/users/{account.id}?done=deactivated")


@router.post("/users/{user_id}/reactivate")
def reactivate_user(user_id: int, db: DB, user: PageAdmin) -> Response:
    account = _account(db, user_id)
    if Users(db).set_active(account, True):
        Audit(db).record(user, "update", None, f"user {account.username}: reactivated")
    return _redirect(f"/workspace/users/{account.id}?done=reactivated")


@router.post("/users/{user_id}/password")
async def reset_password(
    request: Request,
    user_id: int,
    db: DB,
    user: PageAdmin,
    settings: AppSettings,
    state: State,
) -> Response:
    """Set the password the admin typed, or a generated one shown once; the user's sessions
    end, their paused sign-ins are released and, if asked, their API tokens are revoked."""
    account = _account(db, user_id)
    form = await read_form(request, settings.max_bundle_bytes)
    typed = form_text(form, "password")
    password = typed or new_password()
    try:
        Users(db).set_password(account, password)
    except RepositoryError as exc:
        return _account_page(request, db, user, account, error=str(exc), status_code=422)
    throttle(db, settings).clear(login_key(state.secret_key, account.username))
    detail = f"user {account.username}: password reset"
    if form_text(form, "revoke_tokens") in ("on", "true", "1"):
        revoked = Tokens(db).revoke_all(account)
        detail += f", {revoked} API token(s) revoked"
    Audit(db).record(user, "update", None, detail)
    if account.id == user.id:
        login_session(request, account)  # keep the admin's own session valid
    if typed:
        return _redirect(f"/workspace/users/{account.id}?done=password")
    return _account_page(
        request, db, user, account, message=DONE_MESSAGES["password"], shown_password=password
    )


@router.post("/users")
async def add_user(request: Request, db: DB, user: PageAdmin, settings: AppSettings) -> Response:
    form = await read_form(request, settings.max_bundle_bytes)
    try:
        Users(db).create(
            form_text(form, "username"), form_text(form, "password"), form_text(form, "role")
        )
    except RepositoryError as exc:
        return render(
            request,
            "ws_users.html",
            {"user": user, "users": Users(db).all(), "roles": ROLES, "error": str(exc)},
            status_code=422,
        )
    return _redirect("/workspace/users")


@router.get("/audit")
def audit(
    request: Request,
    db: DB,
    user: PageAdmin,
    patient_id: Annotated[int | None, Query()] = None,
    action: Annotated[str | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    action = action if action in AUDIT_ACTIONS else None
    per_page = 100
    entries = Audit(db).entries(
        limit=per_page + 1, offset=(page - 1) * per_page, patient_id=patient_id, action=action
    )
    return render(
        request,
        "ws_audit.html",
        {
            "user": user,
            "entries": entries[:per_page],
            "has_more": len(entries) > per_page,
            "page": page,
            "patient_id": patient_id,
            "action": action,
            "actions": AUDIT_ACTIONS,
        },
    )
