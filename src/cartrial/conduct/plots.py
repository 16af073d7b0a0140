"""Kinetics, swimmer and AE heat-map pictures as SVG text, drawn server-side with matplotlib
(Agg backend, no display). matplotlib's cache and config go to a temporary directory unless
``MPLCONFIGDIR`` is set, so nothing is written in the user's home directory."""

from __future__ import annotations

import io
import os
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LOG_ANALYTES = frozenset({"cd19_abs", "car_copies", "car_cells", "anti_dsdna"})
"""Analytes spanning orders of magnitude: drawn on a log scale."""
ANALYTE_LABELS = {
    "cd19_abs": "CD19+ B cells (/µL)",
    "car_copies": "CAR transgene (copies/µg DNA)",
    "car_cells": "CAR+ cells (/µL)",
    "igg": "IgG (mg/dL)",
    "anti_dsdna": "anti-dsDNA (IU/mL)",
    "anc": "ANC (×10⁹/L)",
    "platelets": "Platelets (×10⁹/L)",
    "hemoglobin": "Haemoglobin (g/dL)",
    "alc": "Lymphocytes (×10⁹/L)",
    "wbc": "WBC (×10⁹/L)",
    "alt": "ALT (U/L)",
    "ast": "AST (U/L)",
    "bilirubin_total": "Bilirubin (mg/dL)",
    "creatinine": "Creatinine (mg/dL)",
}
LEVEL_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
GRADE_COLOURS = ("#ffffff", "#fde0a0", "#fdae61", "#f46d43", "#d73027", "#7f0000")


def _figure(width: float, height: float) -> Figure:
    os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="cartrial-mpl-"))
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.hashsalt"] = "cartrial"  # same data, same SVG
    matplotlib.rcParams["svg.fonttype"] = "none"
    return Figure(figsize=(width, height), layout="constrained")


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def _colour(level: int) -> str:
    return LEVEL_COLOURS[(level - 1) % len(LEVEL_COLOURS)]


@dataclass(frozen=True)
class Series:
    subject: str
    dose_level: int
    points: tuple[tuple[int, float], ...]
    """(day after infusion, value)."""


def kinetics_svg(analyte: str, series: Sequence[Series], *, by_level: bool = False) -> str:
    """One analyte over time: a line per patient coloured by dose level, or (``by_level``) the
    median per dose level and day."""
    fig = _figure(7.0, 3.6)
    ax = fig.add_subplot()
    log = analyte in LOG_ANALYTES
    if by_level:
        levels = sorted({s.dose_level for s in series})
        for level in levels:
            by_day: dict[int, list[float]] = {}
            for s in series:
                if s.dose_level == level:
                    for day, value in s.points:
                        by_day.setdefault(day, []).append(value)
            days = sorted(by_day)
            med = [statistics.median(by_day[d]) for d in days]
            ax.plot(days, med, marker="o", color=_colour(level), label=f"DL{level} (median)")
    else:
        seen: set[int] = set()
        for s in series:
            if not s.points:
                continue
            xs = [d for d, _ in sorted(s.points)]
            ys = [v for _, v in sorted(s.points)]
            label = f"DL{s.dose_level}" if s.dose_level not in seen else None
            seen.add(s.dose_level)
            ax.plot(xs, ys, marker="o", ms=3, color=_colour(s.dose_level), label=label)
    if log:
        ax.set_yscale("symlog", linthresh=1.0)
    ax.set_xlabel("days after infusion")
    ax.set_ylabel(ANALYTE_LABELS.get(analyte, analyte) + (" (log)" if log else ""))
    ax.axvline(0, color="#999999", lw=0.8, ls="--")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    if not series:
        ax.text(0.5, 0.5, "no values", transform=ax.transAxes, ha="center")
    return _svg(fig)


@dataclass(frozen=True)
class Lane:
    subject: str
    dose_level: int
    days_on_study: int
    events: tuple[tuple[int, int, str], ...] = ()
    """(day, grade, term) of adverse events."""
    responses: tuple[tuple[int, str], ...] = field(default=())
    """(day, label) of responses (e.g. DORIS remission)."""
    dlt: bool = False


def swimmer_svg(lanes: Sequence[Lane]) -> str:
    """A bar per patient (days on study since infusion), AEs as markers coloured by grade
    (grade >= 3 marked with a triangle), responses as stars, DLT patients labelled."""
    fig = _figure(7.5, max(2.2, 0.38 * len(lanes) + 1.2))
    ax = fig.add_subplot()
    ordered = sorted(lanes, key=lambda lane: (lane.dose_level, lane.subject))
    for i, lane in enumerate(ordered):
        ax.barh(i, lane.days_on_study, color=_colour(lane.dose_level), alpha=0.35, height=0.6)
        for day, grade, _term in lane.events:
            ax.scatter(
                day,
                i,
                marker="^" if grade >= 3 else "o",
                s=36,
                color=GRADE_COLOURS[min(grade, 5)],
                edgecolors="#333333",
                linewidths=0.6,
                zorder=3,
            )
        for day, _label in lane.responses:
            ax.scatter(day, i, marker="*", s=80, color="#2ca02c", edgecolors="#114411", zorder=4)
    ax.set_yticks(
        range(len(ordered)),
        [
            f"{lane.subject.rsplit('-', 1)[-1]} DL{lane.dose_level}{' DLT' if lane.dlt else ''}"
            for lane in ordered
        ],
        fontsize=8,
    )
    ax.invert_yaxis()
    ax.set_xlabel("days since infusion")
    ax.grid(axis="x", alpha=0.3)
    from matplotlib.lines import Line2D

    handles: list[Any] = [
        Line2D([], [], marker="o", ls="", color=GRADE_COLOURS[1], mec="#333", label="AE grade 1-2"),
        Line2D([], [], marker="^", ls="", color=GRADE_COLOURS[4], mec="#333", label="AE grade ≥3"),
        Line2D([], [], marker="*", ls="", color="#2ca02c", ms=10, label="response"),
    ]
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    if not lanes:
        ax.text(0.5, 0.5, "no patient infused", transform=ax.transAxes, ha="center")
    return _svg(fig)


def heatmap_svg(rows: Sequence[dict[str, Any]], dose_labels: Sequence[str]) -> str:
    """AE heat map: terms × dose levels, colour = highest grade among the patients, number =
    patients with the term (from :func:`cartrial.conduct.report.teae_table`)."""
    import numpy as np

    terms = [t for t in dict.fromkeys(r["term"] for r in rows) if t != "Any TEAE"]
    levels = list(range(1, len(dose_labels) + 1))
    grid = np.zeros((len(terms), len(levels)))
    counts = np.zeros((len(terms), len(levels)), dtype=int)
    for r in rows:
        if r["term"] in terms and r["dose_level"] in levels:
            i, j = terms.index(r["term"]), levels.index(r["dose_level"])
            grid[i, j] = max((g for g in range(1, 6) if r[f"grade_{g}"]), default=0)
            counts[i, j] = r["n"]
    fig = _figure(6.5, max(2.0, 0.32 * len(terms) + 1.2))
    ax = fig.add_subplot()
    from matplotlib.colors import ListedColormap

    ax.imshow(grid, cmap=ListedColormap(GRADE_COLOURS), vmin=-0.5, vmax=5.5, aspect="auto")
    for i in range(len(terms)):
        for j in range(len(levels)):
            if counts[i, j]:
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(levels)), [f"DL{lv}" for lv in levels])
    ax.set_yticks(range(len(terms)), terms, fontsize=8)
    ax.set_title("patients with the TEAE (colour: highest grade)", fontsize=9)
    if not terms:
        ax.text(0.5, 0.5, "no TEAE", transform=ax.transAxes, ha="center")
    return _svg(fig)
