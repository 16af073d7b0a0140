"""Repositories: the only code that queries the tables. They never commit (the caller's
transaction — one per request — does), so nothing is half-stored when a request fails.

Which site's rows a query sees is not decided here but by the session's scope
(``persistence/scope.py``), applied to every ORM statement on a site's tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from cartrial.persistence.auth import (
    dummy_hash,
    hash_password,
    hash_token,
    needs_rehash,
    new_session_key,
    new_token,
    username_key,
    verify_password,
)
from cartrial.persistence.models import (
    AUDIT_ACTIONS,
    ROLES,
    ApiToken,
    AppMeta,
    AuditEntry,
    LoginFailure,
    PatientRecord,
    Screening,
    Site,
    User,
    WebSession,
    utcnow,
)


class RepositoryError(ValueError):
    """A request the data forbids (duplicate username, unknown role ...); the message says why."""


ACTOR = "actor"
"""``Session.info`` key of the signed-in user acting through this session (set at
authentication); account, site and token changes are audited in their name."""


def set_actor(db: Session, user: User) -> None:
    db.info[ACTOR] = user


def _actor(db: Session) -> User | None:
    found = db.info.get(ACTOR)
    return found if isinstance(found, User) else None


class Users:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, user_id: int) -> User | None:
        return self.db.get(User, user_id)

    def by_username(self, username: str) -> User | None:
        """The account named ``username``, whatever its case ("VERA" finds "vera")."""
        return self.db.scalar(select(User).where(User.username_key == username_key(username)))

    def count(self) -> int:
        return int(self.db.scalar(select(func.count()).select_from(User)) or 0)

    def all(self) -> Sequence[User]:
        return self.db.scalars(select(User).order_by(User.username)).all()

    def create(
        self, username: str, password: str, role: str, *, site_id: int | None = None
    ) -> User:
        """A new account at ``site_id`` (default: the first site). Usernames are unique
        regardless of case; a name only control characters or spaces is refused."""
        username = username.strip()
        if not username or len(username) > 80:
            raise RepositoryError("username must be 1-80 characters")
        if not username.isprintable() or not _encodable(username):
            raise RepositoryError("username must be printable text")
        if role not in ROLES:
            raise RepositoryError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < 8:
            raise RepositoryError("password must be at least 8 characters")
        if not _encodable(password):
            raise RepositoryError("password must be valid text")
        if self.by_username(username) is not None:
            raise RepositoryError(f"user {username!r} already exists")
        site = Sites(self.db).get(site_id) if site_id is not None else Sites(self.db).default()
        if site is None:
            raise RepositoryError(f"there is no site {site_id}")
        user = User(
            username=username,
            username_key=username_key(username),
            password_hash=hash_password(password),
            role=role,
            site_id=site.id,
        )
        self.db.add(user)
        self.db.flush()
        Audit(self.db).record(
            _actor(self.db),
            "create",
            None,
            f"user {username}: created ({role}, site {site.name})",
            site_id=site.id if role != "admin" else None,
        )
        return user

    def set_role(self, user: User, role: str) -> bool:
        """Change ``user``'s role; their sessions end (a session never outlives its rights)."""
        if role not in ROLES:
            raise RepositoryError(f"role must be one of {', '.join(ROLES)}")
        if user.role == role:
            return False
        before, user.role = user.role, role
        WebSessions(self.db).revoke_user(user.id)
        self.db.flush()
        Audit(self.db).record(
            _actor(self.db), "update", None, f"user {user.username}: role {before} -> {role}"
        )
        return True

    def set_site(self, user: User, site_id: int) -> bool:
        """Move ``user`` to another site; their sessions end."""
        site = Sites(self.db).get(site_id)
        if site is None:
            raise RepositoryError(f"there is no site {site_id}")
        if user.site_id == site.id:
            return False
        user.site_id = site.id
        WebSessions(self.db).revoke_user(user.id)
        self.db.flush()
        Audit(self.db).record(
            _actor(self.db), "update", None, f"user {user.username}: moved to site {site.name}"
        )
        return True

    def set_active(self, user: User, active: bool) -> bool:
        """Deactivate or reactivate ``user``; returns whether anything changed.

        A deactivated user cannot sign in, their open sessions are revoked and their API
        tokens are refused until they are reactivated.
        """
        if user.is_active == active:
            return False
        user.is_active = active
        if not active:
            WebSessions(self.db).revoke_user(user.id)
        self.db.flush()
        return True

    def set_password(self, user: User, password: str) -> None:
        """A new password (argon2id); every open session of the user is revoked (the caller
        opens a fresh one when users change their own password)."""
        if len(password) < 8:
            raise RepositoryError("password must be at least 8 characters")
        if not _encodable(password):
            raise RepositoryError("password must be valid text")
        user.password_hash = hash_password(password)
        WebSessions(self.db).revoke_user(user.id)
        self.db.flush()

    def authenticate(self, username: str, password: str) -> User | None:
        if not _encodable(username) or not _encodable(password):
            verify_password(dummy_hash(), "")
            return None
        user = self.by_username(username)
        if user is None or not user.is_active:
            verify_password(dummy_hash(), password)
            return None
        if not verify_password(user.password_hash, password):
            return None
        if needs_rehash(user.password_hash):  # argon2 parameters were raised since
            user.password_hash = hash_password(password)
        return user


def _encodable(text: str) -> bool:
    """False for strings with lone surrogates (which no database or response can encode)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Sites:
    """Trial centres. Administrators create and rename them; users and patients belong to one."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, site_id: int) -> Site | None:
        return self.db.get(Site, site_id)

    def all(self) -> Sequence[Site]:
        return self.db.scalars(select(Site).order_by(Site.name)).all()

    def default(self) -> Site | None:
        """The first site (created by the migration as "Main site")."""
        return self.db.scalar(select(Site).order_by(Site.id).limit(1))

    def by_name(self, name: str) -> Site | None:
        return self.db.scalar(select(Site).where(func.lower(Site.name) == name.strip().lower()))

    def create(self, name: str) -> Site:
        name = " ".join(name.split())
        if not name or len(name) > 120 or not _encodable(name) or not name.isprintable():
            raise RepositoryError("site name must be 1-120 printable characters")
        if self.by_name(name) is not None:
            raise RepositoryError(f"site {name!r} already exists")
        site = Site(name=name)
        self.db.add(site)
        self.db.flush()
        Audit(self.db).record(_actor(self.db), "create", None, f"site {site.name}: created")
        return site


class Tokens:
    def __init__(self, db: Session) -> None:
        self.db = db

    def create(self, user: User, name: str) -> tuple[ApiToken, str]:
        """A new token for ``user``; the plaintext is returned once and never stored."""
        plain = new_token()
        token = ApiToken(
            user_id=user.id, name=(name.strip() or "token")[:100], token_hash=hash_token(plain)
        )
        self.db.add(token)
        self.db.flush()
        Audit(self.db).record(
            _actor(self.db) or user,
            "create",
            None,
            f"API token #{token.id} of user {user.username}: created",
            site_id=user.site_id,
        )
        return token, plain

    def user_for(self, plain: str) -> User | None:
        token = self.active(plain)
        if token is None:
            return None
        self.touch(token)
        return token.user

    def active(self, plain: str) -> ApiToken | None:
        """The unrevoked token of an active user whose plaintext is ``plain`` (a read only)."""
        token = self.db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
        if token is None or token.revoked_at is not None or not token.user.is_active:
            return None
        return token

    def touch(self, token: ApiToken) -> None:
        """Note the token's use — at most once a minute, so reads do not all become writes."""
        now = utcnow()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            self.db.execute(
                update(ApiToken)
                .where(ApiToken.id == token.id)
                .values(last_used_at=now)
                .execution_options(synchronize_session=False)
            )

    def revoke_all(self, user: User) -> int:
        """Revoke every active token of ``user``; returns how many were revoked."""
        now = utcnow()
        active = self.db.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ).all()
        for token in active:
            token.revoked_at = now
        self.db.flush()
        if active:
            Audit(self.db).record(
                _actor(self.db),
                "revoke",
                None,
                f"{len(active)} API token(s) of user {user.username}: revoked",
                site_id=user.site_id,
            )
        return len(active)

    def active_count(self, user: User) -> int:
        return int(
            self.db.scalar(
                select(func.count())
                .select_from(ApiToken)
                .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            )
            or 0
        )

    def list_for(self, user: User) -> Sequence[ApiToken]:
        return self.db.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
        ).all()

    def revoke(self, user: User, token_id: int) -> bool:
        token = self.db.get(ApiToken, token_id)
        if token is None or token.user_id != user.id or token.revoked_at is not None:
            return False
        token.revoked_at = utcnow()
        self.db.flush()
        Audit(self.db).record(
            _actor(self.db) or user,
            "revoke",
            None,
            f"API token #{token.id} of user {user.username}: revoked",
            site_id=user.site_id,
        )
        return True


class Patients:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, patient_id: int) -> PatientRecord | None:
        return self.db.get(PatientRecord, patient_id)

    def count(self) -> int:
        return int(self.db.scalar(select(func.count()).select_from(PatientRecord)) or 0)

    def count_by_site(self) -> dict[int, int]:
        """Patients per site id (as far as the session's scope lets it see)."""
        rows = self.db.execute(
            select(PatientRecord.site_id, func.count()).group_by(PatientRecord.site_id)
        ).all()
        return {int(site): int(n) for site, n in rows}

    def search(
        self,
        *,
        q: str | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> Sequence[PatientRecord]:
        stmt = select(PatientRecord).order_by(PatientRecord.label, PatientRecord.id)
        if q:
            stmt = stmt.where(PatientRecord.label.ilike(f"%{q.strip()}%"))
        return self.db.scalars(stmt.limit(limit).offset(offset)).all()

    def create(
        self,
        *,
        owner: User | None,
        label: str,
        bundle: dict[str, Any],
        source_id: str | None = None,
        notes: str = "",
        site_id: int | None = None,
    ) -> PatientRecord:
        """A new record at ``site_id`` (default: the owner's site, else the first site)."""
        if site_id is None:
            site_id = owner.site_id if owner is not None else None
        if site_id is None:
            first = Sites(self.db).default()
            if first is None:
                raise RepositoryError("there is no site to hold the patient")
            site_id = first.id
        record = PatientRecord(
            site_id=site_id,
            owner_id=owner.id if owner else None,
            label=_label(label),
            bundle=bundle,
            source_id=source_id,
            notes=notes[:2000],
        )
        self.db.add(record)
        self.db.flush()
        return record

    def update(
        self,
        record: PatientRecord,
        *,
        label: str | None = None,
        bundle: dict[str, Any] | None = None,
        notes: str | None = None,
        source_id: str | None = None,
    ) -> list[str]:
        """Apply the given changes; returns the names of the fields that changed."""
        changed: list[str] = []
        if label is not None and _label(label) != record.label:
            record.label = _label(label)
            changed.append("label")
        if notes is not None and notes[:2000] != record.notes:
            record.notes = notes[:2000]
            changed.append("notes")
        if bundle is not None and bundle != record.bundle:
            record.bundle = bundle
            record.source_id = source_id
            record.version += 1
            changed.append("bundle")
        if changed:
            record.updated_at = utcnow()
            self.db.flush()
        return changed

    def delete(self, record: PatientRecord) -> None:
        self.db.execute(delete(Screening).where(Screening.patient_id == record.id))
        self.db.delete(record)
        self.db.flush()


def _label(label: str) -> str:
    label = " ".join(label.split())[:200]
    if not label:
        raise RepositoryError("label must not be empty")
    return label


@dataclass(frozen=True)
class Run:
    """One screening run: a patient screened against several trials at once."""

    run_id: str
    patient_id: int
    created_at: datetime
    as_of: date
    patient_version: int
    rows: tuple[Screening, ...]

    def by_trial(self) -> dict[str, Screening]:
        return {r.trial_id: r for r in self.rows}


class Screenings:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add_run(
        self,
        patient: PatientRecord,
        results: Iterable[dict[str, Any]],
        protocol_hashes: dict[str, str],
        user: User | None,
    ) -> str:
        """Store one run (one row per trial result JSON); returns its run id."""
        run_id = uuid.uuid4().hex
        now = utcnow()
        for res in results:
            trial = str(res["trial"])
            self.db.add(
                Screening(
                    run_id=run_id,
                    patient_id=patient.id,
                    site_id=patient.site_id,
                    trial_id=trial,
                    verdict=res["verdict"],
                    as_of=date.fromisoformat(res["as_of"]),
                    protocol_hash=protocol_hashes[trial],
                    patient_version=patient.version,
                    result=res,
                    created_by=user.id if user else None,
                    created_at=now,
                )
            )
        self.db.flush()
        return run_id

    def runs_for(self, patient_id: int) -> list[Run]:
        """Every run of one patient, newest first."""
        rows = self.db.scalars(
            select(Screening)
            .where(Screening.patient_id == patient_id)
            .order_by(Screening.id.desc())
        ).all()
        return _group(rows)

    def run(self, run_id: str) -> Run | None:
        rows = self.db.scalars(
            select(Screening).where(Screening.run_id == run_id).order_by(Screening.trial_id)
        ).all()
        runs = _group(rows)
        return runs[0] if runs else None

    def previous(self, run: Run) -> Run | None:
        """The run of the same patient just before ``run``."""
        runs = self.runs_for(run.patient_id)
        ids = [r.run_id for r in runs]
        i = ids.index(run.run_id)
        return runs[i + 1] if i + 1 < len(runs) else None

    def latest_for_trial(self, trial_id: str) -> list[Screening]:
        """Per patient, the newest screening against ``trial_id`` (the candidate list)."""
        newest = (
            select(Screening.patient_id, func.max(Screening.id).label("sid"))
            .where(Screening.trial_id == trial_id)
            .group_by(Screening.patient_id)
            .subquery()
        )
        return list(
            self.db.scalars(select(Screening).join(newest, Screening.id == newest.c.sid)).all()
        )

    def latest_for_patients(self, patient_ids: Iterable[int]) -> dict[int, Run]:
        out: dict[int, Run] = {}
        for pid in patient_ids:
            runs = self.runs_for(pid)
            if runs:
                out[pid] = runs[0]
        return out


def _group(rows: Sequence[Screening]) -> list[Run]:
    order: list[str] = []
    grouped: dict[str, list[Screening]] = {}
    for row in rows:
        if row.run_id not in grouped:
            order.append(row.run_id)
            grouped[row.run_id] = []
        grouped[row.run_id].append(row)
    runs = []
    for rid in order:
        items = sorted(grouped[rid], key=lambda r: r.trial_id)
        first = items[0]
        runs.append(
            Run(
                run_id=rid,
                patient_id=first.patient_id,
                created_at=first.created_at,
                as_of=first.as_of,
                patient_version=first.patient_version,
                rows=tuple(items),
            )
        )
    return runs


class Audit:
    def __init__(self, db: Session) -> None:
        self.db = db

    def record(
        self,
        user: User | None,
        action: str,
        patient_id: int | None,
        detail: str = "",
        *,
        site_id: int | None = None,
    ) -> AuditEntry:
        """Append one entry. Its site: ``site_id``, else the patient's, else the (non-admin)
        user's; installation-wide events (an admin's, or about users and sites) have none.

        There is deliberately no method to change or delete an entry, and the database
        refuses both (triggers of migration 0003).
        """
        if action not in AUDIT_ACTIONS:
            raise RepositoryError(f"audit action must be one of {', '.join(AUDIT_ACTIONS)}")
        if site_id is None and patient_id is not None:
            site_id = self.db.scalar(
                select(PatientRecord.site_id).where(PatientRecord.id == patient_id)
            )
        if site_id is None and user is not None and user.role != "admin":
            site_id = user.site_id
        entry = AuditEntry(
            user_id=user.id if user else None,
            username=user.username if user else "system",
            action=action,
            patient_id=patient_id,
            detail=detail[:200],
            site_id=site_id,
        )
        self.db.add(entry)
        self.db.flush()
        return entry

    def entries(
        self,
        *,
        limit: int = 200,
        offset: int = 0,
        patient_id: int | None = None,
        action: str | None = None,
        username: str | None = None,
    ) -> Sequence[AuditEntry]:
        stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        if patient_id is not None:
            stmt = stmt.where(AuditEntry.patient_id == patient_id)
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        if username:
            stmt = stmt.where(AuditEntry.username == username)
        return self.db.scalars(stmt.limit(limit).offset(offset)).all()


class LoginThrottle:
    """Failed sign-ins per username (a keyed hash, see ``auth.login_key``) in a sliding window.

    After ``max_failures`` failures within ``window`` further attempts are refused until the
    oldest of them leaves the window. The count lives in the database, so every worker process
    of a deployment shares it. Two attempts racing in parallel may both pass the check: the
    limit can be exceeded by the number of concurrent requests, never by more.
    """

    def __init__(self, db: Session, *, max_failures: int, window: timedelta) -> None:
        if max_failures < 1:
            raise RepositoryError("max_failures must be at least 1")
        self.db = db
        self.max_failures = max_failures
        self.window = window

    def blocked_until(self, key: str, now: datetime) -> datetime | None:
        """When attempts for ``key`` are allowed again, or None when they are allowed now."""
        recent = self.db.scalars(
            select(LoginFailure.at)
            .where(LoginFailure.username_key == key, LoginFailure.at > now - self.window)
            .order_by(LoginFailure.at.desc())
            .limit(self.max_failures)
        ).all()
        if len(recent) < self.max_failures:
            return None
        return recent[-1] + self.window  # the count drops below the limit when this one expires

    def failures(self, key: str, now: datetime) -> int:
        return int(
            self.db.scalar(
                select(func.count())
                .select_from(LoginFailure)
                .where(LoginFailure.username_key == key, LoginFailure.at > now - self.window)
            )
            or 0
        )

    def record_failure(self, key: str, now: datetime) -> None:
        """Count one failure for ``key``; failures that left the window are deleted."""
        self.db.execute(delete(LoginFailure).where(LoginFailure.at <= now - self.window))
        self.db.add(LoginFailure(username_key=key, at=now))
        self.db.flush()

    def clear(self, key: str) -> None:
        """Forget the failures of ``key`` (after a successful sign-in or a password reset)."""
        self.db.execute(delete(LoginFailure).where(LoginFailure.username_key == key))
        self.db.flush()


class WebSessions:
    """Server-side browser sessions: the cookie holds a random key, this table its SHA-256,
    the user and the session's small data (CSRF token, display name)."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def create(self, data: dict[str, Any], now: datetime) -> tuple[WebSession, str]:
        """A new session holding ``data``; returns the row and the key for the cookie."""
        key = new_session_key()
        uid = data.get("uid")
        row = WebSession(
            key_hash=hash_token(key),
            user_id=uid if isinstance(uid, int) else None,
            data=data,
            created_at=now,
            last_seen_at=now,
        )
        self.db.add(row)
        self.db.flush()
        return row, key

    def live(
        self, key: str, now: datetime, *, idle: timedelta, absolute: timedelta
    ) -> WebSession | None:
        """The session of ``key`` if it is neither revoked nor past a timeout."""
        row = self.db.scalar(select(WebSession).where(WebSession.key_hash == hash_token(key)))
        if row is None or row.revoked_at is not None:
            return None
        if now - row.last_seen_at > idle or now - row.created_at > absolute:
            return None
        return row

    def revoke(self, row: WebSession, now: datetime) -> None:
        if row.revoked_at is None:
            row.revoked_at = now
            self.db.flush()

    def revoke_user(self, user_id: int, now: datetime | None = None) -> int:
        """End every open session of one user (sign-out elsewhere, password, deactivation)."""
        result = self.db.execute(
            update(WebSession)
            .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
            .values(revoked_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def purge(self, now: datetime, *, idle: timedelta, absolute: timedelta) -> int:
        """Delete rows no cookie can use any more (revoked, idle or too old)."""
        result = self.db.execute(
            delete(WebSession).where(
                (WebSession.revoked_at.is_not(None))
                | (WebSession.last_seen_at < now - idle)
                | (WebSession.created_at < now - absolute)
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


class Meta:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, key: str) -> str | None:
        row = self.db.get(AppMeta, key)
        return row.value if row else None

    def set(self, key: str, value: str) -> None:
        row = self.db.get(AppMeta, key)
        if row is None:
            self.db.add(AppMeta(key=key, value=value))
        else:
            row.value = value
        self.db.flush()
