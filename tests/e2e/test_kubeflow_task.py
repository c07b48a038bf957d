"""A compiled Kubeflow task runs locally exactly as the KFP launcher would start it: the
container command and args from the spec, with an ExecutorInput in place of `{{$}}`."""

import json
import os
import subprocess
import sys

import pytest
from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx.utils import io_utils

from pipeline import cli

pytestmark = pytest.mark.slow


def runtime_artifact(artifact, artifact_type):
    return {"artifacts": [{"name": f"{artifact.type_name}-{os.path.basename(artifact.uri)}",
                           "type": artifact_type, "uri": artifact.uri, "metadata": {}}]}


def test_compiled_data_gate_task_runs_through_the_v2_entrypoint(tmp_path, make_data_gate_artifacts,
                                                               make_digits_schema):
    spec_path = tmp_path / "pipeline.json"
    assert cli.main(["compile", "--target", "kubeflow", "--image", "registry.example/tm:1",
                     "--output", str(spec_path)]) == 0
    spec = json.loads(spec_path.read_text())["pipelineSpec"]
    container = spec["deploymentSpec"]["executors"]["DataGate_executor"]["container"]
    definitions = spec["components"]["DataGate"]
    inputs, outputs = make_data_gate_artifacts(tmp_path, anomalies_pb2.Anomalies(), largest_image=10)

    executor_input = {
        "inputs": {"artifacts": {
            key: runtime_artifact(artifacts[0],
                                  definitions["inputDefinitions"]["artifacts"][key]["artifactType"])
            for key, artifacts in inputs.items()}},
        "outputs": {
            "artifacts": {key: runtime_artifact(
                artifacts[0], definitions["outputDefinitions"]["artifacts"][key]["artifactType"])
                for key, artifacts in outputs.items()},
            "outputFile": str(tmp_path / "task" / "executor_output.json")},
    }
    command = [sys.executable if part == "python" else part for part in container["command"]]
    args = [json.dumps(executor_input) if part == "{{$}}" else part for part in container["args"]]
    result = subprocess.run(command + args, cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]

    validated = io_utils.SchemaReader().read(
        os.path.join(outputs["validated_schema"][0].uri, "schema.pbtxt"))
    assert validated == make_digits_schema()
    assert (tmp_path / "task" / "executor_output.json").exists()
