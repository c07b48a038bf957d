"""The local runner: TFX's Beam executors never see this process's own command line."""

import sys

import pytest
from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor

BEAM_ARGS = ["--direct_running_mode=in_memory"]


class BeamExecutor(BaseBeamExecutor):
    """A Beam executor as every Beam component has one; its constructor parses absl flags."""

    def Do(self, input_dict, output_dict, exec_properties):
        raise AssertionError("not run here")


def start_a_beam_executor():
    return BeamExecutor(BaseBeamExecutor.Context(beam_pipeline_args=list(BEAM_ARGS)))


def test_tfx_beam_executors_do_not_parse_the_cli_arguments(monkeypatch, tmp_path):
    from absl.flags import IllegalFlagValueError
    from tfx.orchestration.local.local_dag_runner import LocalDagRunner

    from pipeline.config import load_config
    from pipeline.runners import local

    monkeypatch.setattr(sys, "argv", ["pipeline_runner.py", "run", "-v"])
    with pytest.raises(IllegalFlagValueError):  # what `run -v` did: absl's -v took a Beam arg
        start_a_beam_executor()

    seen = []

    def run_as_a_beam_component_starts(self, pipeline):
        start_a_beam_executor()
        seen.append((list(sys.argv), pipeline.pipeline_info.pipeline_name))

    monkeypatch.setattr(LocalDagRunner, "run", run_as_a_beam_component_starts)
    config = load_config(overrides={"output_dir": str(tmp_path)})
    local.run_local(config)
    assert seen == [(["pipeline_runner.py"], config.pipeline_name)]
    assert sys.argv == ["pipeline_runner.py", "run", "-v"]  # restored
