"""The ingestion driver: TFX's span resolution, with a `{SPAN}` pattern that matches no file
reported as a one-line data error that names the pattern and the data root."""

import pytest
from google.protobuf import json_format

from components.errors import DataError
from components.ingest import driver
from components.ingest.component import CsvImageExampleGen, example_gen_configs


def resolve(data_root, pattern):
    """The exec properties the driver resolves for a single input pattern."""
    input_config, _ = example_gen_configs(pattern, None, 2, 1)
    return driver.SpanResolvingDriver(None).resolve_exec_properties(
        {"input_base": str(data_root), "input_config": json_format.MessageToJson(input_config)},
        None, None)


def test_component_runs_the_span_resolving_driver():
    assert CsvImageExampleGen.DRIVER_CLASS is driver.SpanResolvingDriver


def test_span_pattern_matching_no_file_is_a_data_error(tmp_path):
    (tmp_path / "data" / "span-0").mkdir(parents=True)
    (tmp_path / "data" / "span-0" / "data.csv").write_text("a\n1\n")
    with pytest.raises(DataError) as raised:
        resolve(tmp_path, "span-{SPAN}/*.csv")
    assert str(raised.value) == (
        f"input pattern 'span-{{SPAN}}/*.csv' matches no file under data root {tmp_path} "
        f"({{SPAN}} standing for a number: expected files such as {tmp_path}/span-0/*.csv)")
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_version_placeholder_is_named_too(tmp_path):
    with pytest.raises(DataError, match=r"^input pattern 'span-\{SPAN\}/v\{VERSION\}/\*\.csv' "
                       r"matches no file under data root .* \(\{SPAN\} and \{VERSION\} standing "
                       r"for a number: expected files such as .*/span-0/v0/\*\.csv\)$"):
        resolve(tmp_path, "span-{SPAN}/v{VERSION}/*.csv")


def test_newest_span_is_resolved(tmp_path):
    for span in (1, 7):
        (tmp_path / f"span-{span}").mkdir()
        (tmp_path / f"span-{span}" / "data.csv").write_text("a\n1\n")
    assert resolve(tmp_path, "span-{SPAN}/*.csv")["span"] == 7


def test_other_value_errors_are_not_translated():
    assert driver.no_span_match_error("Only one {SPAN} spec is allowed in x", "/data") is None
