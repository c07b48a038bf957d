"""The run report's sections as HTML: the push decision and the run table name the bounds a
model that was not blessed failed, as the console summary does."""

from pipeline.reporting import report_sections
from pipeline.reporting.summary import RunSummary

FAILURES = ["root_mean_squared_error 2.7222 > 2.445",
            "root_mean_squared_error 2.7222 > the eval split's mean predictor 2.61"]


def test_the_push_decision_names_the_failed_bounds():
    """It said only `blessed: no; not pushed`."""
    refused = RunSummary(run_id="r", nodes=[], blessed=False, blessing_failures=FAILURES)
    assert report_sections.push_section(refused, "not pushed") == (
        "<p>blessed: no (root_mean_squared_error 2.7222 &gt; 2.445; root_mean_squared_error "
        "2.7222 &gt; the eval split&#x27;s mean predictor 2.61); not pushed</p>")
    blessed = RunSummary(run_id="r", nodes=[], blessed=True)
    assert (report_sections.push_section(blessed, "pushed to /srv/m/1")
            == "<p>blessed: yes; pushed to /srv/m/1</p>")


def test_the_run_table_names_the_failed_bounds():
    refused = RunSummary(run_id="r", nodes=[], blessed=False, blessing_failures=FAILURES[:1])
    assert ("<tr><td>blessed</td><td>no (root_mean_squared_error 2.7222 &gt; 2.445)</td></tr>"
            in report_sections.summary_section(refused, "not pushed"))
