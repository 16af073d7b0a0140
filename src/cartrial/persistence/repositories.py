"""Repositories: the only code that queries the tables. They never commit (the caller's
transaction — one per request — does), so nothing is half-stored when a request fails."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cartrial.persistence.auth import (
    hash_password,
    hash_token,
    needs_rehash,
    new_token,
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
    User,
    utcnow,
)


@cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist: a wrong username costs as much time as a
    wrong password."""
    return hash_password("not-a-real-password")


class RepositoryError(ValueError):
    """A request the data forbids (duplicate username, unknown role ...); the message says why."""


class Users:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, user_id: int) -> User | None:
        return self.db.get(User, user_id)

    def by_username(self, username: str) -> User | None:
        return self.db.scalar(select(User).where(User.username == username.strip()))

    def count(self) -> int:
        return int(self.db.scalar(select(func.count()).select_from(User)) or 0)

    def all(self) -> Sequence[User]:
        return self.db.scalars(select(User).order_by(User.username)).all()

    def create(self, username: str, password: str, role: str) -> User:
        username = username.strip()
        if not username or len(username) > 80:
            raise RepositoryError("username must be 1-80 characters")
        if role not in ROLES:
            raise RepositoryError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < 8:
            raise RepositoryError("password must be at least 8 characters")
        if self.by_username(username) is not None:
            raise RepositoryError(f"user {username!r} already exists")
        user = User(username=username, password_hash=hash_password(password), role=role)
        self.db.add(user)
        self.db.flush()
        return user

    def set_active(self, user: User, active: bool) -> bool:
        """Deactivate or reactivate ``user``; returns whether anything changed.

        A deactivated user cannot sign in, their open sessions end at the next request and
        their API tokens are refused until they are reactivated.
        """
        if user.is_active == active:
            return False
        user.is_active = active
        self.db.flush()
        return True

    def set_password(self, user: User, password: str) -> None:
        """A new password (argon2id); the user's open sessions end at their next request."""
        if len(password) < 8:
            raise RepositoryError("password must be at least 8 characters")
        user.password_hash = hash_password(password)
        self.db.flush()

    def authenticate(self, username: str, password: str) -> User | None:
        user = self.by_username(username)
        if user is None or not user.is_active:
            verify_password(_dummy_hash(), password)
            return None
        if not verify_password(user.password_hash, password):
            return None
        if needs_rehash(user.password_hash):  # argon2 parameters were raised since
            user.password_hash = hash_password(password)
        return user


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
        return token, plain

    def user_for(self, plain: str) -> User | None:
        token = self.db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
        if token is None or token.revoked_at is not None or not token.user.is_active:
            return None
        token.last_used_at = utcnow()
        return token.user

    def revoke_all(self, user: User) -> int:
        """Revoke every active token of ``user``; returns how many were revoked."""
        now = utcnow()
        active = self.db.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ).all()
        for token in active:
            token.revoked_at = now
        self.db.flush()
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
        return True


class Patients:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, patient_id: int) -> PatientRecord | None:
        return self.db.get(PatientRecord, patient_id)

    def count(self) -> int:
        return int(self.db.scalar(select(func.count()).select_from(PatientRecord)) or 0)

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
    ) -> PatientRecord:
        record = PatientRecord(
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
        self, user: User | None, action: str, patient_id: int | None, detail: str = ""
    ) -> AuditEntry:
        if action not in AUDIT_ACTIONS:
            raise RepositoryError(f"audit action must be one of {', '.join(AUDIT_ACTIONS)}")
        entry = AuditEntry(
            user_id=user.id if user else None,
            username=user.username if user else "system",
            action=action,
            patient_id=patient_id,
            detail=detail[:200],
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
