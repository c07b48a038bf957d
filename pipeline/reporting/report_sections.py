"""The run report's sections as HTML fragments, each from the artifacts of one part of the run:
data (feature charts, drift, thumbnails, statistics tables), training curves, evaluation against
the baseline, the push decision and artifact lineage. `report.py` finds the artifacts and
assembles the page."""

from __future__ import annotations

import html
from typing import Dict, List, Optional, Sequence

from pipeline.reporting import charts
from pipeline.reporting.feature_charts import key_line, statistics_charts, statistics_rows
from pipeline.reporting.summary import DIFF_SUFFIX, RunSummary, spans_text

LOSS_SUFFIX = "loss"


class Markup(str):
    """A table cell that is HTML already (a link, a thumbnail): not escaped."""


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An HTML table in a `scroll_box`; its column names wrap after "_" and "/" (`breakable`)."""
    head = "".join(f"<th>{breakable(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(
        f"<td>{c if isinstance(c, Markup) else html.escape(cell(c))}</td>" for c in row)
        + "</tr>" for row in rows)
    return scroll_box(f"<table><tr>{head}</tr>{body}</table>")


def breakable(text: str) -> str:
    """`text` escaped, with a line-break opportunity after each "_" and "/": long column names
    and paths wrap instead of widening their table."""
    return html.escape(text).replace("_", "_<wbr>").replace("/", "/<wbr>")


def scroll_box(table_html: str) -> str:
    """A table in a box no wider than the page that scrolls sideways when the table is wider
    (STYLE's `.scroll`): the page itself keeps its width."""
    return f"<div class='scroll'>{table_html}</div>"


def cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


def figures(items: Sequence[tuple]) -> str:
    """Charts side by side, each with its caption (`(chart, caption)` pairs)."""
    return "<div class='charts'>" + "".join(
        f"<figure>{chart}<figcaption>{html.escape(caption)}</figcaption></figure>"
        for chart, caption in items) + "</div>"


def data_section(statistics: Dict[str, Dict[str, object]], names: Sequence[str],
                 keys: Sequence[str], previous_train: Optional[Dict[str, object]],
                 drift: Dict[str, object], strips: Dict[str, Dict[str, str]]) -> str:
    """Feature charts of `names` but the key columns `keys` (splits overlaid; the previous
    span's train split and the drift score when there is one), a line on the keys, image
    thumbnails, and the statistics as tables."""
    if not statistics:
        return "<p class='muted'>no statistics (StatisticsGen did not run)</p>"
    intro = ("<p>Share of examples per value, from StatisticsGen's TFDV statistics"
             + (", with the previous span's train split and the data gate's drift score"
                if previous_train else "") + ".</p>")
    keys_text = key_line(statistics, keys)
    parts = [intro + (f"<p>{html.escape(keys_text)}</p>" if keys_text else ""),
             figures([(chart, caption) for _, chart, caption
                      in statistics_charts(statistics, [n for n in names if n not in keys],
                                           previous_train, drift)])]
    for name, rows in strips.items():
        parts.append(f"<h3>{html.escape(name)}: as the model sees it (Transform output)</h3>")
        parts.append("<div class='groups'>" + "".join(
            f"<div><h4>{html.escape(heading)}</h4>{strip}</div>"
            for heading, strip in rows.items()) + "</div>")
    parts.append("<details><summary>statistics tables</summary>" + "".join(
        f"<h4>{html.escape(split)}</h4>" + table(
            ["feature", "present", "missing", "mean", "std", "min", "max", "values"], rows)
        for split, rows in statistics_rows(statistics).items()) + "</details>")
    return "".join(parts)


def best_step(history: Sequence[Dict[str, float]]) -> Optional[Dict[str, float]]:
    """The evaluation round with the lowest eval loss (the weights early stopping keeps)."""
    rounds = [r for r in history if "eval_loss" in r]
    return min(rounds, key=lambda r: (r["eval_loss"], r["step"])) if rounds else None


def training_section(record: Optional[dict]) -> str:
    """Loss curves (train vs eval) and the eval metrics per evaluation round, best step
    marked; `record` is the Trainer's training.json."""
    if not record or not record.get("history"):
        return "<p class='muted'>the Trainer came from cache or did not run</p>"
    history = record["history"]
    names = [n for n in history[0] if n != "step"]
    best = best_step(history)
    marks = [charts.Mark(best["step"], f"best step {best['step']:.0f}")] if best else []
    losses = [n for n in names if n.endswith(LOSS_SUFFIX)]
    metrics = [n for n in names if n not in losses]
    items = []
    for group, title in ((losses, "loss"), (metrics, "metric")):
        if group:
            items.append((charts.lines({n: [(r["step"], r[n]) for r in history if n in r]
                                        for n in group}, f"{title} per evaluation round",
                                       "training step", title, marks), ""))
    stopped = (f"stopped early at step {record['final_step']}" if record.get("stopped_early")
               else f"ran to step {record.get('final_step', history[-1]['step'])}")
    return f"<p>Training {stopped}{exported_weights(record, best)}.</p>" + figures(items)


def exported_weights(record: dict, best: Optional[Dict[str, float]]) -> str:
    """Which step's weights the model holds, when the curves' best step is not plainly it:
    the best round's (early stopping keeps them), or the last step's though eval loss was
    lower before (`best_weights_kept` absent from older records: kept when stopped early)."""
    if not best:
        return ""
    if record.get("best_weights_kept", record.get("stopped_early")):
        return (f"; the exported weights are step {best['step']:.0f}'s (eval loss "
                f"{best['eval_loss']:.4g})")
    last = [r for r in record["history"] if "eval_loss" in r][-1]
    if best["step"] == last["step"]:
        return ""
    return (f"; the exported weights are the last step's (eval loss {last['eval_loss']:.4g}), "
            f"not the best step's ({best['step']:.0f}, eval loss {best['eval_loss']:.4g}): "
            "set early_stopping_patience to keep the best step's")


def evaluation_section(summary: RunSummary) -> str:
    metric_rows = [[name, value, summary.eval_metrics.get(name + DIFF_SUFFIX)]
                   for name, value in sorted(summary.eval_metrics.items())
                   if not name.endswith(DIFF_SUFFIX)]
    if summary.mean_predictor_rmse is not None:
        metric_rows.append(["RMSE of the mean predictor", summary.mean_predictor_rmse, None])
    if summary.majority_class_accuracy is not None:
        metric_rows.append(["accuracy of the majority class", summary.majority_class_accuracy,
                            None])
    return table(["metric", "candidate", "candidate - baseline"], metric_rows)


def lineage_section(summary: RunSummary) -> str:
    rows = [[node.node_id, node.state,
             Markup(breakable("; ".join(f"{kind}: {a.uri}" for kind, artifacts
                                        in node.outputs.items() for a in artifacts)))]
            for node in summary.nodes]
    return ("<details><summary>every component, its state and outputs</summary>"
            + table(["component", "state", "outputs (type: uri)"], rows) + "</details>")


def summary_section(summary: RunSummary, decision: str) -> str:
    rows: List[List[object]] = [
        ["rows read", summary.rows_read], ["rows ingested", summary.rows_ingested],
        ["rows quarantined", summary.rows_quarantined],
        ["spans", spans_text(summary.spans) or None],
        ["blessed", summary.blessed_text()], ["push decision", decision]]
    return (f"<p>{html.escape(summary.render().splitlines()[0])}</p>"
            + table(["", "value"], rows))


def push_section(summary: RunSummary, decision: str) -> str:
    """Blessed or not (with the bounds the model failed) and what the Pusher did."""
    return f"<p>blessed: {html.escape(summary.blessed_text())}; {html.escape(decision)}</p>"
