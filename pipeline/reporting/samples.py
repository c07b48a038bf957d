"""Examples as the model sees them: raw examples (ExampleGen's output) passed through the run's
Transform graph, so images are decoded, resized to the training resolution and scaled exactly
as in training; a strip of thumbnails per split (and per class for classifiers).
"""

from __future__ import annotations

import os
from typing import Dict, List, Sequence

from pipeline.reporting import thumbnails
from pipeline.reporting.feature_charts import split_order

PER_SPLIT = 12
PER_CLASS = 6
MAX_CLASSES = 12
SCAN_LIMIT = 1000  # raw examples read per split to find samples of each class


def read_serialized(examples_uri: str, split: str, limit: int) -> List[bytes]:
    """The first `limit` serialized examples of one split (ingestion shuffles rows, so these
    are a random sample)."""
    import tensorflow as tf

    files = sorted(tf.io.gfile.glob(os.path.join(examples_uri, f"Split-{split}", "*.gz")))
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").take(limit)
    return [record.numpy() for record in dataset]


def splits(examples_uri: str) -> List[str]:
    """The artifact's split names, train first, then eval."""
    import tensorflow as tf

    return sorted((os.path.basename(path).removeprefix("Split-")
                   for path in tf.io.gfile.glob(os.path.join(examples_uri, "Split-*"))),
                  key=split_order)


def value_text(example, name: str) -> str:
    """A feature's first value in a tf.train.Example, as text ("" when missing)."""
    feature = example.features.feature.get(name)
    if feature is None:
        return ""
    kind = feature.WhichOneof("kind")
    values = getattr(feature, kind).value if kind else []
    if not values:
        return ""
    value = values[0]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class TransformView:
    """The run's Transform graph applied to raw serialized examples."""

    def __init__(self, transform_graph_uri: str):
        import tensorflow_transform as tft

        self._output = tft.TFTransformOutput(transform_graph_uri)
        self._layer = self._output.transform_features_layer()

    def transform(self, serialized: Sequence[bytes]) -> Dict[str, object]:
        """Transformed feature name -> numpy array, one row per example."""
        import tensorflow as tf

        parsed = tf.io.parse_example(tf.constant(list(serialized)),
                                     self._output.raw_feature_spec())
        return {name: value.numpy() for name, value in self._layer(parsed).items()}


def group_by_class(labels: Sequence[str], per_class: int = PER_CLASS,
                   max_classes: int = MAX_CLASSES) -> Dict[str, List[int]]:
    """Class -> indices of its first `per_class` examples, classes sorted, at most
    `max_classes` of them."""
    groups: Dict[str, List[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(label, [])
        if len(groups[label]) < per_class:
            groups[label].append(index)
    return {label: groups[label] for label in sorted(groups)[:max_classes]}


def strip(images, indices: Sequence[int], captions: Sequence[str]) -> str:
    """A row of thumbnails of `images[i]` for i in `indices`."""
    return ("<div class='strip'>" + "".join(thumbnails.thumbnail(images[i], captions[i])
                                            for i in indices) + "</div>")


def sample_strips(view: TransformView, examples_uri: str, image_names: Sequence[str],
                  label: str, by_class: bool) -> Dict[str, Dict[str, str]]:
    """Image feature -> heading -> thumbnail strip: one per split ("train"), captioned with the
    raw label values, or for classifiers one per split and class ("train: label = cat")."""
    import tensorflow as tf

    result: Dict[str, Dict[str, str]] = {name: {} for name in image_names}
    for split in splits(examples_uri):
        serialized = read_serialized(examples_uri, split, SCAN_LIMIT if by_class else PER_SPLIT)
        if not serialized:
            continue
        labels = [value_text(tf.train.Example.FromString(s), label) for s in serialized]
        groups = ({f"{split}: {label} = {name}": indices
                   for name, indices in group_by_class(labels).items()}
                  if by_class else {split: list(range(len(serialized)))})
        chosen = sorted({i for indices in groups.values() for i in indices})
        transformed = view.transform([serialized[i] for i in chosen])
        position = {example: row for row, example in enumerate(chosen)}
        captions = ["" if by_class else f"{label} {labels[i]}" for i in chosen]
        for name in image_names:
            for heading, indices in groups.items():
                result[name][heading] = strip(transformed[name],
                                              [position[i] for i in indices], captions)
    return result
