"""Workspace API tokens: list, create (shown once) and revoke your own."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from cartrial.persistence.repositories import Tokens
from cartrial.web.bodies import form_text, read_form
from cartrial.web.deps import DB, AppSettings, Id, PageUser
from cartrial.web.pages.ws_common import see_other
from cartrial.web.templating import render

router = APIRouter(prefix="/workspace")


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
def revoke_token(token_id: Id, db: DB, user: PageUser) -> Response:
    if not Tokens(db).revoke(user, token_id):
        raise HTTPException(404, "There is no such active token of yours.")
    return see_other("/workspace/tokens")
