"""The Trainer's reader (components/trainer/data.py): dict-keyed batches, shuffling, the
in-memory cache for small splits, and staging uncompressed copies of large ones."""

import logging
import os
import shutil

import pytest
import tensorflow as tf

from components.trainer import data
from test_trainer import SPEC, write_records

INDEXED_SPEC = dict(SPEC, index=tf.io.FixedLenFeature([1], tf.int64))


def records_of(path, compression):
    return [r.numpy() for r in tf.data.TFRecordDataset(path, compression_type=compression)]


def indices_of(dataset):
    return sorted(i for features, _ in dataset for i in features["index"].numpy().ravel())


CACHE_MODES = pytest.mark.parametrize("cache_limit", [0, data.CACHE_LIMIT_BYTES],
                                      ids=["parse-per-batch", "parsed-once-cached"])


@CACHE_MODES
def test_reader_yields_dict_keyed_batches_shuffled_before_batching(tmp_path, cache_limit):
    path = write_records(tmp_path / "a.gz", 64)
    dataset = data.make_dataset(path, INDEXED_SPEC, "y", batch_size=8, shuffle=True, seed=1,
                                cache_limit_bytes=cache_limit)
    batches = list(dataset)
    features, labels = batches[0]
    assert set(features) == {"image", "z", "pen", "index"}
    assert features["image"].shape == (8, 4, 4, 1) and labels.shape == (8, 1)
    indices = [b[0]["index"].numpy().ravel().tolist() for b in batches]
    assert sorted(sum(indices, [])) == list(range(64))
    # shuffled before batching: a batch mixes examples from far apart, not 8 consecutive ones
    assert any(max(batch) - min(batch) > 8 for batch in indices)


@CACHE_MODES
def test_reader_without_shuffle_keeps_order_and_partial_batch(tmp_path, cache_limit):
    path = write_records(tmp_path / "a.gz", 10)
    batches = list(data.make_dataset(path, INDEXED_SPEC, "y", batch_size=4, shuffle=False,
                                     cache_limit_bytes=cache_limit))
    assert [b[0]["index"].numpy().ravel().tolist() for b in batches] == [
        [0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


@CACHE_MODES
def test_reader_runs_without_the_autotune_model_also_when_sharded(tmp_path, cache_limit):
    """No tf.data model thread: deleting an iterator could wait out its re-planning interval
    (data.py's docstring); the Trainer's sharding options must not switch it back on."""
    from components.trainer.run import shard_by_files_or_data

    path = write_records(tmp_path / "a.gz", 10)
    for shuffle in (True, False):
        dataset = data.make_dataset(path, SPEC, "y", batch_size=4, shuffle=shuffle,
                                    repeat=shuffle, cache_limit_bytes=cache_limit)
        assert dataset.options().autotune.enabled is False
        assert shard_by_files_or_data(dataset, [path], 1).options().autotune.enabled is False




def test_large_files_are_inflated_once_and_every_epoch_streams_the_copies(tmp_path):
    paths = [write_records(tmp_path / "a.gz", 64, seed=0), write_records(tmp_path / "b.gz", 32,
                                                                          seed=1)]
    staging = tmp_path / "staging"
    staging.mkdir()
    dataset = data.make_dataset(str(tmp_path / "*.gz"), INDEXED_SPEC, "y", batch_size=8,
                                shuffle=True, seed=1, cache_limit_bytes=0,
                                staging_dir=str(staging))
    assert sorted(os.listdir(staging)) == ["00000.tfrecord", "00001.tfrecord"]
    for source, copy in zip(paths, ["00000.tfrecord", "00001.tfrecord"]):
        assert records_of(str(staging / copy), "") == records_of(source, "GZIP")
    for path in paths:
        os.remove(path)  # the reader reads only the copies now
    expected = sorted(list(range(64)) + list(range(32)))
    assert indices_of(dataset) == expected and indices_of(dataset) == expected  # two epochs


def test_files_small_enough_to_cache_are_not_staged(tmp_path):
    write_records(tmp_path / "a.gz", 16)
    staging = tmp_path / "staging"
    staging.mkdir()
    dataset = data.make_dataset(str(tmp_path / "*.gz"), INDEXED_SPEC, "y", batch_size=8,
                                shuffle=True, seed=1, staging_dir=str(staging))
    assert indices_of(dataset) == list(range(16)) and os.listdir(staging) == []


def test_staging_gives_up_and_cleans_up_when_the_disk_would_keep_too_little(
        tmp_path, monkeypatch, caplog):
    write_records(tmp_path / "a.gz", 64)
    write_records(tmp_path / "b.gz", 64, seed=1)
    staging = tmp_path / "staging"
    staging.mkdir()
    free = shutil.disk_usage(staging).free
    monkeypatch.setattr(data, "STAGING_RESERVE_BYTES", free + 2**40)
    logging.getLogger("absl").setLevel(logging.INFO)
    with caplog.at_level(logging.WARNING):
        dataset = data.make_dataset(str(tmp_path / "*.gz"), INDEXED_SPEC, "y", batch_size=8,
                                    shuffle=False, cache_limit_bytes=0, staging_dir=str(staging))
    assert os.listdir(staging) == []
    assert indices_of(dataset) == sorted(list(range(64)) * 2)  # read from the gzipped files
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        f"Not staging the training files uncompressed in {staging}"]


def test_a_pattern_matching_nothing_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no files match .*nothing-here"):
        data.make_dataset(str(tmp_path / "nothing-here*"), SPEC, "y", 8, shuffle=False)
