"""The raw features a model's `serving_default` signature parses, with their types, recorded
beside its SavedModel (`assets.extra/serving_inputs.json`, written at export).

The Evaluator runs the baseline model on the candidate's eval examples: a baseline that parses a
feature the schema has since retyped (an INT column that became FLOAT) or dropped fails the
whole run inside TFMA ("Data types don't match"). The baseline resolver reads this record to
leave such a model out (`components/resolvers/blessed_before.py`). No TensorFlow here: the
resolver runs in the orchestrator.
"""

from __future__ import annotations

import json
import os
from typing import Dict, Mapping, Optional

from tfx.dsl.io import fileio

SERVING_INPUTS_FILE = os.path.join("assets.extra", "serving_inputs.json")


def record_serving_inputs(export_dir: str, types_by_name: Mapping[str, str]) -> None:
    """Writes feature name -> TensorFlow type name ("float32", "int64", "string")."""
    path = os.path.join(export_dir, SERVING_INPUTS_FILE)
    fileio.makedirs(os.path.dirname(path))
    with fileio.open(path, "w") as handle:
        handle.write(json.dumps(dict(sorted(types_by_name.items()))))


def recorded_serving_inputs(export_dir: str) -> Optional[Dict[str, str]]:
    """What `record_serving_inputs` wrote; None for a model exported before it did."""
    path = os.path.join(export_dir, SERVING_INPUTS_FILE)
    if not fileio.exists(path):
        return None
    with fileio.open(path) as handle:
        return json.loads(handle.read())


def unreadable_by(baseline: Optional[Mapping[str, str]],
                  candidate: Optional[Mapping[str, str]]) -> Optional[str]:
    """Why a model parsing `baseline` cannot read the examples a model parsing `candidate` was
    trained for (a feature it parses that the candidate does not, or with another type); None
    when it can, or when either record is missing (nothing to compare)."""
    if baseline is None or candidate is None:
        return None
    dropped = sorted(name for name in baseline if name not in candidate)
    retyped = sorted(f"{name} ({baseline[name]}, now {candidate[name]})" for name in baseline
                     if name in candidate and baseline[name] != candidate[name])
    reasons = ([f"it reads features the schema no longer has: {', '.join(dropped)}"]
               if dropped else [])
    reasons += [f"the schema changed the type of {', '.join(retyped)}"] if retyped else []
    return "; ".join(reasons) or None
