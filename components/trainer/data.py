"""The input pipeline: a batched, dict-keyed `tf.data.Dataset` over transformed TFRecords.

Files are read in parallel and interleaved, examples are shuffled *before* batching (shuffling
after batching only reorders batches), parsed in parallel per batch, and prefetched.
"""

from __future__ import annotations

from typing import Dict, Mapping, Optional, Tuple

import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE


def make_dataset(file_pattern, feature_spec: Mapping[str, tf.io.FixedLenFeature],
                 label_key: str, batch_size: int, shuffle: bool, seed: Optional[int] = None,
                 repeat: bool = False, shuffle_buffer: int = 2048) -> tf.data.Dataset:
    """Yields `(features_by_name, label)` batches; `features_by_name` keys are feature names."""
    files = tf.data.Dataset.list_files(file_pattern, shuffle=shuffle, seed=seed)
    records = files.interleave(
        lambda path: tf.data.TFRecordDataset(path, compression_type="GZIP"),
        cycle_length=AUTOTUNE, num_parallel_calls=AUTOTUNE, deterministic=not shuffle)
    if shuffle:
        records = records.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        records = records.repeat()
    batches = records.batch(batch_size, drop_remainder=repeat)

    def parse(serialized: tf.Tensor) -> Tuple[Dict[str, tf.Tensor], tf.Tensor]:
        parsed = tf.io.parse_example(serialized, dict(feature_spec))
        label = parsed.pop(label_key)
        return parsed, label

    return batches.map(parse, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)
