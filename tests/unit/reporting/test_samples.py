"""Thumbnail strips: raw examples read per split, grouped per class for classifiers, shown as
the Transform graph returns them."""

import os

import numpy as np
import tensorflow as tf

from pipeline.reporting import samples


def write_split(root, split, labels):
    os.makedirs(root / f"Split-{split}")
    with tf.io.TFRecordWriter(str(root / f"Split-{split}" / "data.gz"), "GZIP") as writer:
        for label in labels:
            example = tf.train.Example()
            example.features.feature["label"].bytes_list.value.append(label.encode())
            writer.write(example.SerializeToString())


class FakeView:
    """Stands in for the Transform graph: image i of a batch is filled with i / 10."""

    def transform(self, serialized):
        return {"image": np.stack([np.full((2, 2, 1), i / 10, np.float32)
                                   for i in range(len(serialized))])}


def test_value_text_reads_the_first_value_of_any_kind():
    example = tf.train.Example()
    example.features.feature["s"].bytes_list.value.append(b"cat")
    example.features.feature["f"].float_list.value.append(0.123456)
    example.features.feature["i"].int64_list.value.append(7)
    assert [samples.value_text(example, n) for n in ("s", "f", "i", "none")] == [
        "cat", "0.1235", "7", ""]


def test_group_by_class_keeps_the_first_examples_of_each_class_sorted():
    labels = ["b", "a", "b", "c", "b", "a"]
    assert samples.group_by_class(labels, per_class=2, max_classes=2) == {"a": [1, 5],
                                                                           "b": [0, 2]}


def test_strips_per_split_and_class(tmp_path):
    write_split(tmp_path, "train", ["dog", "cat", "dog", "dog"])
    write_split(tmp_path, "eval", ["cat"])
    per_class = samples.sample_strips(FakeView(), str(tmp_path), ["image"], "label", True)
    assert list(per_class["image"]) == ["train: label = cat", "train: label = dog",
                                        "eval: label = cat"]
    assert per_class["image"]["train: label = dog"].count("<figure") == 3
    assert "<figcaption></figcaption>" in per_class["image"]["train: label = dog"]
    per_split = samples.sample_strips(FakeView(), str(tmp_path), ["image"], "label", False)
    assert list(per_split["image"]) == ["train", "eval"]
    assert per_split["image"]["train"].count("data:image/png;base64,") == 4
    assert "<figcaption>label dog</figcaption>" in per_split["image"]["train"]
