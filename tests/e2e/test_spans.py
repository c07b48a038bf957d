"""Spans: data drops matching `{SPAN}` patterns are ingested one span per run, as TFX does."""

import pytest
from tfx import v1 as tfx

from components.ingest.component import CsvImageExampleGen, example_gen_configs
from components.ingest.rows import IngestSettings
from pipeline.datasets import demo_data
from pipeline.reporting.summary import open_store

pytestmark = pytest.mark.slow


def ingest_latest_span(data_root, root, features):
    example_gen = CsvImageExampleGen(
        input_base=str(data_root),
        settings=IngestSettings(features=features, max_image_pixels=10**6,
                                max_quarantine_fraction=0.0, image_channels=1),
        **dict(zip(("input_config", "output_config"),
                   example_gen_configs("span-{SPAN}/*.csv", None, 1, 1))))
    metadata = tfx.orchestration.metadata.sqlite_metadata_connection_config(
        str(root / "metadata.sqlite"))
    tfx.orchestration.LocalDagRunner().run(tfx.dsl.Pipeline(
        pipeline_name="spans", pipeline_root=str(root / "pipeline_root"),
        components=[example_gen], metadata_connection_config=metadata))


def test_two_drops_become_span_0_and_span_1(tmp_path, digits_features):
    data_root = tmp_path / "data"
    demo_data.generate(str(data_root), digits_features, rows=8, subdir="span-0")
    ingest_latest_span(data_root, tmp_path, digits_features)
    demo_data.generate(str(data_root), digits_features, rows=5, subdir="span-1", seed=1)
    ingest_latest_span(data_root, tmp_path, digits_features)

    store = open_store(str(tmp_path / "metadata.sqlite"))
    examples = sorted(store.get_artifacts_by_type("Examples"), key=lambda a: a.id)
    assert [(a.custom_properties["span"].int_value, a.custom_properties["rows_read"].int_value)
            for a in examples] == [(0, 8), (1, 5)]
