"""Administration over the API (admin tokens only): sites and user accounts.

Every creation and change is audited by the repositories (``Users``, ``Sites``); a role or
site change ends the account's open sessions, a deactivation also refuses its tokens.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from cartrial.persistence.models import Site, User
from cartrial.persistence.repositories import Audit, Sites, Users
from cartrial.web.deps import DB, ApiAdmin, Id

router = APIRouter(tags=["administration"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown API token"},
    403: {"description": "the token's user is not an administrator"},
}


def site_json(site: Site) -> dict[str, Any]:
    return {"id": site.id, "name": site.name, "created_at": site.created_at.isoformat()}


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "site_id": user.site_id,
        "is_active": user.is_active,
        "created_at": user.created_at.isoformat(),
    }


class SiteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, description="the trial centre's name")


@router.get("/sites", summary="Sites (trial centres)", responses=_ERRORS)
def list_sites(db: DB, admin: ApiAdmin) -> list[dict[str, Any]]:
    return [site_json(s) for s in Sites(db).all()]


@router.post("/sites", status_code=201, summary="Create a site", responses=_ERRORS)
def create_site(body: SiteIn, db: DB, admin: ApiAdmin) -> dict[str, Any]:
    return site_json(Sites(db).create(body.name))


Role = Literal["admin", "coordinator", "viewer"]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=8, max_length=200)
    role: Role
    site_id: int = Field(ge=1, le=2**63 - 1)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    site_id: Annotated[int | None, Field(ge=1, le=2**63 - 1)] = None
    is_active: bool | None = None


@router.get("/users", summary="User accounts", responses=_ERRORS)
def list_users(db: DB, admin: ApiAdmin) -> list[dict[str, Any]]:
    return [user_json(u) for u in Users(db).all()]


@router.post("/users", status_code=201, summary="Create a user account", responses=_ERRORS)
def create_user(body: UserIn, db: DB, admin: ApiAdmin) -> dict[str, Any]:
    user = Users(db).create(body.username, body.password, body.role, site_id=body.site_id)
    return user_json(user)


@router.patch(
    "/users/{user_id}",
    summary="Change a user's role, site or active state",
    responses={**_ERRORS, 404: {"description": "no such user"}},
)
def patch_user(user_id: Id, body: UserPatch, db: DB, admin: ApiAdmin) -> dict[str, Any]:
    users = Users(db)
    account = users.get(user_id)
    if account is None:
        raise HTTPException(404, f"no user {user_id}")
    if account.id == admin.id and (body.is_active is False or body.role not in (None, "admin")):
        raise HTTPException(
            422, "you cannot deactivate or demote your own account (ask another administrator)"
        )
    if body.role is not None:
        users.set_role(account, body.role)
    if body.site_id is not None:
        users.set_site(account, body.site_id)
    if body.is_active is not None and users.set_active(account, body.is_active):
        state = "reactivated" if body.is_active else "deactivated"
        Audit(db).record(admin, "update", None, f"user {account.username}: {state}")
    return user_json(account)
