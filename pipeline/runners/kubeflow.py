"""Compiles the pipeline for Kubeflow Pipelines (KubeflowV2DagRunner) from the same
`create_pipeline` the local runner uses.

Runtime parameters a Kubeflow run can set: `data-root`, `train-args` (TrainArgs JSON, e.g.
`{"num_steps": 3000}`), `trainer-config` (the Trainer's settings as JSON, e.g. its
`learning_rate`) and `eval-config` (TFMA EvalConfig JSON, holding the blessing bounds). Their
values from the config are the defaults; `deploy` can patch them per run. The code runs from the
container image (dotted paths of the installed package); the schema is read from the package's
location inside the image.

`check_compilable` refuses, in one line, a config whose spec could not run on a cluster: paths
on this machine (data root, pipeline root), a pipeline name Kubeflow refuses, the placeholder
pipeline root, a schema or model builder the image does not hold, a span window above 1.
"""

from __future__ import annotations

import json
import os
import re
from typing import List, Optional

import schemas
from pipeline.config import KUBEFLOW_PIPELINE_ROOT_PLACEHOLDER, ConfigError, PipelineConfig

IMAGE_PACKAGE_ROOT = "/tfx-multimodal"  # where the Dockerfile puts this repository
IMAGE_PACKAGES = ("pipeline", "components", "schemas")  # the folders the Dockerfile copies
REPO_ROOT = os.path.dirname(schemas.SCHEMAS_DIR)
# runtime parameter names
DATA_ROOT_PARAMETER = "data-root"
TRAIN_ARGS_PARAMETER = "train-args"
TRAINER_CONFIG = "trainer-config"
EVAL_CONFIG = "eval-config"
KUBEFLOW_PIPELINE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,127}")  # TFX's KubeflowV2 compiler's


def train_args_json(train_steps: int) -> str:
    """The `train-args` runtime parameter's value: TrainArgs as JSON."""
    return json.dumps({"num_steps": train_steps})


def cluster_readable(path: str) -> bool:
    """Whether `path` is a URL a cluster can read (gs://, s3://, ...), not a file here."""
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", path)
    return scheme is not None and scheme.group(1).lower() != "file"


def _relative_in_image(local_path: str) -> Optional[str]:
    """`local_path` relative to the repository when the image holds it (under IMAGE_PACKAGES),
    else None."""
    relative = os.path.relpath(os.path.abspath(local_path), REPO_ROOT)
    return relative if relative.split(os.sep)[0] in IMAGE_PACKAGES else None


def path_in_image(local_path: str) -> str:
    """A file of this repository, as the container sees it."""
    relative = _relative_in_image(local_path)
    if relative is None:
        raise ConfigError(_schema_not_in_image(local_path))
    return f"{IMAGE_PACKAGE_ROOT}/{relative}"


def _schema_not_in_image(local_path: str) -> str:
    return (f"schema_path {local_path} is not in the image, which holds only "
            f"{', '.join(p + '/' for p in IMAGE_PACKAGES)} of this repository: copy it to "
            "schemas/NAME/schema.pbtxt, set dataset: NAME instead of schema_path, and rebuild "
            "the image")


def _pipeline_name_problem(name: str) -> Optional[str]:
    """Why Kubeflow's compiler refuses `name` (None when it takes it), with a name it takes."""
    if KUBEFLOW_PIPELINE_NAME.fullmatch(name):
        return None
    suggestion = re.sub(r"[^a-z0-9-]", "-", name.lower()).lstrip("-")[:128] or "my-pipeline"
    return (f"pipeline_name {name!r} is not a Kubeflow pipeline name (lowercase letters, digits "
            f"and '-', starting with a letter or digit, at most 128 characters): set e.g. "
            f"pipeline_name: {suggestion} in the config, or pass --pipeline-name {suggestion}")


def _local_paths_problems(config: PipelineConfig) -> List[str]:
    problems = []
    if not cluster_readable(config.data_root):
        problems.append(f"data_root {config.data_root} is a path on this machine, but a Kubeflow "
                        "run reads it from the cluster: pass --data-root gs://BUCKET/DATA "
                        "(deploy --param data-root=... sets it per run)")
    root = config.kubeflow_pipeline_root
    if root != KUBEFLOW_PIPELINE_ROOT_PLACEHOLDER and not cluster_readable(root):
        problems.append(f"kubeflow_pipeline_root {root} is a path on this machine, but Kubeflow "
                        "tasks write there from the cluster: set it in the config to a gs:// "
                        "folder the cluster can write")
    return problems


def cluster_problems(config: PipelineConfig, allow_local_paths: bool = False) -> List[str]:
    """What keeps the compiled spec from running on a cluster, one phrase each with its fix;
    `allow_local_paths` accepts a data root and pipeline root on this machine (tasks run here,
    as tests/e2e/kfp_launcher.py runs them)."""
    problems = [] if allow_local_paths else _local_paths_problems(config)
    name_problem = _pipeline_name_problem(config.pipeline_name)
    if name_problem:
        problems.append(name_problem)
    if config.kubeflow_pipeline_root == KUBEFLOW_PIPELINE_ROOT_PLACEHOLDER:
        problems.append(f"kubeflow_pipeline_root is the placeholder "
                        f"{KUBEFLOW_PIPELINE_ROOT_PLACEHOLDER}: set it in the config to a gs:// "
                        "folder the cluster can write (the runs' artifacts and the pushed model "
                        "go there)")
    if _relative_in_image(config.resolved_schema_path) is None:
        problems.append(_schema_not_in_image(config.resolved_schema_path))
    if config.model_builder is not None:
        module = config.model_builder.rpartition(".")[0]
        if module.split(".")[0] not in IMAGE_PACKAGES:
            problems.append(f"model_builder {config.model_builder!r}: the image does not hold "
                            f"module {module} (it installs only the packages "
                            f"{', '.join(IMAGE_PACKAGES)}): move the module into one of them, "
                            "e.g. components/, and rebuild the image")
    return problems


def check_compilable(config: PipelineConfig, allow_local_paths: bool = False) -> None:
    """Raises a one-line `ConfigError` when the config cannot compile into a spec a cluster runs
    (see `cluster_problems`)."""
    if config.span_window > 1:
        raise ConfigError(
            f"invalid config: span_window: {config.span_window} needs the local orchestrator's "
            "span resolver; Kubeflow runs train on the newest span (span_window 1): remove it "
            "for compile")
    problems = cluster_problems(config, allow_local_paths)
    if problems:
        raise ConfigError("; ".join(problems))


def compile_pipeline(config: PipelineConfig, image: str, output_path: str,
                     spec_version: str = "2.1", allow_local_paths: bool = False) -> str:
    """Writes the Kubeflow pipeline JSON; returns its path. Refuses first, in one line, a config
    whose spec could not run on a cluster (`check_compilable`).

    Spec 2.1 (the default) is what open-source KFP 2 runs: its tasks read their parameters
    from the executor input's `parameterValues`, the only form KFP 2 backends send. Spec 2.0
    tasks read the legacy `parameters` instead (Vertex AI sends both)."""
    check_compilable(config, allow_local_paths)
    from google.protobuf import json_format
    from tfx.orchestration.data_types import RuntimeParameter as runtime
    from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner

    from pipeline.assembly import pipeline_arguments, trainer_custom_config
    from pipeline.dag import create_pipeline

    arguments = pipeline_arguments(config)
    values = {
        DATA_ROOT_PARAMETER: config.data_root,
        TRAIN_ARGS_PARAMETER: train_args_json(config.train_steps),
        TRAINER_CONFIG: json.dumps(trainer_custom_config(config)),
        EVAL_CONFIG: json_format.MessageToJson(arguments["eval_config"], indent=None),
    }
    pipeline = create_pipeline(**{
        **arguments,
        "orchestrator": "kubeflow",
        "pipeline_root": config.kubeflow_pipeline_root,
        "data_root": runtime(name=DATA_ROOT_PARAMETER, ptype=str),
        "train_steps": runtime(name=TRAIN_ARGS_PARAMETER, ptype=str),
        "trainer_config": runtime(name=TRAINER_CONFIG, ptype=str),
        "eval_config": runtime(name=EVAL_CONFIG, ptype=str),
        "schema_path": path_in_image(config.resolved_schema_path),
        "serving_dir": f"{config.kubeflow_pipeline_root.rstrip('/')}/serving_model",
        "beam_pipeline_args": config.kubeflow_beam_args,
    })
    output_dir, filename = os.path.split(os.path.abspath(output_path))
    os.makedirs(output_dir, exist_ok=True)
    kubeflow_v2_dag_runner.KubeflowV2DagRunner(
        config=kubeflow_v2_dag_runner.KubeflowV2DagRunnerConfig(
            default_image=image, use_pipeline_spec_2_1=spec_version == "2.1"),
        output_dir=output_dir, output_filename=filename).run(pipeline, parameter_values=values)
    return output_path
