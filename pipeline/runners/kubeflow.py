"""Compiles the pipeline for Kubeflow Pipelines (KubeflowV2DagRunner) from the same
`create_pipeline` the local runner uses.

Runtime parameters a Kubeflow run can set: `data-root`, `train-args` (TrainArgs JSON, e.g.
`{"num_steps": 3000}`), `trainer-config` (the Trainer's settings as JSON, e.g. its
`learning_rate`) and `eval-config` (TFMA EvalConfig JSON, holding the blessing bounds). Their
values from the config are the defaults; `deploy` can patch them per run. The code runs from the
container image (dotted paths of the installed package); the schema is read from the package's
location inside the image.
"""

from __future__ import annotations

import json
import os

import schemas
from pipeline.config import ConfigError, PipelineConfig

IMAGE_PACKAGE_ROOT = "/tfx-multimodal"  # where the Dockerfile puts this repository
REPO_ROOT = os.path.dirname(schemas.SCHEMAS_DIR)
# runtime parameter names
DATA_ROOT_PARAMETER = "data-root"
TRAIN_ARGS_PARAMETER = "train-args"
TRAINER_CONFIG = "trainer-config"
EVAL_CONFIG = "eval-config"


def train_args_json(train_steps: int) -> str:
    """The `train-args` runtime parameter's value: TrainArgs as JSON."""
    return json.dumps({"num_steps": train_steps})


def path_in_image(local_path: str) -> str:
    """A file of this repository, as the container sees it."""
    relative = os.path.relpath(os.path.abspath(local_path), REPO_ROOT)
    if relative.startswith(".."):
        raise ConfigError(f"{local_path} is outside the repository, so not in the image; "
                          "put the schema under schemas/ or give a gs:// path")
    return f"{IMAGE_PACKAGE_ROOT}/{relative}"


def compile_pipeline(config: PipelineConfig, image: str, output_path: str,
                     spec_version: str = "2.1") -> str:
    """Writes the Kubeflow pipeline JSON; returns its path.

    Spec 2.1 (the default) is what open-source KFP 2 runs: its tasks read their parameters
    from the executor input's `parameterValues`, the only form KFP 2 backends send. Spec 2.0
    tasks read the legacy `parameters` instead (Vertex AI sends both)."""
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
