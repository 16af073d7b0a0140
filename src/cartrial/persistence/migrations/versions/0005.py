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


def downgrade() -> None:
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
    op.drop_index(op.f("ix_conduct_enrolments_trial_id"), table_name="conduct_enrolments")
    op.drop_index(op.f("ix_conduct_enrolments_patient_id"), table_name="conduct_enrolments")
    op.drop_table("conduct_enrolments")
    op.drop_table("conduct_setups")
    op.drop_index(op.f("ix_conduct_decisions_trial_id"), table_name="conduct_decisions")
    op.drop_table("conduct_decisions")
    op.drop_index(op.f("ix_conduct_audit_trial_id"), table_name="conduct_audit")
    op.drop_index(op.f("ix_conduct_audit_enrolment_id"), table_name="conduct_audit")
    op.drop_index(op.f("ix_conduct_audit_at"), table_name="conduct_audit")
    op.drop_table("conduct_audit")
