"""Engagement: contact requests, mail outbox, volunteers and alerts, private notes and share links (issue 14).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "engage_contact_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nct_id", sa.String(length=20), nullable=False),
        sa.Column("site_key", sa.String(length=32), nullable=False),
        sa.Column("site_label", sa.String(length=400), nullable=False),
        sa.Column("workspace_site_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("email_key", sa.String(length=64), nullable=True),
        sa.Column("name_enc", sa.Text(), nullable=False),
        sa.Column("email_enc", sa.Text(), nullable=True),
        sa.Column("phone_enc", sa.Text(), nullable=True),
        sa.Column("message_enc", sa.Text(), nullable=True),
        sa.Column("summary_enc", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=40), nullable=False),
        sa.Column("preferred_time", sa.String(length=40), nullable=False),
        sa.Column("consent_version", sa.String(length=40), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('new', 'contacted', 'screened', 'not_eligible', 'closed')",
            name=op.f("ck_engage_contact_requests_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engage_contact_requests")),
    )
    op.create_index(
        op.f("ix_engage_contact_requests_closed_at"),
        "engage_contact_requests",
        ["closed_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_engage_contact_requests_created_at"),
        "engage_contact_requests",
        ["created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_engage_contact_requests_email_key"),
        "engage_contact_requests",
        ["email_key"],
        unique=False,
    )
    op.create_index(
        op.f("ix_engage_contact_requests_workspace_site_id"),
        "engage_contact_requests",
        ["workspace_site_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_engage_contact_requests_nct_id"),
        "engage_contact_requests",
        ["nct_id"],
        unique=False,
    )
    op.create_index(
        "ix_engage_contact_requests_site",
        "engage_contact_requests",
        ["nct_id", "site_key"],
        unique=False,
    )
    op.create_table(
        "engage_rate_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engage_rate_events")),
    )
    op.create_index(op.f("ix_engage_rate_events_at"), "engage_rate_events", ["at"], unique=False)
    op.create_index(
        "ix_engage_rate_events_kind_key_at",
        "engage_rate_events",
        ["kind", "key", "at"],
        unique=False,
    )
    op.create_table(
        "engage_trials_seen",
        sa.Column("nct_id", sa.String(length=20), nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("open_since", TS, nullable=True),
        sa.Column("baseline", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("nct_id", name=op.f("pk_engage_trials_seen")),
    )
    op.create_table(
        "engage_volunteers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_key", sa.String(length=64), nullable=False),
        sa.Column("email_enc", sa.Text(), nullable=False),
        sa.Column("profile_enc", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("manage_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("confirmed_at", TS, nullable=True),
        sa.Column("unsubscribed_at", TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'unsubscribed')",
            name=op.f("ck_engage_volunteers_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engage_volunteers")),
        sa.UniqueConstraint("email_key", name=op.f("uq_engage_volunteers_email_key")),
        sa.UniqueConstraint("manage_hash", name=op.f("uq_engage_volunteers_manage_hash")),
    )
    op.create_table(
        "engage_alerts_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("nct_id", sa.String(length=20), nullable=False),
        sa.Column("sent_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["engage_volunteers.id"],
            name=op.f("fk_engage_alerts_sent_volunteer_id_engage_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engage_alerts_sent")),
        sa.UniqueConstraint("volunteer_id", "nct_id", name="volunteer_trial"),
    )
    op.create_index(
        op.f("ix_engage_alerts_sent_volunteer_id"),
        "engage_alerts_sent",
        ["volunteer_id"],
        unique=False,
    )
    op.create_table(
        "engage_contact_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("note_enc", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["engage_contact_requests.id"],
            name=op.f("fk_engage_contact_events_request_id_engage_contact_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_engage_contact_events_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engage_contact_events")),
    )
    op.create_index(
        op.f("ix_engage_contact_events_request_id"),
        "engage_contact_events",
        ["request_id"],
        unique=False,
    )
    op.create_table(
        "engage_notebooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_engage_notebooks_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engage_notebooks")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_engage_notebooks_key_hash")),
        sa.UniqueConstraint("user_id", name=op.f("uq_engage_notebooks_user_id")),
    )
    op.create_table(
        "engage_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("to_key", sa.String(length=64), nullable=False),
        sa.Column("message_enc", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("contact_request_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_engage_outbox_status")
        ),
        sa.ForeignKeyConstraint(
            ["contact_request_id"],
            ["engage_contact_requests.id"],
            name=op.f("fk_engage_outbox_contact_request_id_engage_contact_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["engage_volunteers.id"],
            name=op.f("fk_engage_outbox_volunteer_id_engage_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engage_outbox")),
    )
    op.create_index(
        op.f("ix_engage_outbox_contact_request_id"),
        "engage_outbox",
        ["contact_request_id"],
        unique=False,
    )
    op.create_index(
        "ix_engage_outbox_status_next", "engage_outbox", ["status", "next_attempt_at"], unique=False
    )
    op.create_index(op.f("ix_engage_outbox_to_key"), "engage_outbox", ["to_key"], unique=False)
    op.create_index(
        op.f("ix_engage_outbox_volunteer_id"), "engage_outbox", ["volunteer_id"], unique=False
    )
    op.create_table(
        "engage_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notebook_id", sa.Integer(), nullable=False),
        sa.Column("nct_id", sa.String(length=20), nullable=False),
        sa.Column("exact", sa.Text(), nullable=False),
        sa.Column("prefix", sa.String(length=200), nullable=False),
        sa.Column("suffix", sa.String(length=200), nullable=False),
        sa.Column("body_enc", sa.Text(), nullable=False),
        sa.Column("protocol_version", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["notebook_id"],
            ["engage_notebooks.id"],
            name=op.f("fk_engage_notes_notebook_id_engage_notebooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engage_notes")),
    )
    op.create_index(
        "ix_engage_notes_notebook_trial", "engage_notes", ["notebook_id", "nct_id"], unique=False
    )
    op.create_table(
        "engage_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notebook_id", sa.Integer(), nullable=False),
        sa.Column("nct_id", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("passcode_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locks", sa.Integer(), nullable=False),
        sa.Column("locked_until", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["notebook_id"],
            ["engage_notebooks.id"],
            name=op.f("fk_engage_shares_notebook_id_engage_notebooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engage_shares")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_engage_shares_token_hash")),
    )
    op.create_index(
        op.f("ix_engage_shares_notebook_id"), "engage_shares", ["notebook_id"], unique=False
    )
    op.create_table(
        "engage_share_notes",
        sa.Column("share_id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["engage_notes.id"],
            name=op.f("fk_engage_share_notes_note_id_engage_notes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["share_id"],
            ["engage_shares.id"],
            name=op.f("fk_engage_share_notes_share_id_engage_shares"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("share_id", "note_id", name=op.f("pk_engage_share_notes")),
    )


def downgrade() -> None:
    op.drop_table("engage_share_notes")
    op.drop_index(op.f("ix_engage_shares_notebook_id"), table_name="engage_shares")
    op.drop_table("engage_shares")
    op.drop_index("ix_engage_notes_notebook_trial", table_name="engage_notes")
    op.drop_table("engage_notes")
    op.drop_index(op.f("ix_engage_outbox_volunteer_id"), table_name="engage_outbox")
    op.drop_index(op.f("ix_engage_outbox_to_key"), table_name="engage_outbox")
    op.drop_index("ix_engage_outbox_status_next", table_name="engage_outbox")
    op.drop_index(op.f("ix_engage_outbox_contact_request_id"), table_name="engage_outbox")
    op.drop_table("engage_outbox")
    op.drop_table("engage_notebooks")
    op.drop_index(op.f("ix_engage_contact_events_request_id"), table_name="engage_contact_events")
    op.drop_table("engage_contact_events")
    op.drop_index(op.f("ix_engage_alerts_sent_volunteer_id"), table_name="engage_alerts_sent")
    op.drop_table("engage_alerts_sent")
    op.drop_table("engage_volunteers")
    op.drop_table("engage_trials_seen")
    op.drop_index("ix_engage_rate_events_kind_key_at", table_name="engage_rate_events")
    op.drop_index(op.f("ix_engage_rate_events_at"), table_name="engage_rate_events")
    op.drop_table("engage_rate_events")
    op.drop_index("ix_engage_contact_requests_site", table_name="engage_contact_requests")
    op.drop_index(
        op.f("ix_engage_contact_requests_workspace_site_id"), table_name="engage_contact_requests"
    )
    op.drop_index(op.f("ix_engage_contact_requests_nct_id"), table_name="engage_contact_requests")
    op.drop_index(
        op.f("ix_engage_contact_requests_email_key"), table_name="engage_contact_requests"
    )
    op.drop_index(
        op.f("ix_engage_contact_requests_created_at"), table_name="engage_contact_requests"
    )
    op.drop_index(
        op.f("ix_engage_contact_requests_closed_at"), table_name="engage_contact_requests"
    )
    op.drop_table("engage_contact_requests")
