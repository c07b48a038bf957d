"""The run summary: what the latest run of a pipeline did, read back from ML Metadata.

Rows ingested and quarantined, anomalies, eval metrics beside a trivial baseline (the mean
predictor's RMSE for regression, the majority class's accuracy for classifiers), whether the model
was blessed and pushed, and where the model, metrics and metadata store are.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Dict, List, Optional

from pipeline.config import PipelineConfig
from pipeline.evaluation import ACCURACY_METRIC, AUC_METRIC, RMSE_METRIC, blessing_failures
from pipeline.reporting.summary_baselines import majority_class_accuracy, mean_predictor_rmse
from schemas import FeatureSet, Task

RESOLVER_SUFFIX = "_resolver"  # node ids of the pipeline's resolvers (pipeline/dag.py)
TRANSFORM_NODE, TRANSFORM_EXAMPLES_INPUT = "Transform", "examples"  # what the model trains on
DIFF_SUFFIX = "_diff"  # TFMA's name suffix for the change against the baseline model
# ml_metadata.proto.metadata_store_pb2.Execution.State
_STATE_NAMES = {0: "UNKNOWN", 1: "NEW", 2: "RUNNING", 3: "COMPLETE", 4: "FAILED", 5: "CACHED",
                6: "CANCELED"}


@dataclasses.dataclass
class NodeRun:
    """One component execution of a run."""

    node_id: str
    state: str
    outputs: Dict[str, List[object]]  # artifact type name -> MLMD artifacts
    # the component's input name (e.g. "previous_statistics") -> MLMD artifacts
    inputs: Dict[str, List[object]] = dataclasses.field(default_factory=dict)
    execution_id: Optional[int] = None  # MLMD's; TFX names the execution's output folders by it


@dataclasses.dataclass
class RunSummary:
    """What `render` prints; also what tests assert on."""

    run_id: str
    nodes: List[NodeRun]
    rows_read: Optional[int] = None
    rows_ingested: Optional[int] = None
    rows_quarantined: Optional[int] = None
    anomalies: List[str] = dataclasses.field(default_factory=list)
    eval_metrics: Dict[str, float] = dataclasses.field(default_factory=dict)
    mean_predictor_rmse: Optional[float] = None
    majority_class_accuracy: Optional[float] = None
    primary_metric: str = RMSE_METRIC  # what the history table shows: RMSE, accuracy or AUC
    blessed: Optional[bool] = None
    blessing_failures: List[str] = dataclasses.field(default_factory=list)  # when not blessed
    pushed: Optional[bool] = None
    pushed_to: Optional[str] = None
    pushed_version: Optional[str] = None
    spans: List[int] = dataclasses.field(default_factory=list)  # the spans trained on
    evaluation_uri: Optional[str] = None
    metadata_path: str = ""
    quarantine_dir: Optional[str] = None
    # the row counts come from the report the ingest executor kept when the run failed on the
    # quarantine limit (TFX deleted the failed execution's Examples)
    ingest_failed: bool = False

    @property
    def states(self) -> Dict[str, str]:
        return {node.node_id: node.state for node in self.nodes}

    @property
    def components(self) -> List[NodeRun]:
        """The run's nodes without its resolvers."""
        return [node for node in self.nodes if not node.node_id.endswith(RESOLVER_SUFFIX)]

    def blessed_text(self) -> str:
        """Whether the model was blessed and, if not, the bounds it failed."""
        return yes_no(self.blessed) + (f" ({'; '.join(self.blessing_failures)})"
                                       if self.blessing_failures else "")

    def render(self, elapsed_seconds: Optional[float] = None) -> str:
        components = self.components
        cached = sum(1 for node in components if node.state == "CACHED")
        lines = [f"Run {self.run_id}: {len(components)} components, {cached} from cache"
                 + (f", {elapsed_seconds:.0f} s" if elapsed_seconds is not None else "")]

        def row(label: str, value: str) -> None:
            lines.append(f"  {label:<33} {value}")  # a space after the longest labels too

        if self.rows_read is not None:
            row("rows ingested", f"{self.rows_ingested} of {self.rows_read} "
                f"({self.rows_quarantined} quarantined"
                + (f", see {self.quarantine_dir})" if self.rows_quarantined else ")"))
        row("anomalies", str(len(self.anomalies) or "none"))
        lines.extend(f"    {anomaly}" for anomaly in self.anomalies)
        for name, value in sorted(self.eval_metrics.items()):
            if name.endswith(DIFF_SUFFIX):
                continue
            diff = self.eval_metrics.get(name + DIFF_SUFFIX)
            digits = 0 if name.endswith("count") else 4  # example_count, else rates and errors
            row(f"eval {name}", f"{value:.{digits}f}"
                + (f" (vs. baseline {diff:+.{digits}f})" if diff is not None else ""))
        if self.mean_predictor_rmse is not None:
            row("eval RMSE of the mean predictor", f"{self.mean_predictor_rmse:.4f}")
        if self.majority_class_accuracy is not None:
            row("eval accuracy, train's top class", f"{self.majority_class_accuracy:.4f}")
        pusher_cached = self.states.get("Pusher") == "CACHED"
        row("blessed", self.blessed_text())
        row("pushed", yes_no(self.pushed)
            + (f" -> {self.pushed_to}" if self.pushed and self.pushed_to else "")
            + (" (by an earlier run; nothing new this time)"
               if pusher_cached and self.pushed else ""))
        if self.evaluation_uri:
            row("metrics", self.evaluation_uri)
        row("metadata store", self.metadata_path)
        return "\n".join(lines)


HISTORY_TITLES = {RMSE_METRIC: "eval RMSE", ACCURACY_METRIC: "accuracy", AUC_METRIC: "eval AUC"}


def render_history(summaries: List[RunSummary]) -> str:
    """One line per run: time, spans, eval and baseline metric (RMSE, or accuracy / AUC for
    classifiers), blessed, pushed model version."""
    metric = summaries[-1].primary_metric if summaries else RMSE_METRIC
    ran = [components_ran(summary) for summary in summaries]
    width = max([12] + [len(text) + 2 for text in ran])
    spans = [spans_text(summary.spans) or "-" for summary in summaries]
    spans_width = max([8] + [len(text) + 2 for text in spans])
    header = (f"{'run':<28}{'spans':<{spans_width}}{'components':<{width}}"
              f"{HISTORY_TITLES[metric]:>10}{'baseline':>10}  {'blessed':<8}{'pushed model':<14}")
    lines = [header, "-" * len(header)]
    for summary, components, span_text in zip(summaries, ran, spans):
        rmse = summary.eval_metrics.get(metric)
        diff = summary.eval_metrics.get(metric + DIFF_SUFFIX)
        baseline = f"{rmse - diff:.4f}" if rmse is not None and diff is not None else "-"
        pushed = pushed_text(summary)
        lines.append(
            f"{summary.run_id:<28}{span_text:<{spans_width}}"
            f"{components:<{width}}{(f'{rmse:.4f}' if rmse is not None else '-'):>10}"
            f"{baseline:>10}  {yes_no(summary.blessed):<8}{pushed:<14}")
    return "\n".join(lines)


def pushed_text(summary: RunSummary) -> str:
    """The pushed model's version, "(cached)" when the Pusher came from the cache, or "no"."""
    if summary.pushed and summary.states.get("Pusher") == "CACHED":
        return "(cached)"
    return (summary.pushed_version or "yes") if summary.pushed else "no"


def components_ran(summary: RunSummary) -> str:
    """"N ran", or "N ran, <component> failed" for a run that stopped at a component."""
    executed = sum(1 for node in summary.components if node.state == "COMPLETE")
    failed = [node.node_id for node in summary.components if node.state == "FAILED"]
    quarantined = (f": {summary.rows_quarantined} of {summary.rows_read} rows quarantined"
                   if summary.ingest_failed else "")
    return f"{executed} ran" + (f", {failed[0]} failed{quarantined}" if failed else "")


def yes_no(flag: Optional[bool]) -> str:
    return "n/a" if flag is None else ("yes" if flag else "no")


def open_store(metadata_path: str):
    """A read-only handle on the ML Metadata store at `metadata_path` (SQLite)."""
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    if not os.path.isfile(metadata_path):
        raise FileNotFoundError(f"no metadata store at {metadata_path}: nothing has run yet")
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = metadata_path
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    return metadata_store.MetadataStore(config)


def pipeline_runs(store, pipeline_name: str) -> list:
    """The `pipeline_run` contexts of a pipeline, oldest first."""
    pipeline_context = store.get_context_by_type_and_name("pipeline", pipeline_name)
    if pipeline_context is None:
        raise LookupError(f"pipeline {pipeline_name!r} has no runs in this metadata store")
    pipeline_executions = {e.id for e in store.get_executions_by_context(pipeline_context.id)}
    runs = [c for c in store.get_contexts_by_type("pipeline_run")
            if {e.id for e in store.get_executions_by_context(c.id)} & pipeline_executions]
    return sorted(runs, key=lambda c: (c.create_time_since_epoch, c.id))


def latest_run_nodes(store, pipeline_name: str):
    """(run id, [NodeRun]) of the newest run of `pipeline_name`."""
    return run_nodes(store, pipeline_runs(store, pipeline_name)[-1])


def run_nodes(store, run):
    """(run id, [NodeRun]) of one `pipeline_run` context."""
    from ml_metadata.proto import metadata_store_pb2

    nodes = []
    for execution in sorted(store.get_executions_by_context(run.id), key=lambda e: e.id):
        node_names = [c.name for c in store.get_contexts_by_execution(execution.id)
                      if c.type == "node"]
        node_id = node_names[0].split(".", 1)[1] if node_names else execution.type
        events = store.get_events_by_execution_ids([execution.id])
        artifacts = {a.id: a for a in store.get_artifacts_by_id([e.artifact_id for e in events])}
        outputs: Dict[str, List[object]] = {}
        inputs: Dict[str, List[object]] = {}
        for event in sorted(events, key=lambda e: e.artifact_id):
            if event.type == metadata_store_pb2.Event.OUTPUT:
                outputs.setdefault(artifacts[event.artifact_id].type, []).append(
                    artifacts[event.artifact_id])
            elif event.type == metadata_store_pb2.Event.INPUT and event.path.steps:
                inputs.setdefault(event.path.steps[0].key, []).append(
                    artifacts[event.artifact_id])
        nodes.append(NodeRun(node_id, _STATE_NAMES.get(execution.last_known_state, "?"), outputs,
                             inputs, execution.id))
    return run.name, nodes


def _custom(artifact, key):
    if key not in artifact.custom_properties:
        return None
    value = artifact.custom_properties[key]
    return getattr(value, value.WhichOneof("value"))


def _first(nodes: List[NodeRun], artifact_type: str):
    for node in nodes:
        if node.outputs.get(artifact_type):
            return node.outputs[artifact_type][0]
    return None


def trained_spans(nodes: List[NodeRun]) -> List[int]:
    """The spans of the Examples that Transform read (with a span window, every span the model
    trains on), else of those the run ingested (a run that stopped before Transform)."""
    read = next((node.inputs.get(TRANSFORM_EXAMPLES_INPUT, []) for node in nodes
                 if node.node_id == TRANSFORM_NODE), [])
    examples = read or [a for node in nodes for a in node.outputs.get("Examples", [])]
    return sorted({int(_custom(a, "span")) for a in examples if _custom(a, "span") is not None})


def failed_ingest_report(pipeline_root: str, nodes: List[NodeRun]) -> Optional[str]:
    """The folder where the ingest executor kept the quarantine report of the run's failed
    execution (`<pipeline_root>/<node>/failed-ingest-reports/<execution id>`, see
    `keep_failed_report`), or None when no execution failed on the quarantine limit."""
    from components.ingest.ingest_report import FAILED_REPORTS_DIR_NAME

    for node in nodes:
        if node.state == "FAILED" and node.execution_id is not None:
            kept = os.path.join(pipeline_root, node.node_id, FAILED_REPORTS_DIR_NAME,
                                str(node.execution_id))
            if os.path.isdir(kept):
                return kept
    return None


def spans_text(spans: List[int]) -> str:
    """Sorted spans with runs of consecutive ones as ranges: [0, 2, 3, 4] -> "0,2-4"."""
    ranges: List[List[int]] = []
    for span in spans:
        if ranges and span == ranges[-1][-1] + 1:
            ranges[-1][-1] = span
        else:
            ranges.append([span, span])
    return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in ranges)


def _anomaly_lines(anomalies_uri: str, features: FeatureSet) -> List[str]:
    from components.data_gate.anomalies import open_label_name, read_anomalies

    return [anomaly.line()
            for anomaly in read_anomalies(anomalies_uri, open_label_name(features))]


def _overall_metrics(evaluation_uri: str) -> Dict[str, float]:
    import tensorflow_model_analysis as tfma

    result = tfma.load_eval_result(evaluation_uri)
    for slice_key, metrics in result.slicing_metrics:
        if not slice_key:  # the overall slice
            values = next(iter(metrics.values()))[""]
            return {name: value.get("doubleValue", float("nan")) for name, value in values.items()
                    if "doubleValue" in value}
    return {}


def summarize_latest_run(config: PipelineConfig) -> RunSummary:
    """Reads the newest run of the configured pipeline back from its metadata store."""
    store = open_store(config.metadata_path)
    return summarize_run(store, config, *latest_run_nodes(store, config.pipeline_name))


def summarize_all_runs(config: PipelineConfig) -> List[RunSummary]:
    """Every run of the configured pipeline, oldest first."""
    store = open_store(config.metadata_path)
    return [summarize_run(store, config, *run_nodes(store, run))
            for run in pipeline_runs(store, config.pipeline_name)]


def summarize_run(store, config: PipelineConfig, run_id: str, nodes: List[NodeRun]
                  ) -> RunSummary:
    """The RunSummary of one run's nodes."""
    del store
    summary = RunSummary(run_id=run_id, nodes=nodes, metadata_path=config.metadata_path)

    summary.spans = trained_spans(nodes)
    examples = _first(nodes, "Examples")
    if examples is not None and _custom(examples, "rows_read") is not None:
        summary.rows_read = int(_custom(examples, "rows_read"))
        summary.rows_ingested = int(_custom(examples, "rows_ingested"))
        summary.rows_quarantined = int(_custom(examples, "rows_quarantined"))
        summary.quarantine_dir = _custom(examples, "ingest_report_dir")
    elif (kept := failed_ingest_report(config.pipeline_root, nodes)) is not None:
        from components.ingest.ingest_report import read_counts

        counts = read_counts(kept)
        summary.rows_read, summary.rows_ingested, summary.rows_quarantined = (
            counts["rows_read"], counts["rows_ingested"], counts["rows_quarantined"])
        summary.quarantine_dir, summary.ingest_failed = kept, True
    features = config.features()
    anomalies = _first(nodes, "ExampleAnomalies")
    if anomalies is not None:
        summary.anomalies = _anomaly_lines(anomalies.uri, features)
    if features.task is Task.BINARY:
        summary.primary_metric = AUC_METRIC
    elif features.task is Task.MULTICLASS:
        summary.primary_metric = ACCURACY_METRIC
    statistics = _first(nodes, "ExampleStatistics")
    if statistics is not None and features.task.is_classification:
        summary.majority_class_accuracy = majority_class_accuracy(statistics.uri,
                                                                  features.label.name)
    elif statistics is not None:
        summary.mean_predictor_rmse = mean_predictor_rmse(statistics.uri, features.label.name)
    evaluation = _first(nodes, "ModelEvaluation")
    if evaluation is not None:
        summary.evaluation_uri = evaluation.uri
        summary.eval_metrics = _overall_metrics(evaluation.uri)
    blessing = _first(nodes, "ModelBlessing")
    if blessing is not None:
        summary.blessed = bool(_custom(blessing, "blessed"))
        if not summary.blessed and evaluation is not None:
            summary.blessing_failures = blessing_failures(evaluation.uri)
    pushed = _first(nodes, "PushedModel")
    if pushed is not None:
        summary.pushed = bool(_custom(pushed, "pushed"))
        summary.pushed_to = _custom(pushed, "pushed_destination")
        summary.pushed_version = _custom(pushed, "pushed_version")
    return summary
