"""Resolver strategy: the newest blessed model *older than a reference artifact*.

Used twice in the pipeline:

* Evaluator baseline, reference = the candidate model: "the model that was blessed when the
  candidate was trained". TFX's `LatestBlessedModelStrategy` would return, after a run, that
  run's candidate itself, so the next run with unchanged data would see a new baseline and
  re-evaluate and re-push the same model instead of coming from cache.
* Trainer warm start, reference = the ingested examples: "the model that was serving when this
  data arrived". Re-running on the same data then resolves the same base model, so the Trainer
  stays cached instead of retraining from its own last output forever.

MLMD ids grow with creation time across artifact types, so "older" is "smaller id".

For the baseline (`same_serving_inputs`), a model that cannot read the candidate's examples (it
parses a feature the schema has since retyped or dropped: `components/trainer/serving_inputs.py`)
is no baseline: TFMA would fail the run on it. The candidate is then judged by its bounds alone,
and a warning says why.
"""

from __future__ import annotations

import os
from typing import Callable, Dict, List, Optional

from absl import logging
from tfx import types
from tfx.dsl.components.common import resolver

from components.trainer.serving_inputs import recorded_serving_inputs, unreadable_by

REFERENCE_KEY = "reference"
MODEL_KEY = "model"
BLESSING_KEY = "model_blessing"
_CURRENT_MODEL_ID = "current_model_id"
_BLESSED = "blessed"


def blessed_before(references: List[types.Artifact], models: List[types.Artifact],
                   blessings: List[types.Artifact],
                   unusable: Optional[Callable[[types.Artifact, types.Artifact],
                                               Optional[str]]] = None
                   ) -> Dict[str, List[types.Artifact]]:
    """The newest blessed model with an id below every reference's, and its blessing; none when
    `unusable(model, newest reference)` gives a reason against that model (logged)."""
    result = {REFERENCE_KEY: list(references), MODEL_KEY: [], BLESSING_KEY: []}
    if not references:
        return result
    newest_reference = max(reference.id for reference in references)
    blessing_by_model = {
        blessing.get_int_custom_property(_CURRENT_MODEL_ID): blessing
        for blessing in blessings if blessing.get_int_custom_property(_BLESSED) == 1}
    for model in sorted(models, key=lambda m: m.id, reverse=True):
        if model.id < newest_reference and model.id in blessing_by_model:
            reference = max(references, key=lambda artifact: artifact.id)
            reason = unusable(model, reference) if unusable else None
            if reason:
                logging.warning("No baseline model: the blessed model %s cannot read the "
                                "candidate's examples (%s); the candidate is judged by its "
                                "bounds alone", model.uri, reason)
                break
            result[MODEL_KEY] = [model]
            result[BLESSING_KEY] = [blessing_by_model[model.id]]
            break
    return result


def serving_inputs_mismatch(model: types.Artifact, candidate: types.Artifact) -> Optional[str]:
    """Why `model` cannot read the examples the `candidate` model parses (see serving_inputs);
    None when it can, or when the candidate predates the record."""
    return unreadable_by(_serving_inputs(_export_dir(model)),
                         recorded_serving_inputs(_export_dir(candidate)))


def _serving_inputs(export_dir: str) -> Optional[Dict[str, str]]:
    """The record of what a model's `serving_default` parses, or, for a model exported before
    the record was written, what its parse ops read (loading the SavedModel)."""
    recorded = recorded_serving_inputs(export_dir)
    if recorded is not None:
        return recorded
    import tensorflow as tf

    from components.prediction.model_inputs import parsed_features
    return parsed_features(tf.saved_model.load(export_dir).signatures["serving_default"])


def _export_dir(model: types.Artifact) -> str:
    """The SavedModel directory of a Trainer's model artifact (`Format-Serving/`)."""
    return os.path.join(model.uri, "Format-Serving")


class BlessedBeforeStrategy(resolver.ResolverStrategy):
    """Resolves `model`/`model_blessing` to the newest blessed model older than `reference`;
    with `same_serving_inputs` (the reference being the candidate model), none when that model
    cannot read the candidate's examples."""

    def __init__(self, same_serving_inputs: bool = False):
        self._unusable = serving_inputs_mismatch if same_serving_inputs else None

    def resolve_artifacts(self, store, input_dict: Dict[str, List[types.Artifact]]
                          ) -> Optional[Dict[str, List[types.Artifact]]]:
        del store  # everything needed is in the input channels
        return blessed_before(input_dict.get(REFERENCE_KEY, []), input_dict.get(MODEL_KEY, []),
                              input_dict.get(BLESSING_KEY, []), self._unusable)
