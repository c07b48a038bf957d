"""The run report: one self-contained `report.html` per run, written beside the run's outputs.

Everything is inline (SVG charts, PNG thumbnails as data URIs, one small style sheet): nothing is
fetched and no script runs, so it opens offline in any browser. (TFDV's own Facets view loads its
scripts from cdnjs and GitHub, so the data charts are drawn here from TFDV's statistics.)

Sections: summary, data (a chart per feature, drift against the previous span, thumbnails as
Transform decodes them), anomalies, training curves, the model's mistakes on the eval split,
evaluation against the baseline, push decision and artifact lineage.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
from typing import Dict, List, Optional

from pipeline.reporting import report_sections as sections
from pipeline.reporting.summary import RunSummary
from schemas import FeatureSet, Role

REPORT_FILE = "report.html"
STYLE = """
body{font-family:sans-serif;margin:1.5em auto;max-width:1240px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;
text-align:right;vertical-align:middle}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}section{margin-bottom:2em}.muted{color:#777}
nav a{margin-right:1em}.charts{display:flex;flex-wrap:wrap;gap:8px}
.charts figure{margin:0;border:1px solid #eee}figcaption{font-size:12px;color:#555;
padding:0 .5em .3em;max-width:400px}.strip{display:flex;flex-wrap:wrap;gap:4px}
figure.thumb{margin:0;text-align:center;font-size:11px;color:#555}
figure.thumb img{image-rendering:pixelated;border:1px solid #ddd;display:block}
h4{margin:.6em 0 .2em;font-weight:normal;color:#555}.charts h3{margin:0 0 .2em}
.groups{display:flex;flex-wrap:wrap;column-gap:28px}
table.worst td{padding:.1em .5em;white-space:nowrap}.scroll{overflow-x:auto;max-width:100%}
.charts>.errors{flex:1 1 480px;min-width:0}
"""


@dataclasses.dataclass
class RunArtifacts:
    """The artifact URIs a report reads (None when that component did not produce one)."""

    statistics: Optional[str] = None
    previous_statistics: Optional[str] = None
    schema: Optional[str] = None
    examples: Optional[str] = None
    transform_graph: Optional[str] = None
    model: Optional[str] = None
    model_run: Optional[str] = None


_SOURCES = {"statistics": ("StatisticsGen", "ExampleStatistics"),
            "schema": ("ImportSchemaGen", "Schema"),
            "examples": ("CsvImageExampleGen", "Examples"),
            "transform_graph": ("Transform", "TransformGraph"),
            "model": ("Trainer", "Model"), "model_run": ("Trainer", "ModelRun")}


def run_artifacts(summary: RunSummary) -> RunArtifacts:
    """The artifacts of the run's components; the previous span's statistics are the data
    gate's input (resolvers record no outputs in ML Metadata)."""
    from components.data_gate.executor import PREVIOUS_STATISTICS_KEY

    nodes = {node.node_id: node for node in summary.nodes}
    found = {}
    for field, (node_id, kind) in _SOURCES.items():
        artifacts = nodes[node_id].outputs.get(kind) if node_id in nodes else None
        found[field] = artifacts[-1].uri if artifacts else None
    gate = nodes.get("DataGate")
    previous = gate.inputs.get(PREVIOUS_STATISTICS_KEY) if gate else None
    return RunArtifacts(**found, previous_statistics=previous[0].uri if previous else None)


def _training_record(model_run_uri: Optional[str]) -> Optional[dict]:
    from components.trainer.run import TRAINING_RECORD

    path = os.path.join(model_run_uri or "", TRAINING_RECORD)
    if model_run_uri and os.path.isfile(path):
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    return None


def _drift(artifacts: RunArtifacts) -> Dict[str, object]:
    """Feature -> the data gate's DriftScore against the previous span (none without one)."""
    if not (artifacts.previous_statistics and artifacts.statistics and artifacts.schema):
        return {}
    from tfx.utils import io_utils

    from components.data_gate import anomalies
    from components.data_gate.executor import SCHEMA_FILE

    schema = io_utils.SchemaReader().read(os.path.join(artifacts.schema, SCHEMA_FILE))
    return {score.feature: score for score in anomalies.read_drift_scores(
        artifacts.statistics, artifacts.previous_statistics, schema)}


def _sections(summary: RunSummary, artifacts: RunArtifacts, features: FeatureSet
              ) -> List[tuple]:
    from pipeline.reporting import feature_charts, predictions, samples

    decision = ("pushed to " + (summary.pushed_to or "the serving directory")
                if summary.pushed else "not pushed")
    statistics = (feature_charts.read_statistics(artifacts.statistics)
                  if artifacts.statistics else {})
    previous = (feature_charts.read_statistics(artifacts.previous_statistics).get("train")
                if artifacts.previous_statistics else None)
    images = [f.name for f in features.with_role(Role.IMAGE)]
    keys = [f.name for f in features.with_role(Role.KEY)]
    others = [f.name for f in features.inputs if f.name not in images]
    record = _training_record(artifacts.model_run)
    # an open label domain's classes are the ones the Trainer found (shown in sorted order)
    class_names = (sorted((record or {}).get("class_names", [])) if features.label.open_classes
                   else features.class_names)
    view = (samples.TransformView(artifacts.transform_graph)
            if artifacts.transform_graph and images else None)
    strips = (samples.sample_strips(view, artifacts.examples, images, features.label.name,
                                    by_class=bool(class_names))
              if view and artifacts.examples else {})
    result = (predictions.eval_predictions(os.path.join(artifacts.model, "Format-Serving"),
                                           artifacts.examples, features.label.name)
              if artifacts.model and artifacts.examples else None)
    return [
        ("summary", "Run", sections.summary_section(summary, decision)),
        ("data", "Data", sections.data_section(
            statistics, features.names, keys, previous, _drift(artifacts), strips)),
        ("anomalies", "Anomalies", "<ul>" + "".join(
            f"<li>{html.escape(a)}</li>" for a in summary.anomalies) + "</ul>"
         if summary.anomalies else "<p>none</p>"),
        ("training", "Training curves",
         sections.training_section(record)),
        ("errors", "Errors on the eval split",
         predictions.error_section(result, features.label.name, class_names, view, images,
                                   others) if result else
         "<p class='muted'>no model was trained in this run</p>"),
        ("evaluation", "Evaluation against the baseline", sections.evaluation_section(summary)),
        ("push", "Push decision", sections.push_section(summary, decision)),
        ("lineage", "Artifact lineage", sections.lineage_section(summary)),
    ]


def render(summary: RunSummary, artifacts: RunArtifacts, features: FeatureSet) -> str:
    """The report's HTML."""
    parts = _sections(summary, artifacts, features)
    nav = "<nav>" + "".join(f"<a href='#{sid}'>{html.escape(title)}</a>"
                            for sid, title, _ in parts) + "</nav>"
    body = "".join(f"<section id='{sid}'><h2>{html.escape(title)}</h2>{content}</section>"
                   for sid, title, content in parts)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>tfx-multimodal run "
            f"{html.escape(summary.run_id)}</title><style>{STYLE}</style></head><body>"
            f"<h1>tfx-multimodal run {html.escape(summary.run_id)}</h1>{nav}{body}</body></html>")


def report_dir(output_dir: str, run_id: str) -> str:
    """Where the report of run `run_id` lives: `<output_dir>/reports/<run id>/`."""
    return os.path.join(os.path.abspath(output_dir), "reports", run_id.replace(":", "-"))


def write_report(summary: RunSummary, output_dir: str, features: FeatureSet) -> str:
    """Writes `<output_dir>/reports/<run>/report.html` and a copy at `<output_dir>/report.html`."""
    page = render(summary, run_artifacts(summary), features)
    run_dir = report_dir(output_dir, summary.run_id)
    os.makedirs(run_dir, exist_ok=True)
    paths = [os.path.join(run_dir, REPORT_FILE), os.path.join(os.path.abspath(output_dir),
                                                               REPORT_FILE)]
    for path in paths:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(page)
    return paths[0]
