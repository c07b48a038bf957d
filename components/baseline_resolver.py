"""Resolver strategy for the Evaluator's baseline: the model that was blessed when the candidate
was trained.

TFX's `LatestBlessedModelStrategy` returns the newest blessed model, which after a run is the
candidate of that run itself: the next run with unchanged data then sees a new baseline, so its
Evaluator and Pusher re-execute (and push the same model again) instead of coming from cache.
Taking the newest blessed model *older than the candidate* keeps the comparison the same
("is this model at least as good as the one serving when it was trained?") and makes a re-run
with nothing new fully cached.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from tfx import types
from tfx.dsl.components.common import resolver

CANDIDATE_KEY = "candidate"
MODEL_KEY = "model"
BLESSING_KEY = "model_blessing"
_CURRENT_MODEL_ID = "current_model_id"
_BLESSED = "blessed"


def blessed_baseline(candidates: List[types.Artifact], models: List[types.Artifact],
                     blessings: List[types.Artifact]) -> Dict[str, List[types.Artifact]]:
    """The newest blessed model with an id below every candidate's, and its blessing."""
    result = {CANDIDATE_KEY: list(candidates), MODEL_KEY: [], BLESSING_KEY: []}
    if not candidates:
        return result
    newest_candidate = max(candidate.id for candidate in candidates)
    blessing_by_model = {
        blessing.get_int_custom_property(_CURRENT_MODEL_ID): blessing
        for blessing in blessings if blessing.get_int_custom_property(_BLESSED) == 1}
    for model in sorted(models, key=lambda m: m.id, reverse=True):
        if model.id < newest_candidate and model.id in blessing_by_model:
            result[MODEL_KEY] = [model]
            result[BLESSING_KEY] = [blessing_by_model[model.id]]
            break
    return result


class BlessedBeforeCandidateStrategy(resolver.ResolverStrategy):
    """Resolves `model`/`model_blessing` to the newest blessed model older than `candidate`."""

    def resolve_artifacts(self, store, input_dict: Dict[str, List[types.Artifact]]
                          ) -> Optional[Dict[str, List[types.Artifact]]]:
        del store  # everything needed is in the input channels
        return blessed_baseline(input_dict.get(CANDIDATE_KEY, []), input_dict.get(MODEL_KEY, []),
                                input_dict.get(BLESSING_KEY, []))
