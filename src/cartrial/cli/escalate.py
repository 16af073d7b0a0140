"""``cartrial escalate``: dose-escalation boundaries, next-dose decisions and simulations.

Dose levels on the command line and in every output are **1-based** (level 1 = lowest dose);
the library underneath uses 0-based indices. Bad input exits with status 2 and a one-line
message, never a traceback.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cartrial.cli._common import clear_errors, fail
from cartrial.designs import Boin, DoseEscalationDesign, ThreePlusThree, simulate
from cartrial.domain.errors import DataError

DESIGN_NAMES = ("boin", "3+3")


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


def _ints(text: str, option: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip() != ""]
    except ValueError:
        raise fail(f"{option} must be comma-separated whole numbers, got {text!r}") from None


def _floats(text: str, option: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip() != ""]
    except ValueError:
        raise fail(f"{option} must be comma-separated numbers, got {text!r}") from None


def make_design(
    design: str,
    *,
    target: float | None,
    cohort_size: int,
    cohorts: int,
    n_earlystop: int = 100,
    extrasafe: bool = False,
) -> DoseEscalationDesign:
    """The design named on the command line (``boin`` or ``3+3``), parameters checked."""
    key = design.strip().lower()
    if key == "boin":
        if target is None:
            raise DataError("--target is required for BOIN", field="target")
        chosen: DoseEscalationDesign = Boin(
            target,
            cohort_size=cohort_size,
            n_cohorts=cohorts,
            n_earlystop=n_earlystop,
            extrasafe=extrasafe,
        )
    elif key in ("3+3", "3plus3", "three_plus_three"):
        if cohort_size != 3:
            raise DataError(
                f"the 3+3 design treats cohorts of 3, got {cohort_size}", field="cohort_size"
            )
        chosen = ThreePlusThree(n_cohorts=cohorts)
    else:
        raise DataError(
            f"unknown design {design!r}; choose one of: {', '.join(DESIGN_NAMES)}", field="design"
        )
    chosen.validate()
    return chosen


def _print_json(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, indent=2))


def _console() -> Console:
    return Console(width=120, soft_wrap=True)


DesignOpt = Annotated[str, typer.Option("--design", help="boin or 3+3.")]
TargetOpt = Annotated[
    float | None, typer.Option("--target", help="Target DLT rate, strictly between 0 and 1 (BOIN).")
]
CohortSizeOpt = Annotated[int, typer.Option("--cohort-size", help="Patients per cohort.")]
CohortsOpt = Annotated[int, typer.Option("--cohorts", help="Maximum number of cohorts.")]
EarlyStopOpt = Annotated[
    int,
    typer.Option(
        "--n-earlystop",
        help="BOIN: stop once this many patients are at the current dose and the next cohort "
        "would stay there (100 = off, the BOIN default).",
    ),
]
ExtraSafeOpt = Annotated[
    bool, typer.Option("--extrasafe", help="BOIN: stricter stopping rule for the lowest dose.")
]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table or json.")]


def boundaries(
    target: TargetOpt = None,
    cohort_size: CohortSizeOpt = 3,
    cohorts: CohortsOpt = 10,
    design: DesignOpt = "boin",
    n_earlystop: EarlyStopOpt = 100,
    extrasafe: ExtraSafeOpt = False,
    full: Annotated[
        bool, typer.Option("--full", help="Every number of patients, not only whole cohorts.")
    ] = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Escalation / de-escalation / elimination boundaries per number of patients treated."""
    with clear_errors():
        chosen = make_design(
            design,
            target=target,
            cohort_size=cohort_size,
            cohorts=cohorts,
            n_earlystop=n_earlystop,
            extrasafe=extrasafe,
        )
        table = chosen.boundaries()
    if fmt is OutputFormat.json:
        _print_json(table.to_dict(full=full))
        return
    console = _console()
    if table.lambda_e is not None and table.lambda_d is not None:
        console.print(
            f"BOIN target {table.target:g}: escalate if observed DLT rate <= "
            f"lambda_e = {table.lambda_e:.4f}; de-escalate if >= lambda_d = {table.lambda_d:.4f}"
        )
    out = Table(title=f"{table.design} decision table")
    out.add_column("patients treated at current dose", justify="right")
    out.add_column("escalate if DLTs <=", justify="right")
    out.add_column("de-escalate if DLTs >=", justify="right")
    out.add_column("eliminate if DLTs >=", justify="right")
    stops = dict(zip((r.n for r in table.rows), table.stop_lowest_min or (), strict=False))
    if table.stop_lowest_min is not None:
        out.add_column("stop if level 1 DLTs >=", justify="right")

    def cell(v: int | None) -> str:
        return "NA" if v is None else str(v)

    for row in table.rows if full else table.cohort_rows():
        cells = [
            str(row.n),
            cell(row.escalate_max),
            cell(row.deescalate_min),
            cell(row.eliminate_min),
        ]
        if table.stop_lowest_min is not None:
            cells.append(cell(stops.get(row.n)))
        out.add_row(*cells)
    console.print(out)
    if table.design == "3+3":
        console.print("1 DLT in 3: treat 3 more at the same dose.")


def next_dose(
    n: Annotated[str, typer.Option("--n", help="Patients treated per dose level, e.g. 3,6,0.")],
    y: Annotated[str, typer.Option("--y", help="Patients with a DLT per dose level, e.g. 0,1,0.")],
    current: Annotated[
        int,
        typer.Option(
            "--current", help="Dose level (1-based: 1 = lowest) the last cohort received."
        ),
    ],
    design: DesignOpt = "boin",
    target: TargetOpt = None,
    cohort_size: CohortSizeOpt = 3,
    cohorts: CohortsOpt = 10,
    n_earlystop: EarlyStopOpt = 100,
    extrasafe: ExtraSafeOpt = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """The dose for the next cohort (dose levels are 1-based)."""
    n_list = _ints(n, "--n")
    y_list = _ints(y, "--y")
    with clear_errors():
        chosen = make_design(
            design,
            target=target,
            cohort_size=cohort_size,
            cohorts=cohorts,
            n_earlystop=n_earlystop,
            extrasafe=extrasafe,
        )
        if not 1 <= current <= len(n_list):
            raise DataError(
                f"level {current} is not between 1 and {len(n_list)} (1-based)", field="current"
            )
        decision = chosen.decide(n_list, y_list, current - 1)
    if fmt is OutputFormat.json:
        _print_json({"design": chosen.name, **decision.to_dict()})
        return
    console = _console()
    console.print(f"design: {chosen.name}")
    console.print(f"decision: {decision.action.label}")
    if decision.next_level is not None:
        console.print(f"next cohort: level {decision.next_level}")
    else:
        mtd = "none" if decision.mtd_level is None else f"level {decision.mtd_level}"
        console.print(f"trial stops; selected MTD: {mtd}")
    console.print(f"rule: {decision.code}")
    console.print(f"reason: {decision.reason}")


def simulate_cmd(
    truth: Annotated[
        str, typer.Option("--truth", help="True DLT probability per dose level, e.g. 0.05,0.1,0.3.")
    ],
    design: DesignOpt = "boin",
    target: TargetOpt = None,
    cohort_size: CohortSizeOpt = 3,
    cohorts: CohortsOpt = 10,
    trials: Annotated[int, typer.Option("--trials", help="Number of simulated trials.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same result).")] = 1,
    start: Annotated[int, typer.Option("--start", help="Starting dose level (1-based).")] = 1,
    n_earlystop: EarlyStopOpt = 100,
    extrasafe: ExtraSafeOpt = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Operating characteristics by simulation: % selection, patients and DLTs per dose."""
    p = _floats(truth, "--truth")
    with clear_errors():
        chosen = make_design(
            design,
            target=target,
            cohort_size=cohort_size,
            cohorts=cohorts,
            n_earlystop=n_earlystop,
            extrasafe=extrasafe,
        )
        if not 1 <= start <= len(p):
            raise DataError(f"level {start} is not between 1 and {len(p)} (1-based)", field="start")
        oc = simulate(chosen, p, n_trials=trials, seed=seed, start_dose=start - 1)
    if fmt is OutputFormat.json:
        _print_json(oc.to_dict())
        return
    console = _console()
    out = Table(
        title=f"{oc.design}: {oc.n_trials:,} simulated trials (seed {oc.seed}), "
        f"up to {oc.max_cohorts} cohorts of {oc.cohort_size}, start level {oc.start_dose + 1}"
    )
    out.add_column("level", justify="right")
    out.add_column("true DLT rate", justify="right")
    out.add_column("selected as MTD %", justify="right")
    out.add_column("mean patients", justify="right")
    out.add_column("mean DLTs", justify="right")
    for j, (t, s, pts, tox) in enumerate(
        zip(oc.truth, oc.selection_pct, oc.mean_patients, oc.mean_dlts, strict=True), 1
    ):
        out.add_row(str(j), f"{t:.2f}", f"{s:.1f}", f"{pts:.1f}", f"{tox:.1f}")
    out.add_row(
        "total",
        "",
        f"{sum(oc.selection_pct):.1f}",
        f"{oc.mean_total_patients:.1f}",
        f"{oc.mean_total_dlts:.1f}",
    )
    console.print(out)
    console.print(f"no MTD selected (stopped for toxicity): {oc.no_mtd_pct:.1f}%")
    console.print(f"stopped before the last cohort (any rule): {oc.early_stop_pct:.1f}%")


def register(app: typer.Typer) -> None:
    """Add the ``escalate`` command group to the ``cartrial`` app."""
    group = typer.Typer(
        name="escalate",
        help="Dose escalation (3+3, BOIN): boundaries, next dose, simulated operating characteristics. "
        "Dose levels are 1-based.",
        no_args_is_help=True,
    )
    group.command("boundaries")(boundaries)
    group.command("next")(next_dose)
    group.command("simulate")(simulate_cmd)
    app.add_typer(group, name="escalate")
