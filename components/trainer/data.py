"""The input pipeline: a batched, dict-keyed `tf.data.Dataset` over transformed TFRecords.

Files are read in parallel and interleaved; each file's reader parses its records in blocks of
_PARSE_BATCH, so the readers hand parsed blocks, not single records, across threads (handing
over each record cost more CPU than the parsing: benchmarks/RESULTS.md). Examples are then
shuffled *before* batching (shuffling after batching only reorders batches), batched and
prefetched. When the files are small enough, the parsed examples are kept in memory for the
later epochs. When they are not, and a staging directory is given, the gzipped files (TFX's
Transform writes only gzipped TFRecords) are inflated there once, in parallel, before the first
epoch, and every epoch streams the uncompressed copies: inflating cost more CPU than the rest of
the reader together (benchmarks/RESULTS.md). Staging stops, and the reader streams the gzipped
files instead, when the disk would keep less than `STAGING_RESERVE_BYTES` free.

tf.data's autotuning model is off (`AUTOTUNE` then means one reader or parser per core, the
most it would pick): its background thread re-plans at doubling intervals (10 ms, 20 ms, ...,
tens of seconds within a minute of use), and deleting an iterator in TensorFlow 2.16 sometimes
waits out the current interval. That was a stall of 18-21 s at the end of training in 5 of 10
cold demo runs (a native stack showed the iterator's deletion waiting for
`Model::OptimizeLoop`; benchmarks/RESULTS.md).
"""

from __future__ import annotations

import concurrent.futures
import gzip
import os
import shutil
import time
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np
import tensorflow as tf
from absl import logging

AUTOTUNE = tf.data.AUTOTUNE
CACHE_LIMIT_BYTES = 64 * 2**20  # compressed input size up to which parsed examples are cached
STAGING_RESERVE_BYTES = 2**30  # free disk space staging leaves untouched
_PARSE_BATCH = 256
_COPY_CHUNK = 2**20


def _files(file_pattern) -> List[str]:
    """The files one pattern or a list of patterns match."""
    patterns = [file_pattern] if isinstance(file_pattern, str) else list(file_pattern)
    return [path for pattern in patterns for path in tf.io.gfile.glob(pattern)]


def _total_bytes(file_pattern) -> int:
    return sum(tf.io.gfile.stat(path).length for path in _files(file_pattern))


class StagingSkipped(Exception):
    """Staging would leave less free disk space than its reserve."""


def _inflate(source: str, target: str, reserve_bytes: int) -> None:
    """Writes the uncompressed content of gzipped `source` to `target`, checking the free space
    of `target`'s disk every `_COPY_CHUNK` bytes."""
    with tf.io.gfile.GFile(source, "rb") as raw, gzip.GzipFile(fileobj=raw) as inflated, \
            open(target, "wb") as out:
        while chunk := inflated.read(_COPY_CHUNK):
            if shutil.disk_usage(os.path.dirname(target)).free - len(chunk) < reserve_bytes:
                raise StagingSkipped(target)
            out.write(chunk)


def stage_uncompressed(paths: List[str], directory: str,
                       reserve_bytes: int = STAGING_RESERVE_BYTES) -> Optional[List[str]]:
    """Uncompressed copies of the gzipped TFRecord files `paths` in `directory` (one thread per
    core: zlib releases the GIL), in the same order; None, and nothing left in `directory`,
    when the disk would keep less than `reserve_bytes` free."""
    targets = [os.path.join(directory, f"{index:05d}.tfrecord") for index in range(len(paths))]
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
        try:
            list(pool.map(_inflate, paths, targets, [reserve_bytes] * len(paths)))
        except StagingSkipped:
            pool.shutdown(cancel_futures=True)
            for target in targets:
                if os.path.exists(target):
                    os.remove(target)
            free = shutil.disk_usage(directory).free
            logging.warning("Not staging the training files uncompressed in %s: the disk would "
                            "keep less than %d MiB free (%d MiB now); inflating them every "
                            "epoch instead", directory, reserve_bytes >> 20, free >> 20)
            return None
    logging.info("Staged %d training file(s) uncompressed in %s: %.1f MB in %.1f s", len(paths),
                 directory, sum(os.path.getsize(t) for t in targets) / 2**20,
                 time.perf_counter() - started)
    return targets


def make_dataset(file_pattern, feature_spec: Mapping[str, tf.io.FixedLenFeature],
                 label_key: str, batch_size: int, shuffle: bool, seed: Optional[int] = None,
                 repeat: bool = False, shuffle_buffer: int = 2048,
                 cache_limit_bytes: int = CACHE_LIMIT_BYTES,
                 staging_dir: Optional[str] = None) -> tf.data.Dataset:
    """Yields `(features_by_name, label)` batches; `features_by_name` keys are feature names.

    `staging_dir`: where to keep uncompressed copies of files too large to cache (they are
    inflated when this is called); None: inflate them in every epoch.
    """
    spec = dict(feature_spec)
    paths = sorted(_files(file_pattern))
    if not paths:
        raise ValueError(f"no files match {file_pattern}")
    cached = sum(tf.io.gfile.stat(path).length for path in paths) <= cache_limit_bytes
    compression = "GZIP"
    if not cached and staging_dir is not None:
        staged = stage_uncompressed(paths, staging_dir, STAGING_RESERVE_BYTES)
        if staged is not None:
            paths, compression = staged, ""

    def parse(serialized: tf.Tensor) -> Tuple[Dict[str, tf.Tensor], tf.Tensor]:
        parsed = tf.io.parse_example(serialized, spec)
        label = parsed.pop(label_key)
        return parsed, label

    def read_file(path: tf.Tensor) -> tf.data.Dataset:
        return (tf.data.TFRecordDataset(path, compression_type=compression)
                .batch(_PARSE_BATCH).map(parse, num_parallel_calls=AUTOTUNE))

    files = tf.data.Dataset.from_tensor_slices(paths)
    if shuffle:
        files = files.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    examples = files.interleave(read_file, cycle_length=AUTOTUNE, num_parallel_calls=AUTOTUNE,
                                deterministic=not shuffle).unbatch()
    if cached:  # later epochs: no I/O, no parsing
        examples = examples.cache()
    if shuffle:
        examples = examples.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        examples = examples.repeat()
    batches = examples.batch(batch_size, drop_remainder=repeat)
    return batches.prefetch(AUTOTUNE).with_options(without_autotune_model())


def example_bytes(feature_spec: Mapping[str, tf.io.FixedLenFeature]) -> int:
    """Bytes of one parsed example: every feature's values (a text value, or a dimension of
    unknown length, counted as one 8-byte value)."""
    return sum(int(np.prod([size or 1 for size in (spec.shape or [])])) * (spec.dtype.size or 8)
               for spec in feature_spec.values())


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
