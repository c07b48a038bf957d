"""A compiled task reads its parameters from the executor input's `parameterValues` alone (what
open-source KFP 2 sends): CsvImageExampleGen, its driver first, started from the spec's own
command and args with this interpreter (kfp_launcher, engine "local"). Compiled as spec 2.0,
the same task given the same input fails: it reads only the legacy `parameters`."""

import pytest
import yaml

from kfp_launcher import Launcher, TaskFailed, metadata
from pipeline import cli

pytestmark = pytest.mark.slow

TASK = "CsvImageExampleGen"


def compiled(tmp_path, data_root, spec):
    config, path = tmp_path / "config.yaml", tmp_path / f"pipeline-{spec}.json"
    config.write_text(yaml.safe_dump({
        "data_root": str(data_root), "kubeflow_pipeline_root": str(tmp_path / "root"),
        "kubeflow_beam_args": ["--direct_running_mode=in_memory", "--direct_num_workers=1",
                               "--sdk_container_image=local-environment"]}))
    assert cli.main(["compile", "--config", str(config), "--target", "kubeflow", "--image",
                     "unused:1", "--output", str(path), "--spec", spec,
                     "--allow-local-paths"]) == 0
    return str(path)


def test_example_gen_reads_parameter_values_alone(tmp_path, tiny_demo_data):
    launcher = Launcher(str(tmp_path / "root"), engine="local")
    [run] = launcher.run(compiled(tmp_path, tiny_demo_data, "2.1"), "run-1", only=[TASK]).values()
    assert len(run.executor_input.inputs.parameters) == 0
    assert sorted(run.executor_input.inputs.parameter_values) == [
        "custom_config", "input_base", "input_config", "output_config", "output_data_format",
        "output_file_format"]
    assert run.executor_input.inputs.parameter_values["input_base"].string_value == str(
        tiny_demo_data)
    [examples] = run.outputs["examples"]
    assert metadata(examples)["rows_ingested"] == 60
    assert metadata(examples)["split_names"] == '["train", "eval"]'


def test_spec_2_0_task_cannot_read_parameter_values(tmp_path, tiny_demo_data):
    launcher = Launcher(str(tmp_path / "root"), engine="local")
    with pytest.raises(TaskFailed, match="KeyError: 'input_config'"):
        launcher.run(compiled(tmp_path, tiny_demo_data, "2.0"), "run-1", only=[TASK])
