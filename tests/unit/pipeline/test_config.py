"""Configuration: defaults, YAML plus overrides, and one-line errors."""

import sys

import pytest
import yaml

from pipeline.config import ConfigError, check_model_builder, load_config


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


REGRESSION_SCHEMA = """
feature { name: "x" type: FLOAT shape { dim { size: 1 } } }
feature { name: "y" type: FLOAT annotation { tag: "label" } shape { dim { size: 1 } } }
"""
CLASSES = 'feature { name: "y" type: BYTES domain: "y" annotation { tag: "label" } ' \
          'shape { dim { size: 1 } } }\nstring_domain { name: "y" %s }'


def _schema(tmp_path, classes):
    path = tmp_path / "schema.pbtxt"
    text = REGRESSION_SCHEMA
    if classes:
        text = text.splitlines()[1] + "\n" + CLASSES % " ".join(f'value: "{c}"' for c in classes)
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("classes, written, message", [
    ((), "min_eval_accuracy: 0.9\n", "invalid config: min_eval_accuracy: the schema's task is "
     "regression, whose blessing bound is max_eval_rmse; remove it"),
    (("a", "b", "c"), "max_eval_rmse: 0.5\nmin_eval_auc: 0.9\nmin_eval_accuracy: 0.5\n",
     "invalid config: max_eval_rmse, min_eval_auc: the schema's task is multiclass, whose "
     "blessing bound is min_eval_accuracy; remove them"),
    (("no", "yes"), "max_eval_rmse: 2\n", "invalid config: max_eval_rmse: the schema's task is "
     "binary, whose blessing bounds are min_eval_accuracy and min_eval_auc; remove it"),
])
def test_a_written_bound_the_task_does_not_use_is_refused(tmp_path, classes, written, message):
    path = tmp_path / "c.yaml"
    path.write_text(f"schema_path: {_schema(tmp_path, classes)}\n{written}")
    with pytest.raises(ConfigError) as raised:
        load_config(str(path))
    assert str(raised.value) == message


@pytest.mark.parametrize("classes, written", [
    ((), "max_eval_rmse: 2.5\n"), (("a", "b", "c"), "min_eval_accuracy: 0.5\n"),
    (("no", "yes"), "min_eval_accuracy: 0.5\nmin_eval_auc: 0.7\n")])
def test_the_tasks_own_bounds_and_defaults_pass(tmp_path, classes, written):
    """Defaults (the config's, or a demo's passed as `defaults`) never count as written."""
    path = tmp_path / "c.yaml"
    path.write_text(f"schema_path: {_schema(tmp_path, classes)}\n{written}")
    assert load_config(str(path), defaults={"min_eval_accuracy": 0.9, "max_eval_rmse": 3.0,
                                            "min_eval_auc": 0.5}).schema_path.endswith(".pbtxt")


def test_a_key_written_twice_is_refused_naming_both_lines(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("train_steps: 5\nbatch_size: 8\ncomponent_beam_args:\n  Transform: [a]\n"
                    "  Transform: [b]\ntrain_steps: 7\n")
    with pytest.raises(ConfigError) as raised:
        load_config(str(path))
    assert str(raised.value) == (f"config file {path}: key 'train_steps' is written twice "
                                 "(lines 1 and 6): keep one")
    path.write_text("component_beam_args:\n  Transform: [a]\n  Transform: [b]\n")
    with pytest.raises(ConfigError) as raised:
        load_config(str(path))
    assert str(raised.value) == (f"config file {path}: key 'Transform' is written twice "
                                 "(lines 2 and 3): keep one")


def test_a_model_builder_is_read_without_importing_it(tmp_path):
    """`predict` and `runs` never build a model: loading the config does not import it."""
    config = load_config(overrides={"model_builder": "my_models.build"})
    assert config.model_builder == "my_models.build"
    with pytest.raises(ConfigError, match=r"^invalid config: model_builder: 'build' is not a "
                       r"dotted path like 'my_models.build' \(got 'build'\)$"):
        load_config(overrides={"model_builder": "build"})


def test_a_model_builder_beside_the_config_names_the_folder_for_pythonpath(tmp_path,
                                                                          monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (project / "my_models.py").write_text("def build(inputs, head):\n    return None\n")
    (project / "config.yaml").write_text(yaml.safe_dump({"model_builder": "my_models.build"}))
    monkeypatch.chdir(tmp_path)
    config = load_config("project/config.yaml")
    with pytest.raises(ConfigError) as raised:
        check_model_builder(config, "project/config.yaml")
    assert str(raised.value) == (
        "invalid config: model_builder: module 'my_models' cannot be imported (got "
        "'my_models.build'); Python looks for it on PYTHONPATH and among installed packages, "
        "not in the working directory or the config's folder: add the folder that holds "
        f"my_models.py to PYTHONPATH (PYTHONPATH={project}), or install it")
    monkeypatch.setattr(sys, "path", [str(project)] + sys.path)
    check_model_builder(config, "project/config.yaml")  # importable from PYTHONPATH: no error


def test_a_model_builder_package_found_nowhere_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(overrides={"model_builder": "my_models.nope.build"})
    with pytest.raises(ConfigError, match=r"module 'my_models.nope' cannot be imported .*: add "
                       r"the folder that holds my_models/ to PYTHONPATH, or install it$"):
        check_model_builder(config, None)
