"""The run summary's text: metric values and their change against the baseline model."""

import os

from pipeline.reporting import summary


def test_metrics_print_with_four_decimals_and_counts_as_whole_numbers():
    run = summary.RunSummary(run_id="r", nodes=[], eval_metrics={
        "accuracy": 1.0, "accuracy_diff": 0.0323, "example_count": 31.0,
        "example_count_diff": 0.0, "auc": 0.97491})
    lines = {line[:36].strip(): line[36:] for line in run.render().splitlines()[1:]}
    assert lines["eval accuracy"] == "1.0000 (vs. baseline +0.0323)"
    assert lines["eval example_count"] == "31 (vs. baseline +0)"
    assert lines["eval auc"] == "0.9749"


def test_the_trivial_classifier_row_says_it_predicts_the_train_splits_largest_class():
    """Beside accuracy_over_majority_class (the eval split's own largest class), a row named
    'majority-class accuracy' read as a contradiction when the two classes differ."""
    run = summary.RunSummary(run_id="r", nodes=[], eval_metrics={},
                             majority_class_accuracy=0.0625)
    assert "  eval accuracy, train's top class  0.0625" in run.render().splitlines()


def test_a_metric_name_longer_than_the_column_keeps_a_space_before_its_value():
    run = summary.RunSummary(run_id="r", nodes=[], eval_metrics={
        "balanced_accuracy_over_chance": 0.5, "auc": 1.0})
    lines = run.render().splitlines()
    assert "  eval auc                          1.0000" in lines
    assert "  eval balanced_accuracy_over_chance 0.5000" in lines


def test_a_cached_pusher_says_an_earlier_run_pushed_only_when_one_did():
    """A rejected model's cached Pusher printed 'no (by an earlier run; nothing new this
    time)'."""
    def pushed_row(pushed):
        run = summary.RunSummary(run_id="r", nodes=[summary.NodeRun("Pusher", "CACHED", {})],
                                 eval_metrics={}, pushed=pushed, pushed_to="/serving/17")
        return [line for line in run.render().splitlines() if "pushed" in line]
    assert pushed_row(False) == ["  pushed                            no"]
    assert pushed_row(True) == ["  pushed                            yes -> /serving/17 (by an "
                                "earlier run; nothing new this time)"]


def test_a_run_that_stopped_at_a_component_says_which_in_both_histories(tmp_path):
    from pipeline.reporting import history
    from pipeline.reporting.summary import NodeRun

    done = summary.RunSummary(run_id="2026-11-28T00:00:01.000001", spans=[0], nodes=[
        NodeRun("CsvImageExampleGen", "COMPLETE", {}), NodeRun("Trainer", "COMPLETE", {})])
    failed = summary.RunSummary(run_id="2026-11-28T01:00:01.000001", spans=[1], nodes=[
        NodeRun("CsvImageExampleGen", "FAILED", {})])
    lines = summary.render_history([done, failed]).splitlines()
    assert lines[0].split()[:3] == ["run", "spans", "components"]
    assert lines[2].split()[1:4] == ["0", "2", "ran"]
    assert "0 ran, CsvImageExampleGen failed" in lines[3]
    rmse_end = lines[0].index("eval RMSE") + len("eval RMSE") - 1
    assert lines[3][rmse_end] == lines[2][rmse_end] == "-"  # the columns stay aligned
    page = history.render_page([done, failed], str(tmp_path), "p")
    assert "<td>0 ran, CsvImageExampleGen failed</td>" in page


def examples(*spans):
    """MLMD Examples artifacts with a `span` custom property each."""
    from ml_metadata.proto import metadata_store_pb2

    result = []
    for span in spans:
        artifact = metadata_store_pb2.Artifact(type="Examples")
        artifact.custom_properties["span"].int_value = span
        result.append(artifact)
    return result


def test_the_spans_are_those_transform_read_else_those_ingested():
    from pipeline.reporting.summary import NodeRun

    example_gen = NodeRun("CsvImageExampleGen", "COMPLETE", {"Examples": examples(4)})
    transform = NodeRun("Transform", "COMPLETE", {}, {"examples": examples(3, 4)})
    assert summary.trained_spans([example_gen, transform]) == [3, 4]  # a span window of 2
    assert summary.trained_spans([example_gen]) == [4]  # the data gate stopped the run
    assert summary.trained_spans([]) == []


def test_spans_print_as_ranges_in_the_history_the_report_and_the_history_page(tmp_path):
    from pipeline.reporting import history, report_sections
    from pipeline.reporting.summary import NodeRun

    assert [summary.spans_text(s) for s in ([3, 4], [0, 2, 3, 4], [7], [])] == [
        "3-4", "0,2-4", "7", ""]
    window = summary.RunSummary(run_id="2026-11-28T00:00:01.000001", spans=[10, 11, 12, 14],
                                nodes=[NodeRun("Trainer", "COMPLETE", {})])
    lines = summary.render_history([window]).splitlines()
    assert lines[0].split()[:3] == ["run", "spans", "components"]
    assert lines[2].split()[1:3] == ["10-12,14", "1"]
    assert "<td>spans</td><td>10-12,14</td>" in report_sections.summary_section(window, "")
    assert "<td>10-12,14</td>" in history.render_page([window], str(tmp_path), "p")


def record_failed_ingestion(metadata_path, pipeline_name):
    """A run as TFX's launcher records one whose ingestion failed: a FAILED execution in the
    `pipeline`, `pipeline_run` and `node` contexts, with no output artifact (TFX deletes a failed
    execution's outputs); returns the execution id."""
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2 as pb

    connection = pb.ConnectionConfig()
    connection.sqlite.filename_uri = str(metadata_path)
    store = metadata_store.MetadataStore(connection)
    contexts = []
    for type_name, name in (("pipeline", pipeline_name), ("pipeline_run", "2026-11-30T07:51:54"),
                            ("node", f"{pipeline_name}.CsvImageExampleGen")):
        type_id = store.put_context_type(pb.ContextType(name=type_name))
        [context_id] = store.put_contexts([pb.Context(type_id=type_id, name=name)])
        contexts.append(store.get_contexts_by_id([context_id])[0])
    execution = pb.Execution(
        type_id=store.put_execution_type(pb.ExecutionType(name="CsvImageExampleGen")),
        last_known_state=pb.Execution.FAILED)
    execution_id, _, _ = store.put_execution(execution, [], contexts)
    return execution_id


def test_a_run_failed_on_the_quarantine_limit_shows_its_rows_from_the_kept_report(tmp_path):
    """TFX deletes the failed execution's Examples, counts and all; the rows come from the report
    the ingest executor kept, and both histories say the ingestion failed."""
    from components.ingest import ingest_report
    from pipeline.config import load_config
    from pipeline.reporting import history

    config = load_config(overrides={"output_dir": str(tmp_path / "out"), "pipeline_name": "p"})
    os.makedirs(config.pipeline_root)
    execution_id = record_failed_ingestion(config.metadata_path, "p")
    report_dir = tmp_path / "ingest_report"
    report_dir.mkdir()
    (report_dir / "a-counts.json").write_text('{"rows_ingested": 70, "rows_quarantined": 36}\n')
    kept = ingest_report.keep_failed_report(str(report_dir), os.path.join(
        config.pipeline_root, "CsvImageExampleGen", "examples", str(execution_id)))

    [failed] = summary.summarize_all_runs(config)
    assert (failed.rows_read, failed.rows_ingested, failed.rows_quarantined) == (106, 70, 36)
    assert failed.ingest_failed and failed.quarantine_dir == kept
    assert summary.render_history([failed]).splitlines()[2].split()[1:9] == [
        "-", "0", "ran,", "CsvImageExampleGen", "failed:", "36", "of", "106"]
    page = history.render_page([failed], str(tmp_path), "p")
    assert ("<td>0 ran, CsvImageExampleGen failed: 36 of 106 rows quarantined</td>"
            "<td>70</td><td>36</td>") in page
    assert "ingested 1 failed: 70" in page and "quarantined 1 failed: 36" in page

    os.rename(kept, kept + "-elsewhere")  # a failure with no kept report: no rows to show
    [other] = summary.summarize_all_runs(config)
    assert other.rows_read is None and not other.ingest_failed
