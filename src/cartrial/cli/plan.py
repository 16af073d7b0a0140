"""``cartrial plan``: one patient's course for one trial (calendar + lymphodepletion doses).

    cartrial plan NCT06464679 --infusion-date 2027-03-01 --patient bundle.json \\
        [--format table|json|ics] [--output FILE]

The protocol comes from the bundled catalogue, the patient from a FHIR R4 bundle (height,
weight and serum creatinine observations, sex and birth date). Dates are calendar dates; the
iCalendar export uses all-day events. Bad input exits with status 2 and a one-line message.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cartrial.cli._common import clear_errors, parse_date
from cartrial.ingest.fhir import load_bundle_file
from cartrial.schedule import (
    CoursePlan,
    course_rows,
    course_to_ics,
    course_to_json,
    plan_patient_course,
)
from cartrial.services.bundled_protocols import get_protocol


class PlanFormat(StrEnum):
    table = "table"
    json = "json"
    ics = "ics"


class BsaChoice(StrEnum):
    mosteller = "mosteller"
    dubois = "dubois"


class WeightBasis(StrEnum):
    actual = "actual"
    ideal = "ideal"
    adjusted = "adjusted"


def _render_table(plan: CoursePlan) -> str:
    buffer = io.StringIO()
    console = Console(width=160, file=buffer)
    console.print(f"trial: {plan.trial_id}   patient: {plan.patient_id}")
    console.print(f"infusion (D0): {plan.infusion_date.isoformat()} {plan.infusion_date:%a}")
    ld = plan.lymphodepletion
    if ld is not None:
        console.print(
            f"BSA {ld.bsa.value:.3f} m² ({ld.bsa.calculator}); CrCl {ld.crcl.value:.1f} mL/min "
            f"({ld.crcl.calculator}); fludarabine renal scheme "
            f"{ld.regimen.fludarabine_renal_scheme}: {ld.doses.category}"
        )
    table = Table(title="course calendar")
    for column in ("date", "day", "event", "kind", "allowed window", "doses"):
        table.add_column(column)
    for row in course_rows(plan):
        table.add_row(
            row["date"], row["day"], row["event"], row["kind"], row["window"], row["doses"]
        )
    console.print(table)
    for note in plan.notes:
        console.print(f"note: {note}")
    return buffer.getvalue()


def plan_cmd(
    trial: Annotated[str, typer.Argument(help="NCT id of a bundled protocol.")],
    infusion_date: Annotated[
        str, typer.Option("--infusion-date", help="Planned infusion date (day 0), YYYY-MM-DD.")
    ],
    patient: Annotated[
        Path, typer.Option("--patient", help="FHIR R4 Bundle (JSON) of the patient.")
    ],
    fmt: Annotated[
        PlanFormat, typer.Option("--format", help="table, json or ics.")
    ] = PlanFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write to this file instead of stdout.")
    ] = None,
    bsa: Annotated[BsaChoice, typer.Option("--bsa", help="BSA formula.")] = BsaChoice.mosteller,
    crcl_weight: Annotated[
        WeightBasis,
        typer.Option("--crcl-weight", help="Cockcroft-Gault weight basis (actual = as published)."),
    ] = WeightBasis.actual,
) -> None:
    """Plan a patient's course: screening, lymphodepletion doses, infusion and visit windows."""
    day0 = parse_date(infusion_date, "--infusion-date")
    with clear_errors():
        protocol = get_protocol(trial)
        person = load_bundle_file(patient)
        plan = plan_patient_course(
            protocol.trial,
            person,
            day0,
            bsa_method=bsa.value,
            crcl_weight_basis=crcl_weight.value,
        )
        if fmt is PlanFormat.ics:
            payload: bytes = course_to_ics(plan, dtstamp=dt.datetime.now(dt.UTC))
        elif fmt is PlanFormat.json:
            payload = (course_to_json(plan) + "\n").encode("utf-8")
        else:
            payload = _render_table(plan).encode("utf-8")
        if output is not None:
            output.write_bytes(payload)
            typer.echo(f"wrote {output}", err=True)
            return
    sys.stdout.write(payload.decode("utf-8"))
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    """Add the ``plan`` command to the ``cartrial`` app."""
    app.command("plan")(plan_cmd)
