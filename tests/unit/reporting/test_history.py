"""The history page from fabricated run summaries: metric and baseline per run, blessed and
pushed markers, rows, and links to the reports that exist."""

import os

from pipeline.reporting import history, report
from pipeline.reporting.summary import NodeRun, RunSummary


def run(run_id, rmse, diff=None, blessed=True, pushed=True, pusher="COMPLETE", spans=(0,)):
    metrics = {"root_mean_squared_error": rmse}
    if diff is not None:
        metrics["root_mean_squared_error_diff"] = diff
    return RunSummary(run_id=run_id, nodes=[NodeRun("Trainer", "COMPLETE", {}),
                                            NodeRun("Pusher", pusher, {})],
                      rows_read=100, rows_ingested=98, rows_quarantined=2,
                      eval_metrics=metrics, blessed=blessed, pushed=pushed,
                      pushed_version="17" if pushed else None, spans=list(spans))


def test_baseline_value_is_the_candidate_minus_the_change():
    assert history.baseline_value(run("r", 1.5, diff=-0.5), "root_mean_squared_error") == 2.0
    assert history.baseline_value(run("r", 1.5), "root_mean_squared_error") is None


def test_page_marks_blessed_rejected_and_pushed_runs_and_links_reports(tmp_path):
    summaries = [run("2026-11-28T00:00:01.000001", 2.0),
                 run("2026-11-28T01:00:01.000001", 1.5, diff=-0.5, spans=(1,)),
                 run("2026-11-28T02:00:01.000001", 9.0, diff=7.5, blessed=False, pushed=False,
                     spans=(2,)),
                 run("2026-11-28T03:00:01.000001", 9.0, diff=7.5, blessed=False, pushed=False,
                     pusher="CACHED", spans=(2,))]
    linked = os.path.join(report.report_dir(str(tmp_path), summaries[1].run_id),
                          report.REPORT_FILE)
    os.makedirs(os.path.dirname(linked))
    open(linked, "w").close()
    path = history.write_history(summaries, str(tmp_path), "digits")
    assert path == str(tmp_path / history.HISTORY_FILE)
    page = open(path, encoding="utf-8").read()
    assert "<h1>digits: 4 runs</h1>" in page
    assert page.count(": blessed</title>") == 2 and page.count(": not blessed</title>") == 2
    assert page.count(": pushed</title>") == 2
    assert "baseline at 2: 2" in page and "baseline at 3: 1.5" in page  # dashed series
    assert "eval RMSE at 3: 9" in page
    assert page.count("<a href='reports/2026-11-28T01-00-01.000001/report.html'>report</a>") == 1
    assert "ingested 1: 98" in page and "quarantined 4: 2" in page
    assert "<td>3</td><td>2026-11-28T02:00:01.000001</td><td>2</td><td>2 ran</td><td>98</td>" in page
    assert page.count("<td>no</td><td>no</td><td>-</td></tr>") == 2  # no report written
    assert "<td>yes</td><td>17</td><td><a href=" in page
    assert "script" not in page and "http" not in page.replace("http://www.w3.org/2000/svg", "")


def test_no_rows_chart_before_any_run_ingested_rows(tmp_path):
    failed = RunSummary(run_id="2026-11-28T00:00:01.000001",
                        nodes=[NodeRun("CsvImageExampleGen", "FAILED", {})])
    page = history.render_page([failed], str(tmp_path), "p")
    assert "no run has ingested rows yet" in page and "rows per run" not in page
    assert "rows per run" in history.render_page([failed, run("2026-11-28T01:00:01.000001", 1.0)],
                                                 str(tmp_path), "p")


def test_the_runs_table_fits_the_page_or_scrolls_in_its_own_box(tmp_path):
    """Every cell kept on one line made the table wider than 1200 px, its report links off the
    page: only the run id stays on one line, and the table scrolls inside its box."""
    page = history.render_page([run("2026-11-28T00:00:01.000001", 2.0)], str(tmp_path), "p")
    assert "<section id='runs'><h2>Runs</h2><div class='scroll'><table>" in page
    assert "#runs td:nth-child(2){white-space:nowrap}" in page
    assert "#runs td{white-space:nowrap}" not in page
    assert ".scroll{overflow-x:auto;max-width:100%}" in page
