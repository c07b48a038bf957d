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
"""

from __future__ import annotations

from typing import Dict, List, Optional

from tfx import types
from tfx.dsl.components.common import resolver

REFERENCE_KEY = "reference"
MODEL_KEY = "model"
BLESSING_KEY = "model_blessing"
_CURRENT_MODEL_ID = "current_model_id"
_BLESSED = "blessed"


def blessed_before(references: List[types.Artifact], models: List[types.Artifact],
                   blessings: List[types.Artifact]) -> Dict[str, List[types.Artifact]]:
    """The newest blessed model with an id below every reference's, and its blessing."""
    result = {REFERENCE_KEY: list(references), MODEL_KEY: [], BLESSING_KEY: []}
    if not references:
        return result
    newest_reference = max(reference.id for reference in references)
    blessing_by_model = {
        blessing.get_int_custom_property(_CURRENT_MODEL_ID): blessing
        for blessing in blessings if blessing.get_int_custom_property(_BLESSED) == 1}
    for model in sorted(models, key=lambda m: m.id, reverse=True):
        if model.id < newest_reference and model.id in blessing_by_model:
            result[MODEL_KEY] = [model]
            result[BLESSING_KEY] = [blessing_by_model[model.id]]
            break
    return result


class BlessedBeforeStrategy(resolver.ResolverStrategy):
    """Resolves `model`/`model_blessing` to the newest blessed model older than `reference`."""

    def resolve_artifacts(self, store, input_dict: Dict[str, List[types.Artifact]]
                          ) -> Optional[Dict[str, List[types.Artifact]]]:
        del store  # everything needed is in the input channels
        return blessed_before(input_dict.get(REFERENCE_KEY, []), input_dict.get(MODEL_KEY, []),
                              input_dict.get(BLESSING_KEY, []))
