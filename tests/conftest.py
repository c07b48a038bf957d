"""Shared fixtures and helpers: the digits feature set, small demo datasets written on the fly,
and DataGate inputs (schema, anomalies, statistics) built in a temporary folder."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


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
    feature = stats.datasets.add().features.add()
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
