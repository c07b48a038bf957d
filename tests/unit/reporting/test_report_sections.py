"""The run report's sections as HTML: the push decision and the run table name the bounds a
model that was not blessed failed, as the console summary does; the training section says whose
weights the model holds."""

import pytest

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


HISTORY = [{"step": 150, "eval_loss": 0.14}, {"step": 300, "eval_loss": 0.2},
           {"step": 450, "eval_loss": 0.27}]


@pytest.mark.parametrize("record, sentence", [
    (dict(final_step=450, stopped_early=False, best_weights_kept=False),
     "<p>Training ran to step 450; the exported weights are the last step's (eval loss 0.27), "
     "not the best step's (150, eval loss 0.14): set early_stopping_patience to keep the best "
     "step's.</p>"),
    (dict(final_step=450, stopped_early=False, best_weights_kept=True),
     "<p>Training ran to step 450; the exported weights are step 150's (eval loss 0.14).</p>"),
    (dict(final_step=450, stopped_early=True),
     "<p>Training stopped early at step 450; the exported weights are step 150's (eval loss "
     "0.14).</p>")])
def test_the_training_section_says_whose_weights_the_model_holds(record, sentence):
    """With early stopping off, the curves marked `best step 150` over a run whose model holds
    step 450's weights (eval loss twice as high), and said only `Training ran to step 450`."""
    html = report_sections.training_section(dict(record, history=HISTORY))
    assert html.startswith(sentence)


def test_a_last_step_that_is_the_best_needs_no_word_on_weights():
    record = dict(final_step=300, stopped_early=False, best_weights_kept=False,
                  history=HISTORY[:1] + [{"step": 300, "eval_loss": 0.1}])
    assert report_sections.training_section(record).startswith(
        "<p>Training ran to step 300.</p>")


def test_long_names_and_paths_wrap_after_underscores_and_slashes():
    assert report_sections.breakable("a_b/c<d") == "a_<wbr>b/<wbr>c&lt;d"
    assert report_sections.table(["trip_miles"], [[1.5]]) == (
        "<div class='scroll'><table><tr><th>trip_<wbr>miles</th></tr><tr><td>1.5</td></tr>"
        "</table></div>")
