"""Test tooling: runs a compiled Kubeflow pipeline's tasks on this machine the way KFP's launcher
does, so the tests exercise the compiled spec itself rather than the Python that produced it.

Each DAG task runs in dependency order. A container task runs its executor's own `command` and
`args` (its `lifecycle.preCacheCheck` first, when the spec has one, as Vertex AI runs the
ExampleGen driver) with `{{$}}` replaced by an `ExecutorInput`: `parameterValues` (what
open-source KFP 2 backends send; no legacy `parameters`), input artifacts carrying the metadata
their producers wrote to `executor_output.json`, output artifacts under
`<pipeline root>/<run id>/<task>/` and the output file beside them. A resolver task answers its
artifact queries from the artifacts of earlier runs (the part of ML Metadata the queries read).

`engine="docker"` runs each step in the task's image with the given host paths mounted at the
same paths and no network; `engine="local"` runs it with this interpreter (no image needed).
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import time
from typing import Dict, Iterable, List, Optional

import yaml
from google.protobuf import json_format, struct_pb2
from kfp.pipeline_spec import pipeline_spec_pb2 as kfp_pb

ArtifactMap = Dict[str, List[kfp_pb.RuntimeArtifact]]
_INPUT_METADATA = re.compile(r"\{\{\$\.inputs\.artifacts\['(\w+)'\]\.metadata\['(\w+)'\]\}\}")


class TaskFailed(RuntimeError):
    """A task's container exited non-zero; the message ends with its log."""


@dataclasses.dataclass
class TaskRun:
    """What one task received and produced."""

    executor_input: Optional[kfp_pb.ExecutorInput]  # None for a resolver
    inputs: ArtifactMap
    outputs: ArtifactMap
    seconds: float


def schema_title(artifact: kfp_pb.RuntimeArtifact) -> str:
    """The artifact's type name, e.g. tfx.Model (TFX writes types as instance schemas)."""
    return yaml.safe_load(artifact.type.instance_schema)["title"]


def metadata(artifact: kfp_pb.RuntimeArtifact) -> dict:
    """The artifact's metadata as plain Python values."""
    return json_format.MessageToDict(artifact.metadata)


class ArtifactStore:
    """Every output artifact of every run, newest last, in `<pipeline root>/artifacts.jsonl`."""

    def __init__(self, pipeline_root: str):
        self.path = os.path.join(pipeline_root, "artifacts.jsonl")

    def add(self, artifacts: Iterable[kfp_pb.RuntimeArtifact]) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            for artifact in artifacts:
                handle.write(json_format.MessageToJson(artifact, indent=None) + "\n")

    def all(self) -> List[kfp_pb.RuntimeArtifact]:
        if not os.path.exists(self.path):
            return []
        with open(self.path, encoding="utf-8") as handle:
            return [json_format.Parse(line, kfp_pb.RuntimeArtifact()) for line in handle]

    def latest(self, query: str) -> List[kfp_pb.RuntimeArtifact]:
        """The newest artifact matching a resolver filter (`a=b AND c=d`), as a 0/1 list."""
        tests = [_predicate(clause.strip()) for clause in query.split(" AND ")]
        matches = [a for a in self.all() if all(test(a) for test in tests)]
        return matches[-1:]


def _predicate(clause: str):
    key, sep, value = clause.partition("=")
    if not sep:
        raise ValueError(f"unsupported resolver clause {clause!r}")
    value = value.strip('"')
    if key == "schema_title":
        return lambda artifact: schema_title(artifact) == value
    if key == "name":
        return lambda artifact: artifact.name == value
    if key == "state":  # every stored artifact is LIVE
        return lambda artifact: value == "LIVE"
    field = re.fullmatch(r"metadata\.(\w+)\.(number|string)_value", key)
    if field:
        expected = float(value) if field.group(2) == "number" else value
        return lambda artifact: metadata(artifact).get(field.group(1)) == expected
    raise ValueError(f"unsupported resolver clause {clause!r}")


def _google_value(value: kfp_pb.Value) -> struct_pb2.Value:
    """A legacy pipeline-spec Value (spec 2.0 constants) as the protobuf Value KFP 2 sends."""
    kind = value.WhichOneof("value")
    result = struct_pb2.Value()
    if kind == "string_value":
        result.string_value = value.string_value
    else:
        result.number_value = getattr(value, kind)
    return result


class Launcher:
    """Runs compiled pipelines; artifacts persist across runs under `pipeline_root`."""

    def __init__(self, pipeline_root: str, engine: str = "docker", mounts: Iterable[str] = (),
                 timeout: float = 900):
        self.pipeline_root = pipeline_root
        self.engine = engine
        self.mounts = [pipeline_root, *mounts]
        self.timeout = timeout
        self.store = ArtifactStore(pipeline_root)

    def run(self, job_path: str, run_id: str, parameters: Optional[Dict[str, str]] = None,
            only: Optional[Iterable[str]] = None) -> Dict[str, TaskRun]:
        """Runs the tasks of the compiled PipelineJob at `job_path` (every one, or `only` these,
        which must not read artifacts of tasks left out); raises TaskFailed."""
        with open(job_path, encoding="utf-8") as handle:
            job = json_format.Parse(handle.read(), kfp_pb.PipelineJob())
        spec = json_format.ParseDict(json_format.MessageToDict(job.pipeline_spec),
                                     kfp_pb.PipelineSpec())
        deployment = json_format.ParseDict(json_format.MessageToDict(spec.deployment_spec),
                                           kfp_pb.PipelineDeploymentConfig())
        values = {name: _google_value(value)
                  for name, value in job.runtime_config.parameters.items()}
        values.update(job.runtime_config.parameter_values)
        values.update({name: struct_pb2.Value(string_value=value)
                       for name, value in (parameters or {}).items()})
        runs: Dict[str, TaskRun] = {}
        for name in dag_order(spec.root.dag.tasks):
            if only is not None and name not in only:
                continue
            task = spec.root.dag.tasks[name]
            component = spec.components[task.component_ref.name]
            executor = deployment.executors[component.executor_label]
            inputs = {key: list(runs[source.task_output_artifact.producer_task]
                                .outputs[source.task_output_artifact.output_artifact_key])
                      for key, source in task.inputs.artifacts.items()}
            started = time.monotonic()
            if executor.WhichOneof("spec") == "resolver":
                outputs = {key: self._resolve(query.filter, inputs)
                           for key, query in executor.resolver.output_artifact_queries.items()}
                runs[name] = TaskRun(None, inputs, outputs, time.monotonic() - started)
                continue
            executor_input = self._executor_input(run_id, name, task, component, values, inputs)
            outputs = self._run_container(name, executor.container, executor_input)
            self.store.add(a for artifacts in outputs.values() for a in artifacts)
            runs[name] = TaskRun(executor_input, inputs, outputs, time.monotonic() - started)
        return runs

    def _resolve(self, query: str, inputs: ArtifactMap) -> List[kfp_pb.RuntimeArtifact]:
        """A resolver query; one that reads the metadata of an empty input resolves nothing."""
        referenced = {match.group(1) for match in _INPUT_METADATA.finditer(query)}
        if any(not inputs[key] for key in referenced):
            return []
        return self.store.latest(_INPUT_METADATA.sub(
            lambda match: str(metadata(inputs[match.group(1)][0])[match.group(2)]), query))

    def _executor_input(self, run_id, name, task, component, values, inputs):
        executor_input = kfp_pb.ExecutorInput()
        for key, parameter in task.inputs.parameters.items():
            kind = parameter.WhichOneof("kind")
            target = executor_input.inputs.parameter_values[key]
            if kind == "component_input_parameter":
                target.CopyFrom(values[parameter.component_input_parameter])
            elif parameter.runtime_value.WhichOneof("value") == "constant":
                target.CopyFrom(parameter.runtime_value.constant)
            elif parameter.runtime_value.WhichOneof("value") == "constant_value":
                target.CopyFrom(_google_value(parameter.runtime_value.constant_value))
            else:
                raise ValueError(f"{name}.{key}: parameter source {kind} is not supported here")
        for key, artifacts in inputs.items():
            executor_input.inputs.artifacts[key].artifacts.extend(artifacts)
        task_root = os.path.join(self.pipeline_root, run_id, name)
        for key, definition in component.output_definitions.artifacts.items():
            executor_input.outputs.artifacts[key].artifacts.add(
                name=f"{run_id}/{name}/{key}", type=definition.artifact_type,
                uri=os.path.join(task_root, key))
        executor_input.outputs.output_file = os.path.join(task_root, "executor_output.json")
        return executor_input

    def _run_container(self, name, container, executor_input) -> ArtifactMap:
        serialized = json_format.MessageToJson(executor_input, indent=None)
        output_file = executor_input.outputs.output_file
        os.makedirs(os.path.dirname(output_file), exist_ok=True)
        log_path = os.path.join(os.path.dirname(output_file), "log.txt")
        steps = [container.lifecycle.pre_cache_check] if container.HasField("lifecycle") else []
        for step in steps + [container]:
            args = [serialized if arg == "{{$}}" else arg for arg in step.args]
            with open(log_path, "a", encoding="utf-8") as log:
                code = subprocess.run(self._command(container.image, list(step.command)) + args,
                                      stdout=log, stderr=subprocess.STDOUT,
                                      timeout=self.timeout).returncode
            if code != 0:
                with open(log_path, encoding="utf-8") as log:
                    raise TaskFailed(f"{name} exited {code}:\n{log.read()[-4000:]}")
        with open(output_file, encoding="utf-8") as handle:
            produced = json_format.Parse(handle.read(), kfp_pb.ExecutorOutput(),
                                         ignore_unknown_fields=True)
        outputs = {}
        for key, artifact_list in executor_input.outputs.artifacts.items():
            [artifact] = artifact_list.artifacts
            for written in produced.artifacts[key].artifacts:
                artifact.metadata.MergeFrom(written.metadata)
                artifact.name = written.name or artifact.name
            outputs[key] = [artifact]
        return outputs

    def _command(self, image: str, command: List[str]) -> List[str]:
        if self.engine == "local":
            return [sys.executable if part == "python" else part for part in command]
        volumes = [arg for path in self.mounts for arg in ("-v", f"{path}:{path}")]
        return ["docker", "run", "--rm", "--network", "none", *volumes, image, *command]


def dag_order(tasks) -> List[str]:
    """Task names in dependency order (ties by name), from dependent tasks and artifact inputs."""
    needs = {name: set(task.dependent_tasks) | {
        source.task_output_artifact.producer_task for source in task.inputs.artifacts.values()}
        for name, task in tasks.items()}
    order: List[str] = []
    while needs:
        ready = sorted(name for name, deps in needs.items() if deps <= set(order))
        if not ready:
            raise ValueError(f"the DAG has a cycle among {sorted(needs)}")
        order.extend(ready)
        for name in ready:
            del needs[name]
    return order
