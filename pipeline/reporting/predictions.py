"""The model's mistakes on the eval split: the run's trained model (its `serving_default`
signature, as a client calls it) on raw eval examples, compared with their labels.

Regression: predicted-vs-actual scatter and residual histogram; classification: confusion matrix;
both with the worst examples listed (thumbnails as the model sees them for image features).
"""

from __future__ import annotations

import dataclasses
import html
import math
from typing import Dict, List, Optional, Sequence

from pipeline.reporting import charts, heatmap, samples, thumbnails
from pipeline.reporting.feature_charts import rebin, shares
from pipeline.reporting.report_sections import breakable, scroll_box

MAX_EXAMPLES = 2000  # eval examples predicted for the report
WORST = 8
BATCH = 256


@dataclasses.dataclass
class EvalPredictions:
    """Raw eval examples, their labels as text and the serving signature's outputs."""

    serialized: List[bytes]
    labels: List[str]
    outputs: Dict[str, object]  # output name -> numpy array, one row per example
    total: int  # eval examples in the split, or MAX_EXAMPLES when there are more


def predict(model_dir: str, serialized: Sequence[bytes]) -> Dict[str, object]:
    """`serving_default` of the SavedModel at `model_dir` on serialized raw examples, batched."""
    import numpy as np
    import tensorflow as tf

    serve = tf.saved_model.load(model_dir).signatures["serving_default"]
    batches = [serve(examples=tf.constant(list(serialized[i:i + BATCH])))
               for i in range(0, len(serialized), BATCH)]
    return {name: np.concatenate([b[name].numpy() for b in batches]) for name in batches[0]}


def eval_predictions(model_dir: str, examples_uri: str, label: str) -> Optional[EvalPredictions]:
    """The model's outputs on (up to MAX_EXAMPLES of) the eval split; None without examples."""
    import tensorflow as tf

    serialized = samples.read_serialized(examples_uri, "eval", MAX_EXAMPLES)
    if not serialized:
        return None
    labels = [samples.value_text(tf.train.Example.FromString(s), label) for s in serialized]
    return EvalPredictions(serialized, labels, predict(model_dir, serialized), len(serialized))


def worst_regression(actual: Sequence[float], predicted: Sequence[float],
                     count: int = WORST) -> List[int]:
    """Indices of the `count` largest absolute errors, largest first (ties: lower index)."""
    errors = [abs(p - a) for a, p in zip(actual, predicted)]
    return sorted(range(len(errors)), key=lambda i: (-errors[i], i))[:count]


def worst_classification(actual: Sequence[str], predicted: Sequence[str],
                         confidence: Sequence[float], count: int = WORST) -> List[int]:
    """Indices of wrong predictions, the most confident first."""
    wrong = [i for i, (a, p) in enumerate(zip(actual, predicted)) if a != p]
    return sorted(wrong, key=lambda i: (-confidence[i], i))[:count]


def confusion_matrix(actual: Sequence[str], predicted: Sequence[str],
                     classes: Sequence[str]) -> List[List[int]]:
    """Counts: row = true class, column = predicted class, in `classes` order."""
    index = {name: i for i, name in enumerate(classes)}
    matrix = [[0] * len(classes) for _ in classes]
    for true, guess in zip(actual, predicted):
        if true in index and guess in index:
            matrix[index[true]][index[guess]] += 1
    return matrix


def _worst_table(result: EvalPredictions, label: str, rows: Sequence[int],
                 predicted: Sequence[str],
                 view: Optional[samples.TransformView], image_names: Sequence[str],
                 other_inputs: Sequence[str]) -> str:
    """The worst examples: thumbnails (as the model sees them), label, prediction, inputs."""
    import tensorflow as tf

    if not rows:
        return "<p>no mistakes on the eval examples</p>"
    images = view.transform([result.serialized[i] for i in rows]) if view and image_names else {}
    header = "".join(f"<th>{breakable(h)}</th>" for h in
                     [*image_names, f"actual {label}", f"predicted {label}", *other_inputs])
    body = []
    for position, i in enumerate(rows):
        example = tf.train.Example.FromString(result.serialized[i])
        cells = [thumbnails.thumbnail(images[name][position], size=40) for name in image_names]
        cells += [html.escape(result.labels[i]), html.escape(predicted[i])]
        cells += [html.escape(samples.value_text(example, name)) for name in other_inputs]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return scroll_box(f"<table class='worst'><tr>{header}</tr>{''.join(body)}</table>")


def error_section(result: EvalPredictions, label: str, class_names: Sequence[str],
                  view: Optional[samples.TransformView], image_names: Sequence[str],
                  other_inputs: Sequence[str]) -> str:
    """Charts and the worst examples, for a classifier (`class_names` in id order, as the
    schema lists them) or, without class names, a regression model."""
    import numpy as np

    from components.trainer.export import CLASS_NAME_KEY, PROBABILITIES_KEY
    from components.trainer.model import PREDICTION_KEY

    intro = (f"<p>The trained model's <code>serving_default</code> signature on "
             f"{result.total} raw eval examples.</p>")
    if class_names:
        predicted = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                     for v in np.ravel(result.outputs[CLASS_NAME_KEY])]
        confidence = np.max(result.outputs[PROBABILITIES_KEY], axis=-1).tolist()
        classes = list(class_names)
        accuracy = np.mean([a == p for a, p in zip(result.labels, predicted)])
        chart = heatmap.heatmap(confusion_matrix(result.labels, predicted, classes), classes,
                               f"confusion matrix (accuracy {accuracy:.1%})",
                               f"predicted {label}", f"true {label}")
        rows = worst_classification(result.labels, predicted, confidence)
        shown = [f"{p} ({c:.0%})" for p, c in zip(predicted, confidence)]
        heading = "Most confident mistakes"
    else:
        actual = [float(v) for v in result.labels]
        values = np.ravel(result.outputs[PREDICTION_KEY]).tolist()
        residuals = [p - a for a, p in zip(actual, values)]
        rmse = float(np.sqrt(np.mean(np.square(residuals))))
        drawn = [r for r in residuals if math.isfinite(r)]
        bound = max([abs(r) for r in drawn], default=0.0) or 1.0
        edges = [-bound + 2 * bound * i / 20 for i in range(21)]
        chart = (charts.scatter(list(zip(actual, values)), f"predicted vs actual (RMSE "
                                f"{rmse:.3g})", f"actual {label}", f"predicted {label}")
                 + charts.histogram(edges, {"eval": shares(rebin(
                     [(r, r, 1) for r in drawn], edges), len(residuals))},
                     "residuals" + charts.not_drawn(len(residuals) - len(drawn), "residual"),
                     f"predicted - actual {label}"))
        rows = worst_regression(actual, values)
        shown = [f"{p:.4g} (error {p - a:+.3g})" for a, p in zip(actual, values)]
        heading = "Largest errors"
    return (intro + f"<div class='charts'>{chart}<div class='errors'><h3>{heading}</h3>"
            + _worst_table(result, label, rows, shown, view, image_names, other_inputs)
            + "</div></div>")
