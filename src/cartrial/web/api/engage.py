"""REST API of the engage area: RFC 8058 one-click unsubscribe (mail clients POST to the
``List-Unsubscribe`` link without a page or CSRF token; the signed link is the credential)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from starlette.responses import Response

from cartrial.engage.volunteers import LinkError, Volunteers
from cartrial.web.deps import DB, Now
from cartrial.web.pages.engage import EngageDep

router = APIRouter(tags=["engage"])


@router.post("/volunteers/unsubscribe/{token}", status_code=204)
def one_click_unsubscribe(token: str, db: DB, engage: EngageDep, now: Now) -> Response:
    """Stop alerts for the volunteer the signed link names (idempotent)."""
    repo = Volunteers(db, engage)
    try:
        v = repo.from_token(token, "unsubscribe")
    except LinkError as exc:
        raise HTTPException(404, str(exc)) from None
    repo.unsubscribe(v, now)
    return Response(status_code=204)
