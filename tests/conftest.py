"""Shared fixtures and helpers: the digits feature set, small demo datasets written on the fly,
DataGate inputs (schema, anomalies, statistics) built in a temporary folder, and raw serialized
examples as a serving client sends them."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Files whose tests take longest (pytest's --durations), started first so that the suite's
# workers (pytest-xdist, one per core, whole files: pytest.ini) finish at about the same time.
# The container test builds the project's image, mostly waiting on the package registry.
LONGEST_FIRST = ("e2e/test_kubeflow_containers.py", "e2e/test_retraining_e2e.py",
                 "e2e/test_classification_e2e.py", "e2e/test_trainer_e2e.py",
                 "e2e/test_own_data_e2e.py", "e2e/test_walkthrough_e2e.py")


def pytest_collection_modifyitems(items):
    def rank(item):
        path = item.nodeid.split("::")[0]
        return next((i for i, name in enumerate(LONGEST_FIRST) if path.endswith(name)),
                    len(LONGEST_FIRST))

    items.sort(key=rank)  # stable: the rest keep their order (end-to-end files before unit)


@pytest.fixture(scope="session", autouse=True)
def temporary_files_under_pytests_basetemp(tmp_path_factory):
    """Points temporary files (`tempfile` here, TMPDIR for subprocesses) into pytest's own
    temporary folder, which pytest prunes (it keeps the last three runs): libraries that leave
    their temporary folders behind (TFX's sdist of itself for Beam jobs without a container
    image, about 50 MB each; Beam's staging files) left them in /tmp after every run."""
    import tempfile

    folder = str(tmp_path_factory.mktemp("tmp"))
    patch = pytest.MonkeyPatch()
    patch.setenv("TMPDIR", folder)
    patch.setattr(tempfile, "tempdir", folder)
    yield folder
    patch.undo()


@pytest.fixture(scope="session")
def digits_features():
    import schemas

    return schemas.load_feature_set(schemas.dataset_schema_path("digits"))


@pytest.fixture(scope="session")
def tiny_demo_data(tmp_path_factory, digits_features):
    """A 60-row demo dataset (CSV + images), generated once per session."""
    from pipeline.datasets import demo_data

    root = tmp_path_factory.mktemp("demo")
    demo_data.generate(str(root), digits_features, rows=60)
    return root


def _image_byte_statistics(largest: int):
    """TFDV statistics whose `image` feature's largest value has `largest` bytes."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    stats = statistics_pb2.DatasetFeatureStatisticsList()
    feature = stats.datasets.add(num_examples=1).features.add()
    feature.path.step.append("image")
    feature.bytes_stats.max_num_bytes_int = largest
    return stats


def _digits_schema(max_bytes: int = 1000):
    """The digits schema with `image_domain.max_image_byte_size` set to `max_bytes`."""
    import schemas

    schema = schemas.load_schema(schemas.dataset_schema_path("digits"))
    for feature in schema.feature:
        if feature.name == "image":
            feature.image_domain.max_image_byte_size = max_bytes
    return schema


def _data_gate_artifacts(tmp_path, anomalies, largest_image):
    """The DataGate executor's (inputs, outputs): the digits schema, an anomalies report holding
    `anomalies` and statistics whose largest image has `largest_image` bytes, under tmp_path."""
    from tfx.types import standard_artifacts
    from tfx.utils import io_utils

    from components.data_gate import executor

    schema = standard_artifacts.Schema()
    schema.uri = str(tmp_path / "schema")
    io_utils.write_pbtxt_file(os.path.join(schema.uri, executor.SCHEMA_FILE), _digits_schema())
    report = standard_artifacts.ExampleAnomalies()
    report.uri = str(tmp_path / "anomalies")
    io_utils.write_bytes_file(os.path.join(report.uri, "Split-train", "SchemaDiff.pb"),
                              anomalies.SerializeToString())
    statistics = standard_artifacts.ExampleStatistics()
    statistics.uri = str(tmp_path / "stats")
    io_utils.write_bytes_file(os.path.join(statistics.uri, "Split-train", "FeatureStats.pb"),
                              _image_byte_statistics(largest_image).SerializeToString())
    validated = standard_artifacts.Schema()
    validated.uri = str(tmp_path / "validated")
    inputs = {"schema": [schema], "anomalies": [report], "statistics": [statistics]}
    return inputs, {"validated_schema": [validated]}


@pytest.fixture
def image_byte_statistics():
    return _image_byte_statistics


@pytest.fixture
def make_digits_schema():
    return _digits_schema


@pytest.fixture
def make_data_gate_artifacts():
    return _data_gate_artifacts


class MetadataStoreBuilder:
    """A real MLMD store (in-memory SQLite) that tests fill with TFX artifacts and executions,
    the way the orchestrator records them: ids are MLMD's own, in creation order."""

    def __init__(self):
        from ml_metadata.metadata_store import metadata_store
        from ml_metadata.proto import metadata_store_pb2

        config = metadata_store_pb2.ConnectionConfig()
        config.fake_database.SetInParent()
        self.store = metadata_store.MetadataStore(config)

    def _register(self, artifact):
        artifact.type_id = self.store.put_artifact_type(artifact.artifact_type)
        artifact.mlmd_artifact.state = artifact.mlmd_artifact.LIVE

    def add(self, artifact_class, **custom_properties):
        """A new artifact of `artifact_class` with int custom properties, stored; its id set."""
        artifact = artifact_class()
        artifact.uri = f"/artifacts/{artifact.type_name}/{len(self.store.get_artifacts()) + 1}"
        for name, value in custom_properties.items():
            artifact.set_int_custom_property(name, value)
        self._register(artifact)
        [artifact.id] = self.store.put_artifacts([artifact.mlmd_artifact])
        return artifact

    def execute(self, execution_type: str, inputs, output_class, **custom_properties):
        """A COMPLETE execution of `execution_type` that read `inputs` (stored artifacts) and
        wrote one new `output_class` artifact, linked by INPUT/OUTPUT events; the output."""
        from ml_metadata.proto import metadata_store_pb2

        execution_type_proto = metadata_store_pb2.ExecutionType(name=execution_type)
        execution = metadata_store_pb2.Execution(
            type_id=self.store.put_execution_type(execution_type_proto),
            last_known_state=metadata_store_pb2.Execution.COMPLETE)
        output = output_class()
        output.uri = f"/artifacts/{output.type_name}/{len(self.store.get_artifacts()) + 1}"
        for name, value in custom_properties.items():
            output.set_int_custom_property(name, value)
        self._register(output)
        events = [(artifact.mlmd_artifact,
                   metadata_store_pb2.Event(type=metadata_store_pb2.Event.INPUT))
                  for artifact in inputs]
        events.append((output.mlmd_artifact,
                       metadata_store_pb2.Event(type=metadata_store_pb2.Event.OUTPUT)))
        _, artifact_ids, _ = self.store.put_execution(execution, events, contexts=[])
        output.id = artifact_ids[-1]
        return output

    def channel(self, artifact_class):
        """Every stored artifact of `artifact_class`, as TFX artifacts (what a resolver's
        `Channel(type=...)` input receives)."""
        from tfx.types import artifact_utils

        artifact_type = artifact_class().artifact_type
        artifact_type.id = self.store.put_artifact_type(artifact_type)
        return [artifact_utils.deserialize_artifact(artifact_type, artifact)
                for artifact in self.store.get_artifacts_by_type(artifact_class.TYPE_NAME)]


@pytest.fixture
def metadata_store():
    """An empty real MLMD store (`MetadataStoreBuilder`)."""
    return MetadataStoreBuilder()


def _ingest_row(image="img/good.png", z="0.5", pen="a", y="1.0"):
    """A raw digits CSV row (column -> cell text)."""
    return {"image": image, "z": z, "pen": pen, "y": y}


# Rows that `rows.row_to_example` rejects under `ingest_settings` and `image_data_root`:
# (row, rows.Reason name, column named in the rejection).
BAD_ROWS = [
    (_ingest_row(image="img/absent.png"), "IMAGE_MISSING", "image"),
    (_ingest_row(image="img/truncated.png"), "IMAGE_UNREADABLE", "image"),
    (_ingest_row(image="img/text.png"), "IMAGE_UNREADABLE", "image"),
    (_ingest_row(image="img/bitmap.bmp"), "IMAGE_UNREADABLE", "image"),
    (_ingest_row(image="img/huge.png"), "IMAGE_TOO_LARGE", "image"),
    (_ingest_row(image="../outside.png"), "PATH_ESCAPES_ROOT", "image"),
    (_ingest_row(image="img/../../outside.png"), "PATH_ESCAPES_ROOT", "image"),
    (_ingest_row(image="/etc/passwd"), "PATH_ESCAPES_ROOT", "image"),
    (_ingest_row(image="img/link.png"), "PATH_ESCAPES_ROOT", "image"),
    (_ingest_row(image="linked_dir/x.png"), "PATH_ESCAPES_ROOT", "image"),
    (_ingest_row(image="img"), "IMAGE_UNREADABLE", "image"),
    (_ingest_row(image=""), "MISSING_VALUE", "image"),
    (_ingest_row(z="abc"), "NOT_NUMERIC", "z"),
    (_ingest_row(z="nan"), "NOT_FINITE", "z"),
    (_ingest_row(z="-inf"), "NOT_FINITE", "z"),
    (_ingest_row(z=""), "MISSING_VALUE", "z"),
    (_ingest_row(pen=" "), "MISSING_VALUE", "pen"),
    (_ingest_row(y=""), "MISSING_VALUE", "y"),
]


def _with_reason(case):
    from components.ingest.rows import Reason

    row, reason, column = case
    return row, Reason[reason], column


@pytest.fixture
def make_row():
    """Builds a raw digits CSV row; keyword arguments replace cells of a good row."""
    return _ingest_row


@pytest.fixture(params=BAD_ROWS, ids=[f"{r}-{c}-{i}" for i, (_, r, c) in enumerate(BAD_ROWS)])
def bad_row_case(request):
    """One (row, rows.Reason, column) of BAD_ROWS per test."""
    return _with_reason(request.param)


@pytest.fixture
def bad_rows():
    """Every (row, rows.Reason, column) of BAD_ROWS, in order."""
    return [_with_reason(case) for case in BAD_ROWS]


@pytest.fixture
def ingest_settings(digits_features):
    """Digits ingest settings with a 64 x 64 pixel limit."""
    from components.ingest import rows

    return rows.IngestSettings(features=digits_features, max_image_pixels=64 * 64,
                               max_quarantine_fraction=0.01, image_channels=1)


@pytest.fixture
def image_data_root(tmp_path):
    """A data root with good and bad image files, symlinks in and out of it, and a file outside."""
    from PIL import Image

    root = tmp_path / "root"
    (root / "img").mkdir(parents=True)
    Image.new("L", (10, 12), color=200).save(root / "img" / "good.png")
    Image.new("RGB", (16, 16), color=(10, 20, 30)).save(root / "img" / "good.jpg")
    Image.new("L", (100, 100)).save(root / "img" / "huge.png")
    (root / "img" / "truncated.png").write_bytes((root / "img" / "good.png").read_bytes()[:40])
    (root / "img" / "text.png").write_text("not an image")
    Image.new("L", (4, 4)).save(root / "img" / "bitmap.bmp")
    Image.new("L", (4, 4)).save(tmp_path / "outside.png")
    os.symlink(tmp_path / "outside.png", root / "img" / "link.png")
    (tmp_path / "outside_dir").mkdir()
    Image.new("L", (4, 4)).save(tmp_path / "outside_dir" / "x.png")
    os.symlink(tmp_path / "outside_dir", root / "linked_dir")
    os.symlink(root / "img" / "good.png", root / "img" / "inside_link.png")
    return root


def _write_csv(path, records, header=("image", "z", "pen", "y")):
    """Writes `records` (dicts) as a CSV file with `header`; returns its path as a string."""
    import csv

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(header))
        writer.writeheader()
        writer.writerows(records)
    return str(path)


@pytest.fixture
def write_csv():
    return _write_csv


def _serve_csv_rows(config, csv_path, limit=None):
    """serving_default of a config's latest pushed model on the first `limit` rows of a CSV
    (all when None), built as a client would: one raw tf.Example per row, label left out."""
    import itertools

    import tensorflow as tf

    from components.ingest import csv_files, rows
    from components.prediction import batch

    settings = rows.IngestSettings(features=config.features(),
                                   max_image_pixels=config.max_image_pixels,
                                   max_quarantine_fraction=1.0,
                                   image_channels=config.image_channels)
    examples = [rows.row_to_example(row, settings, config.data_root, for_serving=True)
                .SerializeToString()
                for _, row in itertools.islice(csv_files.iter_csv_rows(csv_path), limit)]
    model = tf.saved_model.load(batch.latest_model(config.serving_dir))
    return {name: tensor.numpy() for name, tensor in
            model.signatures["serving_default"](examples=tf.constant(examples)).items()}


@pytest.fixture
def serve_csv_rows():
    return _serve_csv_rows


def _raw_examples(data_root, features, with_label, count=12):
    """The first `count` demo CSV rows as serialized raw tf.Examples (a tensor) and their labels."""
    import numpy as np
    import tensorflow as tf

    from components.ingest import csv_files, rows
    from pipeline.datasets import demo_data

    settings = rows.IngestSettings(features=features, max_image_pixels=10**6,
                                   max_quarantine_fraction=0.0, image_channels=1)
    serialized, labels = [], []
    csv_rows = csv_files.iter_csv_rows(os.path.join(data_root, demo_data.CSV_NAME))
    for _, row in list(csv_rows)[:count]:
        example = rows.row_to_example(row, settings, data_root)
        labels.append(float(row[features.label.name]))
        if not with_label:
            del example.features.feature[features.label.name]
        serialized.append(example.SerializeToString())
    return tf.constant(serialized), np.array(labels)


@pytest.fixture
def make_raw_examples():
    return _raw_examples
