"""The input pipeline: a batched, dict-keyed `tf.data.Dataset` over transformed TFRecords.

Files are read in parallel and interleaved; each file's reader parses its records in blocks of
_PARSE_BATCH, so the readers hand parsed blocks, not single records, across threads (handing
over each record cost more CPU than the parsing: benchmarks/RESULTS.md). Examples are then
shuffled *before* batching (shuffling after batching only reorders batches), batched and
prefetched. When the files are small enough, the parsed examples are kept in memory for the
later epochs.

tf.data's autotuning model is off (`AUTOTUNE` then means one reader or parser per core, the
most it would pick): its background thread re-plans at doubling intervals (10 ms, 20 ms, ...,
tens of seconds within a minute of use), and deleting an iterator in TensorFlow 2.16 sometimes
waits out the current interval. That was a stall of 18-21 s at the end of training in 5 of 10
cold demo runs (a native stack showed the iterator's deletion waiting for
`Model::OptimizeLoop`; benchmarks/RESULTS.md).
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np
import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE
CACHE_LIMIT_BYTES = 64 * 2**20  # compressed input size up to which parsed examples are cached
_PARSE_BATCH = 256


def _files(file_pattern) -> List[str]:
    """The files one pattern or a list of patterns match."""
    patterns = [file_pattern] if isinstance(file_pattern, str) else list(file_pattern)
    return [path for pattern in patterns for path in tf.io.gfile.glob(pattern)]


def _total_bytes(file_pattern) -> int:
    return sum(tf.io.gfile.stat(path).length for path in _files(file_pattern))


def make_dataset(file_pattern, feature_spec: Mapping[str, tf.io.FixedLenFeature],
                 label_key: str, batch_size: int, shuffle: bool, seed: Optional[int] = None,
                 repeat: bool = False, shuffle_buffer: int = 2048,
                 cache_limit_bytes: int = CACHE_LIMIT_BYTES) -> tf.data.Dataset:
    """Yields `(features_by_name, label)` batches; `features_by_name` keys are feature names."""
    spec = dict(feature_spec)

    def parse(serialized: tf.Tensor) -> Tuple[Dict[str, tf.Tensor], tf.Tensor]:
        parsed = tf.io.parse_example(serialized, spec)
        label = parsed.pop(label_key)
        return parsed, label

    def read_file(path: tf.Tensor) -> tf.data.Dataset:
        return (tf.data.TFRecordDataset(path, compression_type="GZIP").batch(_PARSE_BATCH)
                .map(parse, num_parallel_calls=AUTOTUNE))

    files = tf.data.Dataset.list_files(file_pattern, shuffle=shuffle, seed=seed)
    examples = files.interleave(read_file, cycle_length=AUTOTUNE, num_parallel_calls=AUTOTUNE,
                                deterministic=not shuffle).unbatch()
    if _total_bytes(file_pattern) <= cache_limit_bytes:  # later epochs: no I/O, no parsing
        examples = examples.cache()
    if shuffle:
        examples = examples.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        examples = examples.repeat()
    batches = examples.batch(batch_size, drop_remainder=repeat)
    return batches.prefetch(AUTOTUNE).with_options(without_autotune_model())


def without_autotune_model() -> tf.data.Options:
    """Options that switch off tf.data's autotuning model (see the module docstring)."""
    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def label_counts(file_pattern, label_key: str, num_classes: int) -> List[int]:
    """Examples per class id in transformed TFRecords (one pass, parsing the label only)."""
    spec = {label_key: tf.io.FixedLenFeature([1], tf.int64)}
    counts = np.zeros(num_classes, dtype=np.int64)
    records = tf.data.TFRecordDataset(_files(file_pattern), compression_type="GZIP")
    for batch in records.batch(4096).map(lambda b: tf.io.parse_example(b, spec)[label_key]):
        counts += np.bincount(batch.numpy().ravel(), minlength=num_classes)[:num_classes]
    return counts.tolist()
