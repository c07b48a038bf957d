"""The errors section on fabricated serving outputs: worst examples, confusion matrix, and the
rendered charts and tables for a regression and a classification model."""

import numpy as np
import tensorflow as tf

from pipeline.reporting import predictions


def example(label, z):
    proto = tf.train.Example()
    proto.features.feature["y"].bytes_list.value.append(label.encode()) if isinstance(
        label, str) else proto.features.feature["y"].float_list.value.append(label)
    proto.features.feature["z"].float_list.value.append(z)
    return proto.SerializeToString()


class FakeView:
    """Stands in for the Transform graph: a 2x2 grey image per example."""

    def __init__(self):
        self.calls = []

    def transform(self, serialized):
        self.calls.append(len(serialized))
        return {"image": np.full((len(serialized), 2, 2, 1), 0.5, np.float32)}


def test_worst_regression_orders_by_absolute_error():
    assert predictions.worst_regression([1.0, 2.0, 3.0, 4.0], [1.5, 0.0, 3.0, 6.0], 3) == [
        1, 3, 0]


def test_worst_classification_lists_confident_mistakes_first():
    actual = ["cat", "dog", "cat", "dog"]
    predicted = ["dog", "dog", "dog", "cat"]
    assert predictions.worst_classification(actual, predicted, [0.6, 0.99, 0.9, 0.7]) == [
        2, 3, 0]


def test_confusion_matrix_rows_are_true_classes():
    matrix = predictions.confusion_matrix(["a", "a", "b", "c", "c"], ["a", "b", "b", "a", "c"],
                                          ["a", "b", "c"])
    assert matrix == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]


def test_regression_section_shows_scatter_residuals_and_largest_errors():
    result = predictions.EvalPredictions(
        serialized=[example(float(v), 0.1 * v) for v in range(4)], labels=["0", "1", "2", "3"],
        outputs={"prediction": np.array([[0.5], [1.0], [4.0], [3.0]])}, total=4)
    view = FakeView()
    page = predictions.error_section(result, "y", (), view, ["image"], ["z"])
    assert "predicted vs actual (RMSE 1.03)" in page and ">residuals<" in page
    assert page.count("<circle") == 4  # one dot per example
    rows = page.split("<table class='worst'>")[1].split("<tr>")[2:]
    assert len(rows) == 4  # every example, largest error first
    assert "<td>2</td><td>4 (error +2)</td><td>0.2</td>" in rows[0]
    assert "data:image/png;base64," in rows[0] and view.calls == [4]


def test_classification_section_shows_the_confusion_matrix_and_mistakes():
    labels = ["cat", "dog", "dog", "bird"]
    result = predictions.EvalPredictions(
        serialized=[example(v, 0.0) for v in labels], labels=labels,
        outputs={"class_name": np.array([b"cat", b"cat", b"dog", b"bird"]),
                 "class_id": np.array([0, 0, 1, 2]),
                 "probabilities": np.array([[0.9, 0.05, 0.05], [0.8, 0.1, 0.1],
                                            [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]])}, total=4)
    page = predictions.error_section(result, "y", ("cat", "dog", "bird"), None, [], ["z"])
    assert "confusion matrix (accuracy 75.0%)" in page
    assert "dog as cat: 1" in page and "cat as cat: 1" in page and "bird as bird: 1" in page
    rows = page.split("<table class='worst'>")[1].split("<tr>")[2:]
    assert len(rows) == 1 and "<td>dog</td><td>cat (80%)</td>" in rows[0]


def test_a_prediction_that_is_not_finite_leaves_the_charts_drawable():
    """An infinite prediction made the residual histogram's edges infinite, and the report
    was not written: the section shows RMSE inf and leaves the point out, saying so."""
    result = predictions.EvalPredictions(
        serialized=[example(float(v), 0.1 * v) for v in range(3)], labels=["0", "1", "2"],
        outputs={"prediction": np.array([[0.5], [np.inf], [2.0]])}, total=3)
    page = predictions.error_section(result, "y", (), FakeView(), ["image"], ["z"])
    assert "predicted vs actual (RMSE inf) (1 point not a finite number: not drawn)" in page
    assert ">residuals (1 residual not a finite number: not drawn)<" in page
    assert page.count("<circle") == 2


def test_the_mistakes_table_scrolls_in_its_own_box_beside_the_matrix():
    """On TFX's taxi data the table of 18 columns made the whole page wider than 1200 px: it
    now scrolls inside a box that shrinks beside the confusion matrix, one line per example,
    its column names wrapping after underscores."""
    from pipeline.reporting.report import STYLE

    labels = ["cat", "dog"]
    result = predictions.EvalPredictions(
        serialized=[example(v, 0.0) for v in labels], labels=labels,
        outputs={"class_name": np.array([b"dog", b"cat"]), "class_id": np.array([1, 0]),
                 "probabilities": np.array([[0.1, 0.9], [0.8, 0.2]])}, total=2)
    page = predictions.error_section(result, "pickup_community_area", ("cat", "dog"), None,
                                     [], ["z"])
    assert ("<div class='errors'><h3>Most confident mistakes</h3><div class='scroll'>"
            "<table class='worst'><tr><th>actual pickup_<wbr>community_<wbr>area</th>") in page
    assert page.endswith("</table></div></div></div>")
    assert ".scroll{overflow-x:auto;max-width:100%}" in STYLE
    assert ".charts>.errors{flex:1 1 480px;min-width:0}" in STYLE
    assert "table.worst td{padding:.1em .5em;white-space:nowrap}" in STYLE
