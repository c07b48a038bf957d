"""The run summary's text: metric values and their change against the baseline model."""

from pipeline.reporting import summary


def test_metrics_print_with_four_decimals_and_counts_as_whole_numbers():
    run = summary.RunSummary(run_id="r", nodes=[], eval_metrics={
        "accuracy": 1.0, "accuracy_diff": 0.0323, "example_count": 31.0,
        "example_count_diff": 0.0, "auc": 0.97491})
    lines = {line[:36].strip(): line[36:] for line in run.render().splitlines()[1:]}
    assert lines["eval accuracy"] == "1.0000 (vs. baseline +0.0323)"
    assert lines["eval example_count"] == "31 (vs. baseline +0)"
    assert lines["eval auc"] == "0.9749"


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
