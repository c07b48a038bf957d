"""Warm start: a new model's weights from the model that was serving, also when a categorical
feature's vocabulary changed between spans.

Transform computes each categorical's vocabulary from the data it reads, most frequent value
first, so a value's id can change from span to span, and new values add ids. Copying the old
embedding matrix row for row then gives a value another value's embedding: a model of span 0
read 'red' as 'blue' after a warm start on span 1 (eval RMSE 8.2, against 0.19 for the model
it started from), and when the vocabulary's size changed the warm start was refused. Here each
row of the new embedding matrix takes the old row of the same value (the old vocabulary is in
the old SavedModel's assets, where its Transform layer keeps it); a value the old vocabulary
lacks keeps its fresh row; the out-of-vocabulary and missing-value rows take theirs. Every other
variable must have the old one's shape. A changed vocabulary whose embedding is not the default
model's (`<feature>_embedding`: e.g. a custom `model_builder`) refuses the warm start, since
its ids may feed layers whose rows cannot be matched.
"""

from __future__ import annotations

import os
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
import tf_keras as keras
from absl import logging

from components.trainer import export
from components.transform.preprocessing import NUM_OOV_BUCKETS, vocabulary_name


def row_sources(old_tokens: Sequence[bytes], new_tokens: Sequence[bytes], old_rows: int,
                new_rows: int) -> Optional[np.ndarray]:
    """For each row of a categorical's new embedding matrix, the old matrix's row of the same
    id's meaning, -1 for a value the old vocabulary lacks; None when the two matrices do not lay
    out ids alike (rows = missing-value row if optional, the vocabulary, the OOV buckets)."""
    missing_rows = new_rows - len(new_tokens) - NUM_OOV_BUCKETS
    if missing_rows not in (0, 1) or old_rows - len(old_tokens) - NUM_OOV_BUCKETS != missing_rows:
        return None
    old_ids = {token: index for index, token in enumerate(old_tokens)}
    sources = np.full(new_rows, -1, dtype=np.int64)
    sources[:missing_rows] = np.arange(missing_rows)
    for index, token in enumerate(new_tokens):
        if token in old_ids:
            sources[missing_rows + index] = missing_rows + old_ids[token]
    sources[missing_rows + len(new_tokens):] = missing_rows + len(old_tokens) + np.arange(
        NUM_OOV_BUCKETS)
    return sources


def exported_vocabulary(export_dir: str, feature_name: str) -> Optional[Tuple[bytes, ...]]:
    """A categorical's vocabulary as an exported model's Transform layer holds it; None when the
    model has no such asset."""
    path = os.path.join(export_dir, "assets", vocabulary_name(feature_name))
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path, "rb") as handle:
        return tuple(line.rstrip(b"\n") for line in handle)


def embedding_row_sources(model: keras.Model, export_dir: str,
                          vocabularies: Mapping[str, Sequence[bytes]]
                          ) -> Tuple[Optional[Dict[str, np.ndarray]], str]:
    """(variable name -> row sources, for each categorical whose vocabulary differs from the
    exported model's; None and why, when a changed vocabulary cannot be mapped)."""
    sources: Dict[str, np.ndarray] = {}
    variables = {variable.name: variable for variable in model.variables}
    exported_shapes = tf.train.load_checkpoint(os.path.join(
        export_dir, "variables", "variables")).get_variable_to_shape_map()
    for feature, tokens in vocabularies.items():
        old = exported_vocabulary(export_dir, feature)
        if old is None:
            return None, f"it does not hold the vocabulary of {feature!r}"
        if tuple(old) == tuple(tokens):
            continue
        variable = variables.get(f"{feature}_embedding/embeddings:0")
        if variable is None:
            return None, (f"the vocabulary of {feature!r} changed and the model has no "
                          f"{feature}_embedding layer whose rows could follow it")
        index = next(i for i, each in enumerate(model.variables) if each is variable)
        exported = exported_shapes.get(export.variable_key(index))
        mapped = (row_sources(old, tokens, exported[0], int(variable.shape[0]))
                  if exported else None)
        if mapped is None:
            return None, f"the ids of {feature!r} are laid out differently"
        sources[variable.name] = mapped
    return sources, ""


def warm_start(keras_model: keras.Model, base_model_dir: str,
               class_names: Tuple[str, ...] = (),
               vocabularies: Optional[Mapping[str, Sequence[bytes]]] = None) -> bool:
    """Initializes the model's weights from an exported model of the same architecture; for a
    classifier (`class_names` in id order) only when the base model recorded the same classes
    in the same order (a class added to the domain, or found in an open domain, changes the
    output layer's meaning); each categorical's embedding rows follow its values from the base
    model's vocabulary to this run's (`vocabularies`: feature -> tokens in id order). Returns
    whether it did."""
    if class_names:
        recorded = export.recorded_class_names(base_model_dir)
        if recorded != tuple(class_names):
            logging.warning("Not warm-starting from %s: its classes %s are not this run's %s",
                            base_model_dir, recorded, list(class_names))
            return False
    sources, why = embedding_row_sources(keras_model, base_model_dir, vocabularies or {})
    if sources is None:
        logging.warning("Not warm-starting from %s: %s", base_model_dir, why)
        return False
    if not export.read_weights(keras_model, base_model_dir, sources):
        return False
    changed = sorted(name.split("_embedding/")[0] for name in sources)
    logging.info("Warm-started from %s%s", base_model_dir,
                 f"; the embedding rows of {', '.join(changed)} follow their changed "
                 "vocabularies" if changed else "")
    return True
