"""Configuration: defaults, YAML plus overrides, and one-line errors."""

import pytest

from pipeline.config import ConfigError, load_config


def test_defaults_resolve_paths(tmp_path):
    config = load_config(overrides={"output_dir": str(tmp_path)})
    assert config.pipeline_root == str(tmp_path / "pipeline_root")
    assert config.metadata_path == str(tmp_path / "metadata.sqlite")
    assert config.resolved_schema_path.endswith("schemas/digits/schema.pbtxt")
    assert "--direct_running_mode=in_memory" in config.beam_pipeline_args()


@pytest.mark.parametrize("overrides, input_mb, expected", [
    ({}, None, ("in_memory", 1)),
    ({}, 1.0, ("in_memory", 1)),
    ({"beam_parallel_min_mb": 10}, 10.0, ("in_memory", 0)),
    ({"beam_multi_processing_min_mb": 100, "beam_parallel_min_mb": 10}, 99.0, ("in_memory", 0)),
    ({"beam_multi_processing_min_mb": 100}, 100.0, ("multi_processing", 0)),
    ({"beam_direct_running_mode": "multi_processing", "beam_direct_num_workers": 3}, 1.0,
     ("multi_processing", 3)),
    ({"beam_direct_running_mode": "in_memory"}, 1e6, ("in_memory", 0)),
])
def test_direct_runner_settings_follow_input_size(overrides, input_mb, expected):
    config = load_config(overrides=overrides)
    assert config.direct_runner_settings(input_mb) == expected
    mode, workers = expected
    assert config.beam_pipeline_args(input_mb)[:2] == [f"--direct_running_mode={mode}",
                                                       f"--direct_num_workers={workers}"]


def test_yaml_then_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("train_steps: 7\nbatch_size: 8\n")
    config = load_config(str(path), {"train_steps": 9, "batch_size": None})
    assert (config.train_steps, config.batch_size) == (9, 8)


@pytest.mark.parametrize("overrides, message", [
    ({"train_steps": 0}, "invalid config: train_steps: Input should be greater than 0 (got 0)"),
    ({"colour": "red"}, "invalid config: colour: Extra inputs are not permitted"),
    ({"image_channels": 2}, "invalid config: image_channels: Input should be 1 or 3 (got 2)"),
    ({"dataset": "nope"}, "invalid config: dataset: no dataset schema 'nope'"),
    ({"schema_path": "/nonexistent.pbtxt"}, "schema_path '/nonexistent.pbtxt' is not a file"),
])
def test_errors_are_one_line(overrides, message):
    with pytest.raises(ConfigError) as raised:
        load_config(overrides=overrides)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_bad_yaml_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("- a list\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config(str(path))
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(str(tmp_path / "missing.yaml"))
