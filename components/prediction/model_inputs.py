"""What a serving model reads, and whether the config's schema provides it: `predict --model DIR`
with another pipeline's model would otherwise quarantine every row ("Feature: x ... is required
but could not be found").

A SavedModel does not list its raw inputs: its `serving_default` signature takes serialized
tf.Examples and parses them (`components/trainer/export.py`). The names and types it parses are
read from that parse op (`ParseExampleV2`) in the signature's graph.
"""

from __future__ import annotations

from typing import Dict, Optional

from components.errors import DataError
from schemas import DType, FeatureSet, Role

PARSE_OP = "ParseExampleV2"
# the key lists of a ParseExampleV2 op (its inputs by position) and the attributes typing them
_KEY_INPUTS = ((2, "sparse_types"), (3, "Tdense"), (4, "ragged_value_types"))
_TF_TYPES = {"float32": DType.FLOAT, "int64": DType.INT, "string": DType.BYTES}


class ModelMismatch(DataError):
    """The model reads other features than the config's schema provides."""


def parsed_features(signature) -> Optional[Dict[str, str]]:
    """Feature name -> TensorFlow type name ("float32", "int64", "string") that a signature's
    parse ops read from its serialized examples; None when it parses none (not a model this
    project exported: nothing to compare)."""
    import tensorflow as tf

    graph = signature.graph.as_graph_def()
    found: Dict[str, str] = {}
    parsed = False
    for nodes in [graph.node, *(function.node_def for function in graph.library.function)]:
        by_name = {node.name: node for node in nodes}
        for node in nodes:
            if node.op != PARSE_OP:
                continue
            parsed = True
            for position, types_attribute in _KEY_INPUTS:
                const = by_name[node.input[position].split(":")[0]]
                names = tf.make_ndarray(const.attr["value"].tensor).tolist()
                types = node.attr[types_attribute].list.type
                found.update({name.decode("utf-8"): tf.as_dtype(dtype).name
                              for name, dtype in zip(names, types)})
    return found if parsed else None


def _schema_type(tf_type: str) -> str:
    """The schema's name of a parsed TensorFlow type ("float32" -> "float")."""
    return _TF_TYPES[tf_type].value if tf_type in _TF_TYPES else tf_type


def check_model_inputs(model_dir: str, parsed: Optional[Dict[str, str]],
                       features: FeatureSet) -> None:
    """Raises ModelMismatch, naming the features and the model, unless the model parses every
    input of the schema with its type and nothing else (keys aside: models exported before keys
    left the serving signature parse them, and the rows provide them). `parsed`: see
    `parsed_features`; None passes."""
    if parsed is None:
        return
    inputs = {f.name: f.dtype for f in features.inputs}
    keys = {f.name: f.dtype for f in features.with_role(Role.KEY)}
    provided = {**keys, **inputs}
    missing = sorted(name for name in parsed if name not in provided)
    unread = [name for name in inputs if name not in parsed]
    retyped = sorted(f"{name} ({_schema_type(parsed[name])} in the model, "
                     f"{provided[name].value} in the schema)" for name in parsed
                     if name in provided and _schema_type(parsed[name]) != provided[name].value)
    problems = ([f"it reads features the schema does not have: {', '.join(missing)}"]
                if missing else [])
    problems += ([f"it does not read the schema's inputs {', '.join(unread)}"] if unread else [])
    problems += ([f"types differ: {', '.join(retyped)}"] if retyped else [])
    if problems:
        raise ModelMismatch(f"the model {model_dir} was not trained on the config's schema: "
                            f"{'; '.join(problems)}; pass the model of this pipeline (its "
                            "serving_model/), or the config of the model's pipeline")
