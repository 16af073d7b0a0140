"""The safety report as a PDF (HTML template rendered by WeasyPrint), with its figures."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from cartrial.conduct.plots import heatmap_svg, swimmer_svg
from cartrial.conduct.report import (
    ALL,
    ReportData,
    by_level,
    dlt_events,
    efficacy_summary,
    onset_summary,
    safety_population,
    serious_events,
    teae_table,
)
from cartrial.conduct.swimmer import lanes_from_report
from cartrial.schedule.dlt import DltCounts

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _counts(data: ReportData) -> DltCounts:
    n = [0] * len(data.levels)
    y = [0] * len(data.levels)
    pending = [0] * len(data.levels)
    for s in safety_population(data):
        i = s.dose_level - 1
        if s.dlt_status == "pending":
            pending[i] += 1
        elif s.dlt_status in ("dlt", "no_dlt"):
            n[i] += 1
            y[i] += s.dlt_status == "dlt"
    return DltCounts(tuple(n), tuple(y), tuple(pending))


def report_html(data: ReportData, *, generated: dt.datetime, figures: bool = True) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    rows = teae_table(data)
    sizes: dict[int | str, int] = {r["dose_level"]: r["N"] for r in rows if r["term"] == "Any TEAE"}
    return env.get_template("safety_report.html").render(
        d=data,
        generated=generated.strftime("%Y-%m-%d %H:%M UTC"),
        sizes=sizes,
        levels_all=(*data.levels, ALL),
        teae=by_level(rows),
        dlts=dlt_events(data),
        saes=serious_events(data),
        counts=_counts(data),
        onsets=[("CRS", onset_summary(data, "crs")), ("ICANS", onset_summary(data, "icans"))],
        eff=efficacy_summary(data),
        swimmer=_data_uri(swimmer_svg(lanes_from_report(data))) if figures else None,
        heatmap=_data_uri(heatmap_svg(rows, data.dose_labels)) if figures else None,
    )


def report_pdf(data: ReportData, *, generated: dt.datetime) -> bytes:
    """The PDF bytes of the safety report (WeasyPrint; no network: figures are inline)."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf = HTML(string=report_html(data, generated=generated), base_url=str(TEMPLATES)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
