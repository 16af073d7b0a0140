"""Trial conduct: enrolments, visits, adverse events, DLT board, efficacy visits (issue 17).

Append-only tables (corrections are new versions); see ``persistence/conduct_models.py``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conduct_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("trial_id", sa.String(length=20), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=True),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_key", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "action IN ('create', 'correct', 'confirm', 'override', 'decide', 'export')",
            name=op.f("ck_conduct_audit_action"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conduct_audit")),
    )
    op.create_index(op.f("ix_conduct_audit_at"), "conduct_audit", ["at"], unique=False)
    op.create_index(
        op.f("ix_conduct_audit_enrolment_id"), "conduct_audit", ["enrolment_id"], unique=False
    )
    op.create_index(op.f("ix_conduct_audit_trial_id"), "conduct_audit", ["trial_id"], unique=False)
    op.create_table(
        "conduct_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.String(length=20), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("design", sa.String(length=10), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("decision", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conduct_decisions")),
    )
    op.create_index(
        op.f("ix_conduct_decisions_trial_id"), "conduct_decisions", ["trial_id"], unique=False
    )
    op.create_table(
        "conduct_setups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.String(length=20), nullable=False),
        sa.Column("design", sa.String(length=10), nullable=False),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("cohort_size", sa.Integer(), nullable=False),
        sa.Column("n_cohorts", sa.Integer(), nullable=True),
        sa.Column("dose_levels", sa.JSON(), nullable=False),
        sa.Column("regimen", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("design IN ('boin', '3+3')", name=op.f("ck_conduct_setups_design")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conduct_setups")),
        sa.UniqueConstraint("trial_id", name=op.f("uq_conduct_setups_trial_id")),
    )
    op.create_table(
        "engage_contact_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nct_id", sa.String(length=20), nullable=False),
        sa.Column("site_key", sa.String(length=32), nullable=False),
        sa.Column("site_label", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("email_key", sa.String(length=64), nullable=True),
        sa.Column("name_enc", sa.Text(), nullable=False),
        sa.Column("email_enc", sa.Text(), nullable=True),
        sa.Column("phone_enc", sa.Text(), nullable=True),
        sa.Column("message_enc", sa.Text(), nullable=True),
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
        "conduct_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.String(length=20), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("subject_code", sa.String(length=40), nullable=False),
        sa.Column("dose_level", sa.Integer(), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("planned_infusion", sa.Date(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("accepted_by", sa.String(length=80), nullable=False),
        sa.Column("course", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["conduct_decisions.id"],
            name=op.f("fk_conduct_enrolments_decision_id_conduct_decisions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_conduct_enrolments_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conduct_enrolments")),
        sa.UniqueConstraint("subject_code", name=op.f("uq_conduct_enrolments_subject_code")),
    )
    op.create_index(
        op.f("ix_conduct_enrolments_patient_id"), "conduct_enrolments", ["patient_id"], unique=False
    )
    op.create_index(
        op.f("ix_conduct_enrolments_trial_id"), "conduct_enrolments", ["trial_id"], unique=False
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
        "conduct_adverse_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ae_key", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("scale", sa.String(length=20), nullable=False),
        sa.Column("onset", sa.Date(), nullable=False),
        sa.Column("resolution", sa.Date(), nullable=True),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("related_ld", sa.String(length=20), nullable=False),
        sa.Column("related_car", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("observations", sa.JSON(), nullable=False),
        sa.Column("computed", sa.JSON(), nullable=True),
        sa.Column("computed_grade", sa.Integer(), nullable=True),
        sa.Column("investigator_grade", sa.Integer(), nullable=True),
        sa.Column("grade_status", sa.String(length=12), nullable=False),
        sa.Column("override_reason", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("reason_for_change", sa.String(length=500), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.CheckConstraint(
            "grade_status IN ('computed', 'confirmed', 'overridden', 'entered')",
            name=op.f("ck_conduct_adverse_events_grade_status"),
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["conduct_enrolments.id"],
            name=op.f("fk_conduct_adverse_events_enrolment_id_conduct_enrolments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conduct_adverse_events")),
        sa.UniqueConstraint("ae_key", "version", name="uq_conduct_adverse_events_ae_key_version"),
    )
    op.create_index(
        op.f("ix_conduct_adverse_events_ae_key"), "conduct_adverse_events", ["ae_key"], unique=False
    )
    op.create_index(
        op.f("ix_conduct_adverse_events_enrolment_id"),
        "conduct_adverse_events",
        ["enrolment_id"],
        unique=False,
    )
    op.create_table(
        "conduct_efficacy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_key", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("visit_key", sa.String(length=80), nullable=False),
        sa.Column("instrument", sa.String(length=40), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("category", sa.String(length=120), nullable=True),
        sa.Column("reason_for_change", sa.String(length=500), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["conduct_enrolments.id"],
            name=op.f("fk_conduct_efficacy_enrolment_id_conduct_enrolments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conduct_efficacy")),
        sa.UniqueConstraint(
            "assessment_key", "version", name="uq_conduct_efficacy_assessment_key_version"
        ),
    )
    op.create_index(
        op.f("ix_conduct_efficacy_assessment_key"),
        "conduct_efficacy",
        ["assessment_key"],
        unique=False,
    )
    op.create_index(
        op.f("ix_conduct_efficacy_enrolment_id"), "conduct_efficacy", ["enrolment_id"], unique=False
    )
    op.create_table(
        "conduct_labs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("analyte", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("ref_low", sa.Float(), nullable=True),
        sa.Column("ref_high", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["conduct_enrolments.id"],
            name=op.f("fk_conduct_labs_enrolment_id_conduct_enrolments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conduct_labs")),
    )
    op.create_index(
        "ix_conduct_labs_enrolment_analyte",
        "conduct_labs",
        ["enrolment_id", "analyte"],
        unique=False,
    )
    op.create_table(
        "conduct_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("visit_key", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=True),
        sa.Column("out_of_window", sa.Boolean(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.CheckConstraint("status IN ('done', 'missed')", name=op.f("ck_conduct_visits_status")),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["conduct_enrolments.id"],
            name=op.f("fk_conduct_visits_enrolment_id_conduct_enrolments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conduct_visits")),
    )
    op.create_index(
        "ix_conduct_visits_enrolment_key",
        "conduct_visits",
        ["enrolment_id", "visit_key"],
        unique=False,
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
    op.drop_index("ix_conduct_visits_enrolment_key", table_name="conduct_visits")
    op.drop_table("conduct_visits")
    op.drop_index("ix_conduct_labs_enrolment_analyte", table_name="conduct_labs")
    op.drop_table("conduct_labs")
    op.drop_index(op.f("ix_conduct_efficacy_enrolment_id"), table_name="conduct_efficacy")
    op.drop_index(op.f("ix_conduct_efficacy_assessment_key"), table_name="conduct_efficacy")
    op.drop_table("conduct_efficacy")
    op.drop_index(
        op.f("ix_conduct_adverse_events_enrolment_id"), table_name="conduct_adverse_events"
    )
    op.drop_index(op.f("ix_conduct_adverse_events_ae_key"), table_name="conduct_adverse_events")
    op.drop_table("conduct_adverse_events")
    op.drop_index(op.f("ix_engage_shares_notebook_id"), table_name="engage_shares")
    op.drop_table("engage_shares")
    op.drop_index("ix_engage_notes_notebook_trial", table_name="engage_notes")
    op.drop_table("engage_notes")
    op.drop_index(op.f("ix_conduct_enrolments_trial_id"), table_name="conduct_enrolments")
    op.drop_index(op.f("ix_conduct_enrolments_patient_id"), table_name="conduct_enrolments")
    op.drop_table("conduct_enrolments")
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
    op.drop_table("conduct_setups")
    op.drop_index(op.f("ix_conduct_decisions_trial_id"), table_name="conduct_decisions")
    op.drop_table("conduct_decisions")
    op.drop_index(op.f("ix_conduct_audit_trial_id"), table_name="conduct_audit")
    op.drop_index(op.f("ix_conduct_audit_enrolment_id"), table_name="conduct_audit")
    op.drop_index(op.f("ix_conduct_audit_at"), table_name="conduct_audit")
    op.drop_table("conduct_audit")
