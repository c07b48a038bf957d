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
