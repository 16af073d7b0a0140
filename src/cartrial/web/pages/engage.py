"""Pages of the engage area: contact requests (trial page form, confirmation, workspace inbox),
volunteer sign-up (confirm, manage, unsubscribe), private notes and share links, the privacy
export, and the outbox view for administrators.

Handlers hold no logic of their own beyond reading forms: the work is in ``cartrial.engage``.
Nothing a visitor types reaches a log line (the access log records route templates only).
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request
from pydantic import ValidationError
from starlette.responses import JSONResponse, RedirectResponse, Response

from cartrial.engage import conditions
from cartrial.engage.contact import (
    PREFERRED_TIMES,
    STATUS_LABELS,
    ContactInput,
    ContactRequests,
    consent_text,
    queue_contact_mails,
    site_key,
    site_label,
)
from cartrial.engage.mail import Outbox
from cartrial.engage.notes import NoteError, Notes
from cartrial.engage.privacy import queue_export
from cartrial.engage.ratelimit import RateLimited, RateLimiter
from cartrial.engage.service import Engage
from cartrial.engage.settings import EngageSettings
from cartrial.engage.volunteers import LinkError, VolunteerInput, Volunteers
from cartrial.finder.service import Finder
from cartrial.finder.store import Entry
from cartrial.persistence.engage_models import CONTACT_STATUSES, ContactRequest, Volunteer
from cartrial.persistence.models import User
from cartrial.persistence.repositories import Sites
from cartrial.web.bodies import BadInput, read_body, read_form
from cartrial.web.deps import (
    DB,
    AppSettings,
    AppState,
    Now,
    PageAdmin,
    PageEditor,
    PageUser,
    Today,
    current_user,
    get_now,
    get_state,
)
from cartrial.web.finder_deps import FinderDep, resolve_place
from cartrial.web.templating import render

router = APIRouter()

NOTEBOOK_COOKIE = "cartrial_notebook"
NOTEBOOK_MAX_AGE = 365 * 24 * 3600
MAX_JSON_BYTES = 20_000


# ------------------------------------------------------------------ dependencies


def get_engage(request: Request) -> Engage:
    """One ``Engage`` per app: settings from ``app.state.engage_settings`` (tests) or the
    environment, keyed with the app's secret."""
    engage: Engage | None = getattr(request.app.state, "engage", None)
    if engage is None:
        settings = getattr(request.app.state, "engage_settings", None) or EngageSettings()
        state: AppState = request.app.state.cartrial
        engage = Engage(settings=settings, secret=state.secret_key)
        request.app.state.engage = engage
    return engage


EngageDep = Annotated[Engage, Depends(get_engage)]
OptionalUser = Annotated[User | None, Depends(current_user)]


def send_mail_soon(background: BackgroundTasks, request: Request) -> None:
    """After the response (and the request's commit), try to send what is due."""
    state: AppState = get_state(request)
    engage = get_engage(request)
    now_fn = request.app.dependency_overrides.get(get_now, get_now)
    background.add_task(engage.send_pending, state.sessions, now=now_fn())


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def entry_or_404(finder: Finder, nct_id: str) -> Entry:
    entry = finder.store.get(nct_id)
    if entry is None:
        raise HTTPException(404, f"There is no trial {nct_id}.")
    return entry


def see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _form_dict(form: Any, names: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        out[name] = value if isinstance(value, str) else ""
    return out


def _problems(exc: ValidationError) -> list[str]:
    lines = []
    for e in exc.errors():
        field = ".".join(str(p) for p in e.get("loc", ()) if p != "__root__")
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        lines.append(f"{field}: {msg}" if field else msg)
    return lines


# ------------------------------------------------------------------ contact requests


def contact_context(
    finder: Finder, entry: Entry, engage: Engage, near: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The site choices in the finder's order (nearest to ``near`` first, preselected)."""
    answer = resolve_place(finder, near)
    origin = answer.place.point if answer.place else None
    ordered = entry.sites_by_distance(origin)
    ctx: dict[str, Any] = {
        "engage_sites": [
            {
                "key": site_key(sd.site),
                "label": site_label(sd.site) + (f" ({sd.km:.0f} km)" if sd.km is not None else ""),
                "selected": i == 0,
            }
            for i, sd in enumerate(ordered)
        ],
        "engage_near": answer.place.label if answer.place else "",
        "engage_consent": consent_text(engage.settings.retention_days),
        "engage_times": PREFERRED_TIMES,
        "engage_values": {},
        "engage_errors": [],
    }
    ctx.update(extra)
    return ctx


@router.get("/trials/{nct_id}/contact")
def contact_page(
    request: Request, nct_id: str, finder: FinderDep, engage: EngageDep, near: str = ""
) -> Response:
    entry = entry_or_404(finder, nct_id)
    ctx = contact_context(finder, entry, engage, near[:120] or None)
    fragment = request.headers.get("hx-request") == "true"
    name = "_engage_contact_form.html" if fragment else "engage_contact.html"
    return render(request, name, {"entry": entry, "trial": entry.trial, **ctx})


@router.post("/trials/{nct_id}/contact/prefill")
async def contact_prefill(
    request: Request,
    nct_id: str,
    finder: FinderDep,
    engage: EngageDep,
    settings: AppSettings,
) -> Response:
    """The contact page with a pre-screening summary filled in (posted by a results page; the
    visitor still reads, edits or removes it before sending). Nothing is stored here."""
    entry = entry_or_404(finder, nct_id)
    form = await read_form(request, settings.max_bundle_bytes)
    summary = form.get("summary")
    values = {"summary": summary[:4000] if isinstance(summary, str) else ""}
    ctx = contact_context(finder, entry, engage, engage_values=values)
    return render(request, "engage_contact.html", {"entry": entry, "trial": entry.trial, **ctx})


@router.post("/trials/{nct_id}/contact")
async def contact_submit(
    request: Request,
    nct_id: str,
    finder: FinderDep,
    engage: EngageDep,
    settings: AppSettings,
    db: DB,
    now: Now,
    background: BackgroundTasks,
) -> Response:
    entry = entry_or_404(finder, nct_id)
    form = await read_form(request, settings.max_bundle_bytes)
    fields = _form_dict(
        form,
        (
            "name",
            "email",
            "phone",
            "language",
            "preferred_time",
            "site",
            "message",
            "summary",
            "website",
        ),
    )
    if fields.pop("website"):  # the honeypot: people never see it, form robots fill it in
        return see_other(f"/contact/sent?trial={nct_id}")
    sites = {site_key(s): s for s in entry.trial.sites}
    errors: list[str] = []
    data: ContactInput | None = None
    try:
        data = ContactInput(**fields, consent=form.get("consent") == "yes")
    except ValidationError as exc:
        errors = _problems(exc)
    site = sites.get(fields["site"])
    if site is None:
        errors.append("site: choose one of this trial's sites")
    if data is not None and site is not None and not errors:
        contacts = ContactRequests(db, engage)
        try:
            row = contacts.create(
                data,
                nct_id=nct_id,
                site=site,
                now=now,
                client_ip=client_ip(request),
                workspace_site_id=_workspace_site_id(db, site.facility),
            )
        except RateLimited as exc:
            errors.append(str(exc))
        else:
            queue_contact_mails(
                db,
                engage,
                row,
                data,
                title=entry.trial.brief_title or entry.trial.title,
                site=site,
                base_url=str(request.base_url),
                now=now,
            )
            send_mail_soon(background, request)
            return see_other(f"/contact/sent?trial={nct_id}&email={'1' if data.email else '0'}")
    ctx = contact_context(finder, entry, engage, engage_values=fields, engage_errors=errors)
    for s in ctx["engage_sites"]:
        s["selected"] = s["key"] == fields["site"]
    return render(
        request,
        "engage_contact.html",
        {"entry": entry, "trial": entry.trial, **ctx},
        status_code=429 if any("Too many" in e for e in errors) else 422,
    )


def _workspace_site_id(db: DB, facility: str | None) -> int | None:
    """The workspace site named like the registry facility (case-insensitive), if any: its
    coordinators see the request; administrators see every request."""
    if not facility:
        return None
    site = Sites(db).by_name(facility)
    return site.id if site is not None else None


@router.get("/contact/sent")
def contact_sent(
    request: Request, finder: FinderDep, trial: str = "", email: str = "1"
) -> Response:
    entry = finder.store.get(trial[:20]) if trial else None
    return render(request, "engage_contact_sent.html", {"entry": entry, "mailed": email == "1"})


# ------------------------------------------------------------------ workspace inbox


def _scope(user: User) -> int | None:
    """Coordinators and viewers see their site's requests; administrators see every site."""
    if user.role == "admin":
        return None
    site_id = getattr(user, "site_id", None)
    return int(site_id) if site_id is not None else -1


@router.get("/workspace/inbox")
def inbox(
    request: Request, db: DB, user: PageUser, engage: EngageDep, status: str = ""
) -> Response:
    contacts = ContactRequests(db, engage)
    scope = _scope(user)
    chosen = status if status in CONTACT_STATUSES else None
    rows = contacts.query(status=chosen, workspace_site_id=scope)
    return render(
        request,
        "engage_inbox.html",
        {
            "user": user,
            "rows": [contacts.view(r) for r in rows],
            "counts": contacts.counts(scope),
            "status": chosen or "",
            "labels": STATUS_LABELS,
        },
    )


def _request_or_404(db: DB, request_id: int, user: User) -> ContactRequest:
    row = db.get(ContactRequest, request_id)
    scope = _scope(user)
    if row is None or (scope is not None and row.workspace_site_id != scope):
        raise HTTPException(404, f"There is no contact request {request_id} for your site.")
    return row


@router.get("/workspace/inbox/{request_id}")
def inbox_item(
    request: Request, request_id: int, db: DB, user: PageUser, engage: EngageDep, now: Now
) -> Response:
    row = _request_or_404(db, request_id, user)
    contacts = ContactRequests(db, engage)
    contacts.record_view(row, user_id=user.id, username=user.username, now=now)
    return render(
        request,
        "engage_inbox_item.html",
        {
            "user": user,
            "item": contacts.view(row),
            "events": contacts.events(row),
            "statuses": CONTACT_STATUSES,
            "labels": STATUS_LABELS,
        },
    )


@router.post("/workspace/inbox/{request_id}")
async def inbox_update(
    request: Request,
    request_id: int,
    db: DB,
    user: PageEditor,
    engage: EngageDep,
    settings: AppSettings,
    now: Now,
) -> Response:
    row = _request_or_404(db, request_id, user)
    form = await read_form(request, settings.max_bundle_bytes)
    fields = _form_dict(form, ("status", "note"))
    try:
        ContactRequests(db, engage).update(
            row,
            status=fields["status"] or None,
            note=fields["note"],
            user_id=user.id,
            username=user.username,
            now=now,
        )
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    return see_other(f"/workspace/inbox/{request_id}")


@router.get("/workspace/outbox")
def outbox_page(request: Request, db: DB, user: PageAdmin, engage: EngageDep) -> Response:
    """Administrators read the outbox: with no SMTP_URL this is where mail ends up."""
    outbox = Outbox(db, engage.cipher)
    rows = outbox.recent()
    return render(
        request,
        "engage_outbox.html",
        {
            "user": user,
            "rows": [(r, outbox.mail_of(r)) for r in rows],
            "configured": engage.settings.smtp_url is not None,
            "pending": outbox.pending_count(),
        },
    )


# ------------------------------------------------------------------ volunteers


VOLUNTEER_FIELDS = ("email", "age", "country", "city", "travel_km")


def _volunteer_input(form: Any) -> tuple[VolunteerInput | None, dict[str, Any], list[str]]:
    fields: dict[str, Any] = _form_dict(form, VOLUNTEER_FIELDS)
    fields["conditions"] = [c for c in form.getlist("conditions") if isinstance(c, str)]
    raw = dict(fields)
    if not raw["travel_km"]:
        raw["travel_km"] = None
    try:
        return VolunteerInput(**raw), fields, []
    except ValidationError as exc:
        return None, fields, _problems(exc)


@router.get("/volunteer")
def volunteer_page(request: Request) -> Response:
    return render(
        request,
        "engage_volunteer.html",
        {"conditions": conditions.choices(), "values": {"conditions": []}, "errors": []},
    )


@router.post("/volunteer")
async def volunteer_submit(
    request: Request,
    engage: EngageDep,
    settings: AppSettings,
    db: DB,
    now: Now,
    today: Today,
    background: BackgroundTasks,
) -> Response:
    form = await read_form(request, settings.max_bundle_bytes)
    if form.get("website"):
        return render(request, "engage_volunteer_sent.html", {})
    data, fields, errors = _volunteer_input(form)
    if data is not None:
        try:
            RateLimiter(db, engage.cipher).check_and_count(
                "volunteer-ip",
                client_ip(request),
                limit=engage.settings.contact_per_ip_per_hour,
                window=timedelta(hours=1),
                now=now,
                what="this network address",
            )
            Volunteers(db, engage).sign_up(
                data,
                known_conditions=conditions.known_keys(),
                today=today,
                now=now,
                base_url=str(request.base_url),
            )
        except (ValueError, RateLimited) as exc:
            errors = [str(exc)]
        else:
            send_mail_soon(background, request)
            return render(request, "engage_volunteer_sent.html", {})
    return render(
        request,
        "engage_volunteer.html",
        {"conditions": conditions.choices(), "values": fields, "errors": errors},
        status_code=422,
    )


def _volunteer(
    db: DB, engage: Engage, token: str, salt: str, now: datetime | None = None
) -> Volunteer:
    try:
        return Volunteers(db, engage).from_token(token, salt, now)
    except LinkError as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/volunteer/confirm/{token}")
def volunteer_confirm(
    request: Request, token: str, db: DB, engage: EngageDep, now: Now
) -> Response:
    v = _volunteer(db, engage, token, "confirm", now)
    Volunteers(db, engage).confirm(v, now)
    return see_other(Volunteers(db, engage).link(v, "manage", "") + "?confirmed=1")


def _manage_context(db: DB, engage: Engage, v: Volunteer) -> dict[str, Any]:
    repo = Volunteers(db, engage)
    p = repo.profile(v)
    return {
        "v": v,
        "profile": p,
        "alerted": repo.alerted(v),
        "condition_labels": [conditions.label(k) for k in p.conditions],
        "conditions": conditions.choices(),
        "values": {
            "email": p.email,
            "conditions": p.conditions,
            "age": p.age_at(p.age_on),
            "country": p.country,
            "city": p.city,
            "travel_km": p.travel_km or "",
        },
        "errors": [],
    }


@router.get("/volunteer/manage/{token}")
def volunteer_manage(
    request: Request,
    token: str,
    db: DB,
    engage: EngageDep,
    confirmed: str = "",
) -> Response:
    v = _volunteer(db, engage, token, "manage")
    ctx = _manage_context(db, engage, v)
    return render(
        request,
        "engage_volunteer_manage.html",
        {**ctx, "token": token, "confirmed": confirmed == "1"},
    )


@router.post("/volunteer/manage/{token}")
async def volunteer_update(
    request: Request,
    token: str,
    db: DB,
    engage: EngageDep,
    settings: AppSettings,
    today: Today,
) -> Response:
    v = _volunteer(db, engage, token, "manage")
    form = await read_form(request, settings.max_bundle_bytes)
    data, fields, errors = _volunteer_input(form)
    if data is not None:
        try:
            Volunteers(db, engage).update(
                v, data, known_conditions=conditions.known_keys(), today=today
            )
        except ValueError as exc:
            errors = [str(exc)]
        else:
            return see_other(f"/volunteer/manage/{token}")
    ctx = _manage_context(db, engage, v)
    ctx.update(values=fields, errors=errors, token=token)
    return render(request, "engage_volunteer_manage.html", ctx, status_code=422)


@router.post("/volunteer/manage/{token}/delete")
def volunteer_delete(request: Request, token: str, db: DB, engage: EngageDep) -> Response:
    v = _volunteer(db, engage, token, "manage")
    Volunteers(db, engage).delete(v)
    return render(request, "engage_volunteer_done.html", {"what": "deleted"})


@router.get("/volunteer/unsubscribe/{token}")
def volunteer_unsubscribe_page(request: Request, token: str, db: DB, engage: EngageDep) -> Response:
    v = _volunteer(db, engage, token, "unsubscribe")
    return render(request, "engage_unsubscribe.html", {"token": token, "status": v.status})


@router.post("/volunteer/unsubscribe/{token}")
def volunteer_unsubscribe(
    request: Request, token: str, db: DB, engage: EngageDep, now: Now
) -> Response:
    v = _volunteer(db, engage, token, "unsubscribe")
    Volunteers(db, engage).unsubscribe(v, now)
    return render(request, "engage_volunteer_done.html", {"what": "unsubscribed"})


# ------------------------------------------------------------------ privacy export


@router.get("/privacy")
def privacy_page(request: Request, engage: EngageDep) -> Response:
    return render(request, "engage_privacy.html", {"settings": engage.settings, "sent": False})


@router.post("/privacy/export")
async def privacy_export(
    request: Request,
    db: DB,
    engage: EngageDep,
    settings: AppSettings,
    now: Now,
    background: BackgroundTasks,
) -> Response:
    form = await read_form(request, settings.max_bundle_bytes)
    email = form.get("email")
    from cartrial.engage.contact import check_email

    try:
        address = check_email(email if isinstance(email, str) else "")
        RateLimiter(db, engage.cipher).check_and_count(
            "export-ip",
            client_ip(request),
            limit=5,
            window=timedelta(hours=1),
            now=now,
            what="this network address",
        )
    except ValueError as exc:
        raise BadInput(f"email: {exc}") from None
    except RateLimited as exc:
        raise BadInput(str(exc), 429) from None
    queue_export(db, engage, address, now=now)
    send_mail_soon(background, request)
    return render(request, "engage_privacy.html", {"settings": engage.settings, "sent": True})


# ------------------------------------------------------------------ notes and share links


def json_error(status: int, message: str) -> Response:
    """The notes endpoints answer the page's script in JSON, errors included."""
    return JSONResponse({"detail": message}, status_code=status)


def _notebook_key(request: Request) -> str | None:
    key = request.cookies.get(NOTEBOOK_COOKIE)
    return key if key and 20 <= len(key) <= 100 else None


def _set_notebook_cookie(response: Response, key: str, settings: AppSettings) -> None:
    response.set_cookie(
        NOTEBOOK_COOKIE,
        key,
        max_age=NOTEBOOK_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
    )


def _notebook(
    db: DB, engage: Engage, request: Request, user: User | None, create: bool
) -> tuple[Any, str | None]:
    """The visitor's notebook and, for a new anonymous one, the cookie key to set."""
    notes = Notes(db, engage)
    if user is not None:
        return notes.notebook(user_id=user.id, cookie_key=None, create=create), None
    key = _notebook_key(request)
    new_key = None
    if key is None and create:
        key = new_key = secrets.token_urlsafe(32)
    return notes.notebook(user_id=None, cookie_key=key, create=create), new_key


@router.get("/notes/{nct_id}")
def notes_list(
    request: Request, nct_id: str, db: DB, engage: EngageDep, user: OptionalUser
) -> Response:
    nb, _ = _notebook(db, engage, request, user, create=False)
    notes = Notes(db, engage)
    items = [n.as_json() for n in notes.of(nb, nct_id)] if nb is not None else []
    shares = []
    if nb is not None:
        for s in notes.shares(nb, nct_id):
            shares.append(
                {
                    "id": s.id,
                    "created_at": s.created_at.isoformat(),
                    "expires_at": s.expires_at.isoformat() if s.expires_at else None,
                    "revoked": s.revoked_at is not None,
                }
            )
    return JSONResponse({"notes": items, "shares": shares, "signed_in": user is not None})


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await read_body(request, MAX_JSON_BYTES)
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise NoteError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise NoteError("the body must be a JSON object")
    return data


def _str(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise NoteError(f"{name}: must be text")
    return value


@router.post("/notes/{nct_id}")
async def notes_add(
    request: Request,
    nct_id: str,
    db: DB,
    engage: EngageDep,
    finder: FinderDep,
    settings: AppSettings,
    user: OptionalUser,
    now: Now,
) -> Response:
    entry = entry_or_404(finder, nct_id)
    nb, new_key = _notebook(db, engage, request, user, create=True)
    try:
        data = await _json_body(request)
        note = Notes(db, engage).add(
            nb,
            nct_id=nct_id,
            exact=_str(data, "exact"),
            prefix=_str(data, "prefix"),
            suffix=_str(data, "suffix"),
            body=_str(data, "body"),
            protocol_version=str(entry.trial.last_updated or ""),
            now=now,
        )
    except NoteError as exc:
        return json_error(422, str(exc))
    response = JSONResponse(Notes(db, engage).view(note).as_json(), status_code=201)
    if new_key:
        _set_notebook_cookie(response, new_key, settings)
    return response


@router.post("/notes/{nct_id}/{note_id}/delete")
def notes_delete(
    request: Request, nct_id: str, note_id: int, db: DB, engage: EngageDep, user: OptionalUser
) -> Response:
    nb, _ = _notebook(db, engage, request, user, create=False)
    notes = Notes(db, engage)
    note = notes.get(nb, note_id) if nb is not None else None
    if note is None:
        return json_error(404, f"There is no note {note_id} in your notebook.")
    notes.delete(note)
    return Response(status_code=204)


@router.post("/notes/{nct_id}/share")
async def notes_share(
    request: Request,
    nct_id: str,
    db: DB,
    engage: EngageDep,
    finder: FinderDep,
    user: OptionalUser,
    now: Now,
) -> Response:
    entry_or_404(finder, nct_id)
    nb, _ = _notebook(db, engage, request, user, create=False)
    if nb is None:
        return json_error(422, "there are no notes on this trial to share yet")
    try:
        data = await _json_body(request)
        days = data.get("expires_days")
        if days is not None and (not isinstance(days, int) or isinstance(days, bool)):
            raise NoteError("expires_days: must be a whole number of days")
        link, token, passcode = Notes(db, engage).share(
            nb, nct_id=nct_id, passcode=_str(data, "passcode") or None, expires_days=days, now=now
        )
    except NoteError as exc:
        return json_error(422, str(exc))
    return JSONResponse(
        {
            "id": link.id,
            "url": str(request.base_url).rstrip("/") + f"/s/{token}",
            "passcode": passcode,
            "expires_at": link.expires_at.isoformat() if link.expires_at else None,
        },
        status_code=201,
    )


@router.post("/notes/shares/{share_id}/revoke")
def notes_revoke(
    request: Request, share_id: int, db: DB, engage: EngageDep, user: OptionalUser, now: Now
) -> Response:
    nb, _ = _notebook(db, engage, request, user, create=False)
    if nb is None or not Notes(db, engage).revoke(nb, share_id, now):
        return json_error(404, f"There is no share link {share_id} of yours.")
    return Response(status_code=204)


@router.get("/notes-export")
def notes_export(request: Request, db: DB, engage: EngageDep, user: OptionalUser) -> Response:
    nb, _ = _notebook(db, engage, request, user, create=False)
    data = (
        Notes(db, engage).export(nb)
        if nb is not None
        else {"format": "cartrial-notebook/1", "notes": []}
    )
    return JSONResponse(
        data, headers={"content-disposition": 'attachment; filename="cartrial-notes.json"'}
    )


@router.get("/s/{token}")
def share_page(request: Request, token: str, db: DB, engage: EngageDep, now: Now) -> Response:
    link = Notes(db, engage).by_token(token)
    if not Notes(db, engage).live(link, now):
        raise HTTPException(404, "This share link does not exist, has expired or was revoked.")
    return render(
        request, "engage_share_passcode.html", {"token": token, "message": "", "locked_until": None}
    )


@router.post("/s/{token}")
async def share_open(
    request: Request,
    token: str,
    db: DB,
    engage: EngageDep,
    finder: FinderDep,
    settings: AppSettings,
    now: Now,
) -> Response:
    form = await read_form(request, settings.max_bundle_bytes)
    passcode = form.get("passcode")
    outcome = Notes(db, engage).open_share(
        token, passcode if isinstance(passcode, str) else "", now
    )
    if outcome.status == "gone":
        raise HTTPException(404, "This share link does not exist, has expired or was revoked.")
    if outcome.status != "ok":
        if outcome.status == "locked":
            message = "Too many wrong passcodes: this link is locked for now."
            status = 423
        else:
            message = f"Wrong passcode. {outcome.remaining} tries left before the link locks."
            status = 401
        return render(
            request,
            "engage_share_passcode.html",
            {"token": token, "message": message, "locked_until": outcome.locked_until},
            status_code=status,
        )
    assert outcome.share is not None
    entry = entry_or_404(finder, outcome.share.nct_id)
    request.state.engage_share = {
        "notes": [n.as_json() for n in outcome.notes],
        "nct_id": entry.nct_id,
    }
    return _trial_page(request, entry.nct_id, finder)


def _trial_page(request: Request, nct_id: str, finder: Finder) -> Response:
    """The public trial page itself (the finder's handler), for the read-only share view:
    ``_trial_engage.html`` sees ``request.state.engage_share`` and shows the shared notes."""
    import inspect

    from cartrial.web.deps import get_catalog
    from cartrial.web.pages import public

    known: dict[str, Any] = {
        "request": request,
        "nct_id": nct_id,
        "finder": finder,
        "catalog": get_catalog(get_state(request)),
    }
    params = inspect.signature(public.trial_page).parameters
    response: Response = public.trial_page(**{k: v for k, v in known.items() if k in params})
    return response
