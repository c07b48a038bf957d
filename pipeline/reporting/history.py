"""The history page, `<output_dir>/history.html`: how the model changed as data arrived.

The eval metric of every run over time beside its baseline (the model blessed before it), blessed
and pushed markers, the spans each run trained on, rows ingested and quarantined, and a link to
each run's report. Rewritten after every run; `pipeline_runner.py runs --html` writes it on
demand. Self-contained like the report (inline SVG, no scripts).
"""

from __future__ import annotations

import html
import os
from typing import List, Optional, Sequence

from pipeline.evaluation import RMSE_METRIC
from pipeline.reporting import charts
from pipeline.reporting.report import REPORT_FILE, STYLE, report_dir
from pipeline.reporting.report_sections import Markup, table
from pipeline.reporting.summary import (DIFF_SUFFIX, HISTORY_TITLES, RunSummary, components_ran,
                                        pushed_text, spans_text, yes_no)

HISTORY_FILE = "history.html"
_BLESSED, _REJECTED = "#2ca02c", "#d62728"


def baseline_value(summary: RunSummary, metric: str) -> Optional[float]:
    """The baseline model's value of `metric` in this run's evaluation (candidate - diff)."""
    value = summary.eval_metrics.get(metric)
    diff = summary.eval_metrics.get(metric + DIFF_SUFFIX)
    return value - diff if value is not None and diff is not None else None


def run_label(summary: RunSummary) -> str:
    """A short tick label for a run: month-day hour:minute of its id (an ISO timestamp)."""
    return summary.run_id[5:16].replace("T", " ")


def metric_chart(summaries: Sequence[RunSummary], metric: str) -> str:
    """The metric per run (x: run number), baseline dashed, blessed runs green, rejected red,
    pushed runs ringed."""
    candidate = [(i, s.eval_metrics[metric]) for i, s in enumerate(summaries, 1)
                 if metric in s.eval_metrics]
    baseline = [(i, b) for i, s in enumerate(summaries, 1)
                if (b := baseline_value(s, metric)) is not None]
    if not candidate:
        return "<p class='muted'>no run was evaluated yet</p>"
    width = min(1200, max(520, 60 * len(summaries)))
    ticks = [(i, f"{i}") for i in range(1, len(summaries) + 1)]

    def markers(axes: charts.Axes) -> List[str]:
        marks = []
        for index, summary in enumerate(summaries, 1):
            if metric not in summary.eval_metrics:
                continue
            x, y = axes.x(index), axes.y(summary.eval_metrics[metric])
            colour = _BLESSED if summary.blessed else _REJECTED
            marks.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='5' fill='{colour}'><title>run "
                         f"{index}: {'blessed' if summary.blessed else 'not blessed'}</title>"
                         "</circle>")
            if summary.pushed and summary.states.get("Pusher") != "CACHED":
                marks.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='9' fill='none' "
                             f"stroke='{colour}' stroke-width='2'><title>run {index}: pushed"
                             "</title></circle>")
        return marks

    title = HISTORY_TITLES.get(metric, metric)
    return charts.lines({title: candidate, "baseline": baseline},
                        f"{title} per run", "run", title, x_ticks=ticks, width=width,
                        dashed=("baseline",), x_range=(0.5, len(summaries) + 0.5),
                        overlay=markers)


def rows_chart(summaries: Sequence[RunSummary]) -> str:
    """Rows ingested and quarantined per run; a run whose ingestion failed on the quarantine
    limit is labelled "<n> failed"."""
    if not any(s.rows_read for s in summaries):
        return "<p class='muted'>no run has ingested rows yet</p>"
    runs = [f"{i} failed" if s.ingest_failed else str(i) for i, s in enumerate(summaries, 1)]
    return charts.bars(runs, {"ingested": [s.rows_ingested or 0 for s in summaries],
                              "quarantined": [s.rows_quarantined or 0 for s in summaries]},
                       "rows per run", "run", "rows", percent=False)


def _report_link(summary: RunSummary, output_dir: str) -> Markup:
    path = os.path.join(report_dir(output_dir, summary.run_id), REPORT_FILE)
    if not os.path.isfile(path):
        return Markup("-")
    relative = os.path.relpath(path, os.path.abspath(output_dir))
    return Markup(f"<a href='{html.escape(relative)}'>report</a>")


def render_page(summaries: Sequence[RunSummary], output_dir: str, pipeline_name: str) -> str:
    """The history page's HTML, oldest run first, with the newest run's primary metric (RMSE,
    accuracy or AUC, by the task)."""
    metric = summaries[-1].primary_metric if summaries else RMSE_METRIC
    rows: List[List[object]] = []
    for index, s in enumerate(summaries, 1):
        rows.append([index, s.run_id, spans_text(s.spans) or None, components_ran(s),
                     s.rows_ingested, s.rows_quarantined, s.eval_metrics.get(metric),
                     baseline_value(s, metric), yes_no(s.blessed), pushed_text(s),
                     _report_link(s, output_dir)])
    runs_table = table(["#", "run", "spans", "components", "rows ingested", "quarantined",
                        HISTORY_TITLES.get(metric, metric), "baseline", "blessed",
                        "pushed model", "report"], rows)
    legend = ("<p>Green: blessed; red: not blessed; a ring: pushed in that run. The baseline "
              "is the model blessed before the run's model was trained.</p>")
    runs = f"{len(summaries)} run{'s' * (len(summaries) != 1)}"
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(pipeline_name)}"
            f" history</title><style>{STYLE}#runs td:nth-child(2){{white-space:nowrap}}</style>"
            f"</head><body><h1>{html.escape(pipeline_name)}: {runs}</h1>"
            f"<section id='metric'>{legend}<div class='charts'>{metric_chart(summaries, metric)}"
            f"{rows_chart(summaries)}</div></section>"
            f"<section id='runs'><h2>Runs</h2>{runs_table}</section></body></html>")


def write_history(summaries: Sequence[RunSummary], output_dir: str, pipeline_name: str) -> str:
    """Writes `<output_dir>/history.html`; returns its path."""
    path = os.path.join(os.path.abspath(output_dir), HISTORY_FILE)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(render_page(summaries, output_dir, pipeline_name))
    return path
