"""`deploy`: upload a compiled pipeline to Kubeflow Pipelines and start a run, or a recurring run.

Goes through the KFP SDK client (`kfp.Client`). The TFX compiler writes a PipelineJob JSON
(spec + runtime config); KFP uploads take the PipelineSpec alone, so it is extracted to YAML,
and the runtime config becomes the run's parameters and pipeline root. KFP cron expressions
have six fields, seconds first: the familiar five-field form is accepted and converted.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import tempfile
from typing import Dict, Optional

from pipeline.config import ConfigError
from pipeline.evaluation import THRESHOLD_SETTINGS, inapplicable_bounds
from pipeline.runners.kubeflow import (EVAL_CONFIG, TRAIN_ARGS_PARAMETER, TRAINER_CONFIG,
                                      train_args_json)


class DeployError(RuntimeError):
    """Kubeflow could not be reached or refused a request; the message says which."""


@dataclasses.dataclass(frozen=True)
class Deployment:
    """What `deploy` created."""

    pipeline_id: str
    version_id: str
    run_id: Optional[str] = None
    recurring_run_id: Optional[str] = None


def kfp_cron(expression: str) -> str:
    """A KFP (six-field, seconds first) cron expression from five or six fields."""
    from croniter import croniter

    fields = expression.split()
    if len(fields) == 5:
        fields = ["0"] + fields
    if len(fields) != 6 or not croniter.is_valid(" ".join(fields[1:])) or not (
            fields[0].isdigit() and int(fields[0]) < 60):
        raise ValueError(
            f"invalid cron expression {expression!r}: KFP takes six fields, seconds first "
            "('0 0 3 * * *' is 03:00 daily); five fields 'minute hour day month weekday' are "
            "converted by adding second 0")
    return " ".join(fields)


def _spec_and_runtime(compiled_path: str):
    with open(compiled_path, encoding="utf-8") as handle:
        job = json.load(handle)
    if "pipelineSpec" not in job:
        raise DeployError(f"{compiled_path} is not a compiled pipeline (no pipelineSpec); run "
                          "`pipeline_runner.py compile --target kubeflow` first")
    runtime = job.get("runtimeConfig", {})
    # spec 2.1 keeps plain values in parameterValues; 2.0 typed ones ({"stringValue": ...})
    parameters = dict(runtime.get("parameterValues", {}))
    parameters.update({name: next(iter(value.values()))
                       for name, value in runtime.get("parameters", {}).items()})
    return job["pipelineSpec"], parameters, runtime.get("gcsOutputDirectory")


def _metric_name(metric: Dict) -> str:
    """A metric's name in TFMA EvalConfig JSON: its config's `name`, else its class name."""
    return json.loads(metric.get("config") or "{}").get("name") or metric.get("className", "")


def patch_thresholds(eval_config_json: str, **thresholds: Optional[float]) -> str:
    """The EvalConfig JSON with blessing bounds replaced, by setting name (`max_eval_rmse`,
    `min_eval_accuracy`, `min_eval_auc`; None: unchanged). A bound on a metric the compiled
    config lacks (e.g. AUC of a multiclass task) is a ConfigError naming the metrics it has."""
    eval_config = json.loads(eval_config_json)
    metrics = {_metric_name(metric): metric for spec in eval_config.get("metricsSpecs", [])
               for metric in spec.get("metrics", [])}
    given = {setting: value for setting, value in thresholds.items() if value is not None}
    unused = inapplicable_bounds(given, metrics)
    if unused:
        raise ConfigError(f"--{unused[0].replace('_', '-')}: the compiled eval config has no "
                          f"{THRESHOLD_SETTINGS[unused[0]][0]!r} metric (it has "
                          f"{sorted(metrics)}); this bound is for another task")
    for setting, value in given.items():
        name, bound = THRESHOLD_SETTINGS[setting]
        value_threshold = metrics[name].setdefault("threshold", {}).setdefault(
            "valueThreshold", {})
        value_threshold[f"{bound}Bound"] = value
    return json.dumps(eval_config)


def patch_parameters(values: Dict[str, str], train_steps: Optional[int] = None,
                     learning_rate: Optional[float] = None,
                     **thresholds: Optional[float]) -> Dict[str, str]:
    """The compiled runtime parameters with the usual per-run knobs changed in their JSON:
    steps, learning rate and the blessing bounds (`patch_thresholds`)."""
    patched = dict(values)
    if train_steps is not None:
        patched[TRAIN_ARGS_PARAMETER] = train_args_json(train_steps)
    if learning_rate is not None:
        trainer = json.loads(patched[TRAINER_CONFIG])
        trainer["learning_rate"] = learning_rate
        patched[TRAINER_CONFIG] = json.dumps(trainer)
    if any(value is not None for value in thresholds.values()):
        patched[EVAL_CONFIG] = patch_thresholds(patched[EVAL_CONFIG], **thresholds)
    return patched


def _check_reachable(host: str, timeout: float = 10.0) -> None:
    """Fails fast when the KFP API does not answer (the SDK would retry for a minute)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{host.rstrip('/')}/apis/v2beta1/healthz", timeout=timeout):
            pass
    except urllib.error.HTTPError as err:
        raise DeployError(f"Kubeflow at {host} answered HTTP {err.code} to its health check: "
                          "is this the KFP API endpoint?") from None
    except (urllib.error.URLError, OSError) as err:
        raise DeployError(f"cannot reach Kubeflow at {host}: "
                          f"{getattr(err, 'reason', err)}") from None


def _find_pipeline(client, name: str, namespace: Optional[str]) -> Optional[str]:
    """The id of the pipeline called `name` in `namespace` (shared pipelines: None)."""
    name_filter = json.dumps({"predicates": [
        {"operation": "EQUALS", "key": "display_name", "stringValue": name}]})
    found = client.list_pipelines(filter=name_filter, namespace=namespace).pipelines or []
    return found[0].pipeline_id if found else None


def deploy(compiled_path: str, host: str, experiment: str = "tfx-multimodal",
           parameters: Optional[Dict[str, str]] = None, schedule: Optional[str] = None,
           namespace: Optional[str] = None, **knobs) -> Deployment:
    """Uploads the pipeline (a new version each time) and starts a run or a recurring run.

    `namespace` is the user's namespace of a multi-user Kubeflow: the pipeline and the
    experiment are created there. `parameters` replace runtime parameters; `knobs` (train_steps,
    learning_rate and the blessing bounds max_eval_rmse, min_eval_accuracy, min_eval_auc) patch
    them (see `patch_parameters`; a bound the compiled config has no metric for is a
    ConfigError, raised before Kubeflow is contacted)."""
    import kfp
    import urllib3
    import yaml
    from kfp_server_api.exceptions import ApiException

    spec, values, pipeline_root = _spec_and_runtime(compiled_path)
    values = patch_parameters({**values, **(parameters or {})}, **knobs)
    _check_reachable(host)
    cron = kfp_cron(schedule) if schedule else None
    name = spec["pipelineInfo"]["name"]
    with tempfile.TemporaryDirectory() as workdir:
        package = os.path.join(workdir, "pipeline.yaml")
        with open(package, "w", encoding="utf-8") as handle:
            yaml.safe_dump(spec, handle, sort_keys=False)
        try:
            client = kfp.Client(host=host, **({"namespace": namespace} if namespace else {}))
            pipeline_id = _find_pipeline(client, name, namespace)
            if pipeline_id is None:
                pipeline = client.upload_pipeline(package, pipeline_name=name,
                                                  namespace=namespace)
                pipeline_id = pipeline.pipeline_id
            # version names are unique within a pipeline: the upload time, to the microsecond
            now = datetime.datetime.now(datetime.timezone.utc)
            version = client.upload_pipeline_version(
                package, pipeline_version_name=f"{name}-{now:%Y%m%d-%H%M%S-%f}",
                pipeline_id=pipeline_id)
            experiment_id = client.create_experiment(experiment,
                                                     namespace=namespace).experiment_id
            if cron:
                recurring = client.create_recurring_run(
                    experiment_id, job_name=f"{name} ({cron})", cron_expression=cron,
                    params=values, pipeline_id=pipeline_id,
                    version_id=version.pipeline_version_id, enabled=True)
                return Deployment(pipeline_id, version.pipeline_version_id,
                                  recurring_run_id=recurring.recurring_run_id)
            run = client.run_pipeline(experiment_id, job_name=name, params=values,
                                      pipeline_root=pipeline_root, pipeline_id=pipeline_id,
                                      version_id=version.pipeline_version_id)
            return Deployment(pipeline_id, version.pipeline_version_id, run_id=run.run_id)
        except ApiException as err:
            raise DeployError(f"Kubeflow at {host} refused the request: HTTP {err.status} "
                              f"{err.reason}: {(err.body or '').strip()[:300]}") from None
        except (urllib3.exceptions.HTTPError, OSError) as err:
            raise DeployError(f"cannot reach Kubeflow at {host}: {err}") from None
