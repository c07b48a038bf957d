"""The run report: one self-contained `report.html` per run (no scripts, styles or images from
the network), written beside the run's outputs.

Sections: summary and push decision, data statistics (per split and feature, from StatisticsGen's
TFDV statistics, as tables: TFDV's own Facets view loads its scripts from cdnjs and GitHub, so it
would not open offline), anomalies, training curves (inline SVG from the Trainer's
`training.json`), evaluation against the baseline, and the run's artifact lineage (every
component with its state and outputs).
"""

from __future__ import annotations

import html
import json
import os
from typing import Dict, List, Optional, Sequence

from components.trainer.run import TRAINING_RECORD
from pipeline.reporting.summary import DIFF_SUFFIX, RunSummary

REPORT_FILE = "report.html"
_STYLE = """
body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}section{margin-bottom:2em}.muted{color:#777}
"""


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def statistics_rows(statistics_uri: str) -> Dict[str, List[List[object]]]:
    """Split -> one row per feature: name, present, missing, mean, std, min, max, unique/bytes."""
    import tensorflow as tf
    from tensorflow_data_validation import load_stats_binary

    result = {}
    for path in sorted(tf.io.gfile.glob(os.path.join(statistics_uri, "Split-*",
                                                     "FeatureStats.pb"))):
        split = os.path.basename(os.path.dirname(path)).removeprefix("Split-")
        rows = []
        for feature in load_stats_binary(path).datasets[0].features:
            name = ".".join(feature.path.step)
            kind = feature.WhichOneof("stats")
            stats = getattr(feature, kind)
            common = stats.common_stats
            row = [name, int(common.num_non_missing), int(common.num_missing)]
            if kind == "num_stats":
                row += [stats.mean, stats.std_dev, stats.min, stats.max, ""]
            elif kind == "string_stats":
                row += ["", "", "", "", f"{stats.unique} values"]
            else:
                row += ["", "", "", "", f"{stats.avg_num_bytes:.0f} B avg, "
                                        f"{stats.max_num_bytes_int} B max"]
            rows.append(row)
        result[split] = rows
    return result


def training_svg(history: List[Dict[str, float]], width: int = 640, height: int = 260) -> str:
    """Loss curves per evaluation round as an inline SVG line chart."""
    series = {"train_loss": "#1f77b4", "eval_loss": "#d62728", "eval_rmse": "#2ca02c"}
    steps = [r["step"] for r in history]
    values = [r[name] for r in history for name in series if name in r]
    if len(steps) < 1 or not values:
        return "<p class='muted'>no training history</p>"
    low, high = min(0.0, min(values)), max(values) or 1.0
    left, bottom = 50, height - 30

    def x(step):
        span = (max(steps) - min(steps)) or 1
        return left + (step - min(steps)) / span * (width - left - 10)

    def y(value):
        return bottom - (value - low) / ((high - low) or 1) * (bottom - 10)

    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
             "role='img' aria-label='training curves'>",
             f"<line x1='{left}' y1='{bottom}' x2='{width - 10}' y2='{bottom}' stroke='#999'/>",
             f"<line x1='{left}' y1='10' x2='{left}' y2='{bottom}' stroke='#999'/>",
             f"<text x='{left - 5}' y='15' text-anchor='end' font-size='11'>{high:.3g}</text>",
             f"<text x='{left - 5}' y='{bottom}' text-anchor='end' font-size='11'>{low:.3g}"
             "</text>",
             f"<text x='{width - 10}' y='{height - 8}' text-anchor='end' font-size='11'>step "
             f"{max(steps)}</text>"]
    for index, (name, colour) in enumerate(series.items()):
        points = " ".join(f"{x(r['step']):.1f},{y(r[name]):.1f}" for r in history if name in r)
        parts.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' "
                     f"points='{points}'><title>{name}</title></polyline>")
        parts.append(f"<text x='{left + 10 + index * 110}' y='{height - 8}' font-size='11' "
                     f"fill='{colour}'>{name}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _training_history(summary: RunSummary) -> Optional[List[Dict[str, float]]]:
    for node in summary.nodes:
        for run in node.outputs.get("ModelRun", []):
            path = os.path.join(run.uri, TRAINING_RECORD)
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as handle:
                    return json.load(handle)["history"]
    return None


def render(summary: RunSummary, statistics_uri: Optional[str]) -> str:
    """The report's HTML."""
    decision = ("pushed to " + (summary.pushed_to or "the serving directory")
                if summary.pushed else "not pushed")
    sections = [
        ("summary", "Run", f"<p>{html.escape(summary.render().splitlines()[0])}</p>"
         + _table(["", "value"], [["rows read", summary.rows_read], ["rows ingested",
                                                                summary.rows_ingested],
                             ["rows quarantined", summary.rows_quarantined],
                             ["blessed", summary.blessed], ["push decision", decision]])),
    ]
    statistics = statistics_rows(statistics_uri) if statistics_uri else {}
    sections.append(("statistics", "Data statistics", "".join(
        f"<h3>{html.escape(split)}</h3>" + _table(
            ["feature", "present", "missing", "mean", "std", "min", "max", "values"], rows)
        for split, rows in statistics.items()) or "<p class='muted'>no statistics</p>"))
    sections.append(("anomalies", "Anomalies", "<ul>" + "".join(
        f"<li>{html.escape(a)}</li>" for a in summary.anomalies) + "</ul>"
        if summary.anomalies else "<p>none</p>"))
    history = _training_history(summary)
    sections.append(("training", "Training curves",
                     training_svg(history) if history else
                     "<p class='muted'>the Trainer came from cache or did not run</p>"))
    metric_rows = [[name, value, summary.eval_metrics.get(name + DIFF_SUFFIX, "")]
                   for name, value in sorted(summary.eval_metrics.items())
                   if not name.endswith(DIFF_SUFFIX)]
    if summary.mean_predictor_rmse is not None:
        metric_rows.append(["RMSE of the mean predictor", summary.mean_predictor_rmse, ""])
    sections.append(("evaluation", "Evaluation against the baseline",
                     _table(["metric", "candidate", "candidate - baseline"], metric_rows)))
    sections.append(("push", "Push decision", f"<p>blessed: {summary.blessed}; "
                                              f"{html.escape(decision)}</p>"))
    lineage = [[node.node_id, node.state,
                "; ".join(f"{kind}: {a.uri}" for kind, artifacts in node.outputs.items()
                          for a in artifacts)] for node in summary.nodes]
    sections.append(("lineage", "Artifact lineage",
                     _table(["component", "state", "outputs (type: uri)"], lineage)))
    body = "".join(f"<section id='{sid}'><h2>{html.escape(title)}</h2>{content}</section>"
                   for sid, title, content in sections)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>tfx-multimodal run "
            f"{html.escape(summary.run_id)}</title><style>{_STYLE}</style></head>"
            f"<body><h1>tfx-multimodal run report</h1>{body}</body></html>")


def write_report(summary: RunSummary, output_dir: str) -> str:
    """Writes `<output_dir>/reports/<run>/report.html` and a copy at `<output_dir>/report.html`."""
    statistics = next((node.outputs["ExampleStatistics"][0] for node in summary.nodes
                       if node.node_id == "StatisticsGen" and node.outputs.get(
                           "ExampleStatistics")), None)
    page = render(summary, statistics.uri if statistics is not None else None)
    run_dir = os.path.join(os.path.abspath(output_dir), "reports",
                           summary.run_id.replace(":", "-"))
    os.makedirs(run_dir, exist_ok=True)
    paths = [os.path.join(run_dir, REPORT_FILE), os.path.join(os.path.abspath(output_dir),
                                                               REPORT_FILE)]
    for path in paths:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(page)
    return paths[0]
