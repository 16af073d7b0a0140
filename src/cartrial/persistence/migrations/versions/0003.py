"""Hardening: server-side sessions, sites, patient versions, audit completeness (issue 15).

- ``sites`` (a trial centre); every user, patient, screening and (site-bound) audit entry
  belongs to one. Existing rows go to the site "Main site" created here.
- ``users.username_key``: the case-folded name, unique ("VERA" and "vera" are one account).
  The upgrade stops, naming them, if existing usernames differ only by case.
- ``patients.row_version``: the optimistic lock (ETag / If-Match).
- ``audit_log``: wider action column (sign-in, sign-out, failed sign-in, revoke), ``site_id``,
  and triggers that refuse UPDATE and DELETE (append-only).
- ``web_sessions``: server-side browser sessions (the cookie holds only a random id).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

TS = sa.DateTime(timezone=True)
OLD_ACTIONS = "action IN ('view', 'create', 'update', 'export', 'delete')"
NEW_ACTIONS = (
    "action IN ('view', 'create', 'update', 'export', 'delete', 'revoke', 'login', 'logout', "
    "'login_failed')"
)
APPEND_ONLY = "audit_log is append-only"


def _key(username: str) -> str:
    return unicodedata.normalize("NFKC", username.strip()).casefold()


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("name", name=op.f("uq_sites_name")),
    )
    sites = sa.table("sites", sa.column("id"), sa.column("name"), sa.column("created_at", TS))
    op.bulk_insert(sites, [{"id": 1, "name": "Main site", "created_at": datetime.now(UTC)}])
    if not sqlite:  # the explicit id 1 must not collide with the sequence later
        op.execute("SELECT setval(pg_get_serial_sequence('sites', 'id'), 1)")

    # ---- users: case-insensitive unique names, a site
    op.add_column("users", sa.Column("username_key", sa.String(length=80), nullable=True))
    op.add_column("users", sa.Column("site_id", sa.Integer(), nullable=True))
    rows = bind.execute(sa.text("SELECT id, username FROM users ORDER BY id")).all()
    seen: dict[str, str] = {}
    for uid, name in rows:
        key = _key(name)
        if key in seen:
            raise RuntimeError(
                f"usernames {seen[key]!r} and {name!r} differ only by case: rename one "
                "(cartrial users) before upgrading"
            )
        seen[key] = name
        bind.execute(
            sa.text("UPDATE users SET username_key = :k, site_id = 1 WHERE id = :i"),
            {"k": key, "i": uid},
        )
    with op.batch_alter_table("users") as batch:
        batch.alter_column("username_key", existing_type=sa.String(80), nullable=False)
        batch.alter_column("site_id", existing_type=sa.Integer(), nullable=False)
        batch.create_unique_constraint(op.f("uq_users_username_key"), ["username_key"])
        batch.create_foreign_key(op.f("fk_users_site_id_sites"), "sites", ["site_id"], ["id"])
        batch.create_index(op.f("ix_users_site_id"), ["site_id"])

    # ---- patients: site, optimistic lock
    op.add_column("patients", sa.Column("site_id", sa.Integer(), nullable=True))
    op.add_column("patients", sa.Column("row_version", sa.Integer(), nullable=True))
    op.execute("UPDATE patients SET site_id = 1, row_version = 1")
    with op.batch_alter_table("patients") as batch:
        batch.alter_column("site_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("row_version", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(op.f("fk_patients_site_id_sites"), "sites", ["site_id"], ["id"])
        batch.create_index(op.f("ix_patients_site_id"), ["site_id"])

    # ---- screenings: the patient's site
    op.add_column("screenings", sa.Column("site_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE screenings SET site_id = "
        "(SELECT patients.site_id FROM patients WHERE patients.id = screenings.patient_id)"
    )
    with op.batch_alter_table("screenings") as batch:
        batch.alter_column("site_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(op.f("fk_screenings_site_id_sites"), "sites", ["site_id"], ["id"])
        batch.create_index(op.f("ix_screenings_site_id"), ["site_id"])

    # ---- audit log: more actions, a site, append-only
    op.add_column("audit_log", sa.Column("site_id", sa.Integer(), nullable=True))
    op.execute("UPDATE audit_log SET site_id = 1 WHERE detail NOT LIKE 'user %'")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_constraint(op.f("ck_audit_log_action"), type_="check")
        batch.alter_column(
            "action", existing_type=sa.String(10), type_=sa.String(20), existing_nullable=False
        )
        batch.create_check_constraint(op.f("ck_audit_log_action"), NEW_ACTIONS)
        batch.create_foreign_key(op.f("fk_audit_log_site_id_sites"), "sites", ["site_id"], ["id"])
        batch.create_index(op.f("ix_audit_log_site_id"), ["site_id"])
    _append_only_triggers(sqlite)

    # ---- server-side sessions
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_web_sessions_key_hash")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"])
    op.create_index(op.f("ix_web_sessions_last_seen_at"), "web_sessions", ["last_seen_at"])


def _append_only_triggers(sqlite: bool) -> None:
    if sqlite:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    )


def _drop_triggers(sqlite: bool) -> None:
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index(op.f("ix_web_sessions_last_seen_at"), table_name="web_sessions")
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    _drop_triggers(sqlite)
    op.execute(
        "DELETE FROM audit_log WHERE action NOT IN ('view', 'create', 'update', 'export', 'delete')"
    )
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index(op.f("ix_audit_log_site_id"))
        batch.drop_constraint(op.f("fk_audit_log_site_id_sites"), type_="foreignkey")
        batch.drop_column("site_id")
        batch.drop_constraint(op.f("ck_audit_log_action"), type_="check")
        batch.alter_column(
            "action", existing_type=sa.String(20), type_=sa.String(10), existing_nullable=False
        )
        batch.create_check_constraint(op.f("ck_audit_log_action"), OLD_ACTIONS)
    with op.batch_alter_table("screenings") as batch:
        batch.drop_index(op.f("ix_screenings_site_id"))
        batch.drop_constraint(op.f("fk_screenings_site_id_sites"), type_="foreignkey")
        batch.drop_column("site_id")
    with op.batch_alter_table("patients") as batch:
        batch.drop_index(op.f("ix_patients_site_id"))
        batch.drop_constraint(op.f("fk_patients_site_id_sites"), type_="foreignkey")
        batch.drop_column("row_version")
        batch.drop_column("site_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_index(op.f("ix_users_site_id"))
        batch.drop_constraint(op.f("fk_users_site_id_sites"), type_="foreignkey")
        batch.drop_constraint(op.f("uq_users_username_key"), type_="unique")
        batch.drop_column("site_id")
        batch.drop_column("username_key")
    op.drop_table("sites")
