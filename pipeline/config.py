"""Pipeline configuration: one validated object, read from an optional YAML file plus overrides.

Everything a run varies lives here (data root, output directory, dataset schema, training and
evaluation settings, Beam settings). Validation uses pydantic and happens before any TFX or Beam
import, so a bad value is one readable line (`ConfigError`) and an instant non-zero exit.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Tuple

import pydantic
from pydantic import BaseModel, ConfigDict, Field

import schemas
from pipeline import config_yaml
from pipeline.evaluation import BOUNDED_METRICS, applicable_bounds, inapplicable_bounds


LOCAL_ENVIRONMENT = "local-environment"
DEFAULT_INPUT_PATTERNS = {"csv": "*.csv", "class_folders": "*/*"}
KUBEFLOW_PIPELINE_ROOT_PLACEHOLDER = "gs://YOUR-BUCKET/tfx-multimodal"  # compile refuses it
PARALLEL_MIN_MB = 100.0  # measured crossover (benchmarks/RESULTS.md), see direct_runner_settings


class ConfigError(ValueError):
    """A configuration problem, phrased as one line that says what to fix."""


class PipelineConfig(BaseModel):
    """Settings of one pipeline; paths are resolved relative to the working directory."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pipeline_name: str = Field("tfx-multimodal-demo", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    dataset: str = Field("digits", description="a dataset folder under schemas/")
    schema_path: Optional[str] = Field(None, description="overrides `dataset` with a schema file")
    data_root: str = "demo_data"
    layout: Literal["csv", "class_folders"] = Field(
        "csv", description="csv: CSV rows with image paths; class_folders: <class>/<image> files")
    input_pattern: str = Field(
        None, description="glob under data_root; may hold {SPAN} and {VERSION}; default by "
        "layout: *.csv, or */* for class_folders (of which PNG/JPEG files are read)")
    input_splits: Optional[Dict[str, str]] = Field(
        None, description="pre-split inputs: split name -> pattern (needs train and eval)")
    split_key: Optional[str] = Field(
        None, description="hash-split on this feature so rows sharing it stay together")
    output_dir: str = "outputs/demo"

    train_buckets: int = Field(4, ge=1, description="hash buckets of the train split")
    eval_buckets: int = Field(1, ge=1, description="hash buckets of the eval split")
    max_quarantine_fraction: float = Field(0.01, ge=0.0, le=1.0)
    max_image_pixels: int = Field(16_000_000, gt=0)
    max_csv_line_bytes: int = Field(1 << 20, gt=0, description="longer CSV lines are quarantined")

    image_height: int = Field(32, gt=0, le=1024)
    image_width: int = Field(32, gt=0, le=1024)
    image_channels: Literal[1, 3] = 1
    resize_mode: Literal["stretch", "pad"] = "stretch"

    train_steps: int = Field(1500, gt=0)
    eval_steps: int = Field(20, gt=0)
    batch_size: int = Field(32, gt=0)
    learning_rate: float = Field(3e-3, gt=0.0)
    seed: int = 0
    clip_norm: Optional[float] = Field(None, gt=0.0, description="clip gradients' global norm")
    early_stopping_patience: int = Field(
        0, ge=0, description="eval rounds without a better eval loss before stopping; 0: off")
    checkpoint_every: int = Field(100, ge=0, description="steps between checkpoints; 0: none")
    steps_per_execution: int = Field(
        50, gt=0, description="train steps per graph call (calls end on eval/checkpoint steps)")
    reader_cache_mb: float = Field(
        64.0, ge=0, description="splits up to this gzipped size are parsed once and kept in "
        "memory; larger ones are staged uncompressed on local disk and streamed each epoch")
    distribution: Literal["auto", "default", "mirrored", "multi_worker"] = "auto"
    model_builder: Optional[str] = Field(
        None, description="dotted path of a function (named inputs, task head -> output tensor)")
    class_weights: Literal["none", "balanced"] = Field(
        "none", description="classifiers: balanced weighs each class's loss by n / (K * count)")
    warm_start: bool = Field(False, description="start from the model serving when data arrived")
    span_window: int = Field(1, ge=1, description="train on the newest K spans ({SPAN} inputs)")

    max_eval_rmse: float = Field(
        1.0, gt=0.0, description="regression: the Evaluator blesses at or below this RMSE")
    min_eval_accuracy: float = Field(
        0.0, ge=0.0, le=1.0, description="classifiers: blessed at or above this accuracy")
    min_eval_auc: float = Field(
        0.0, ge=0.0, le=1.0, description="binary classifiers: blessed at or above this AUC")
    beat_trivial_predictor: bool = Field(
        True, description="blessed only when at least as good as always predicting the eval "
        "split's label mean (regression: R squared >= 0) or largest class (classifiers)")
    min_free_disk_mb: int = Field(200, ge=0, description="refuse to start with less free space")
    beam_direct_running_mode: Literal["auto", "in_memory", "multi_processing"] = Field(
        "auto", description="auto: chosen by the input's size (see direct_runner_settings)")
    beam_direct_num_workers: int = Field(
        0, ge=0, description="workers of an explicit running mode; 0: one per core")
    beam_parallel_min_mb: float = Field(
        PARALLEL_MIN_MB, ge=0, description="auto: from this input size, one worker per core")
    beam_multi_processing_min_mb: Optional[float] = Field(
        None, ge=0, description="auto: from this input size, multi_processing; unset: never "
        "(it did not pay on 2 cores, see benchmarks/RESULTS.md)")
    component_beam_args: Dict[str, List[str]] = Field(
        default_factory=dict, description="extra Beam arguments per component id")
    kubeflow_pipeline_root: str = Field(
        KUBEFLOW_PIPELINE_ROOT_PLACEHOLDER,
        description="pipeline root of compiled Kubeflow runs: a folder the cluster writes")
    kubeflow_beam_args: List[str] = Field(
        # LOCAL_ENVIRONMENT: DirectRunner's workers run in the task's container, which holds this
        # environment, so TFX builds no sdist of itself before each Beam job (see
        # beam_pipeline_args); a user's own list replaces this one whole.
        default_factory=lambda: ["--direct_running_mode=multi_processing",
                                 "--direct_num_workers=0",
                                 f"--sdk_container_image={LOCAL_ENVIRONMENT}"],
        description="Beam arguments of every data component in compiled Kubeflow runs")

    @pydantic.model_validator(mode="before")
    @classmethod
    def _default_input_pattern(cls, values: Any) -> Any:
        if isinstance(values, dict) and values.get("input_pattern") is None:
            values = dict(values, input_pattern=DEFAULT_INPUT_PATTERNS.get(
                values.get("layout", "csv"), DEFAULT_INPUT_PATTERNS["csv"]))
        return values

    @pydantic.model_validator(mode="after")
    def _schema_exists(self) -> "PipelineConfig":
        if self.schema_path is None:
            try:
                schemas.dataset_schema_path(self.dataset)
            except schemas.SchemaError as err:
                raise ValueError(f"dataset: {err}") from None
        elif not os.path.isfile(self.schema_path):
            raise ValueError(f"schema_path {self.schema_path!r} is not a file")
        return self

    @pydantic.model_validator(mode="after")
    def _ingestion_fits_schema(self) -> "PipelineConfig":
        features = self.features()
        if self.input_splits is not None and not {"train", "eval"} <= set(self.input_splits):
            raise ValueError("input_splits: needs a 'train' and an 'eval' pattern, got "
                             f"{sorted(self.input_splits)}")
        if self.split_key is not None:
            if self.input_splits is not None:
                raise ValueError("split_key: pre-split inputs (input_splits) are not re-split")
            if self.split_key not in features.names:
                raise ValueError(f"split_key: {self.split_key!r} is not a feature of the schema "
                                 f"({', '.join(features.names)})")
            if features.get(self.split_key).dtype is schemas.DType.FLOAT:
                raise ValueError(f"split_key: {self.split_key!r} is FLOAT; split on an INT or "
                                 "BYTES feature")
        if self.layout == "class_folders":
            roles = sorted(f.role.value for f in features.features
                           if f.role is not schemas.Role.KEY)
            if roles != ["image", "label"] or features.label.dtype is not schemas.DType.BYTES:
                raise ValueError("layout class_folders: the schema must hold one image feature "
                                 "and a BYTES label (the folder name), nothing else")
        return self

    @pydantic.field_validator("model_builder")
    @classmethod
    def _builder_is_dotted_path(cls, value: Optional[str]) -> Optional[str]:
        """Its module is imported only by the commands that train (`check_model_builder`)."""
        if value is None:
            return value
        module_name, _, attribute = value.rpartition(".")
        if not module_name or not attribute:
            raise ValueError(f"{value!r} is not a dotted path like 'my_models.build'")
        return value

    @property
    def resolved_schema_path(self) -> str:
        return os.path.abspath(self.schema_path or schemas.dataset_schema_path(self.dataset))

    @property
    def pipeline_root(self) -> str:
        return os.path.abspath(os.path.join(self.output_dir, "pipeline_root"))

    @property
    def metadata_path(self) -> str:
        return os.path.abspath(os.path.join(self.output_dir, "metadata.sqlite"))

    @property
    def serving_dir(self) -> str:
        return os.path.abspath(os.path.join(self.output_dir, "serving_model"))

    def features(self) -> schemas.FeatureSet:
        return schemas.load_feature_set(self.resolved_schema_path)

    def direct_runner_settings(self, input_mb: Optional[float] = None) -> Tuple[str, int]:
        """(running mode, workers) of the local DirectRunner for an input of `input_mb` MB.

        `auto` runs small inputs in process with one worker: splitting work across workers costs
        more than it saves there. From `beam_parallel_min_mb` on it runs one in-process worker
        per core (threads: image decoding, compression and TensorFlow release the GIL), and from
        `beam_multi_processing_min_mb`, when set, one worker process per core. The defaults come
        from `benchmarks/runner_modes.py` on this project's 2-core machine.
        """
        if self.beam_direct_running_mode != "auto":
            return self.beam_direct_running_mode, self.beam_direct_num_workers
        size = input_mb or 0.0
        if self.beam_multi_processing_min_mb is not None and (
                size >= self.beam_multi_processing_min_mb):
            return "multi_processing", 0
        return "in_memory", 0 if size >= self.beam_parallel_min_mb else 1

    def beam_pipeline_args(self, input_mb: Optional[float] = None) -> List[str]:
        """Beam arguments of the local DirectRunner (see `direct_runner_settings`).

        `--sdk_container_image` tells TFX that the workers already hold this environment, so it
        does not build an sdist of itself before every Beam job (about 1.5 s per component);
        DirectRunner never starts a container. `--pickle_library=cloudpickle`: Beam pickles every
        function of a job when it builds it and unpickles them per stage; the demo's four Beam
        jobs made 3,230 and 4,291 such calls, 6.1-7.5 s with Beam 2.59's default (dill) against
        3.3-4.7 s (benchmarks/RESULTS.md). Worker processes read the same option.
        """
        mode, workers = self.direct_runner_settings(input_mb)
        return [
            f"--direct_running_mode={mode}",
            f"--direct_num_workers={workers}",
            f"--sdk_container_image={LOCAL_ENVIRONMENT}",
            "--pickle_library=cloudpickle",
        ]


def _describe(error: pydantic.ValidationError) -> str:
    parts = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        if not item["loc"]:  # a whole-config check: its message names the setting
            parts.append(message)
            continue
        where = ".".join(str(p) for p in item["loc"])
        shown = "" if item["type"] == "extra_forbidden" else f" (got {item['input']!r})"
        parts.append(f"{where}: {message}{shown}")
    return "; ".join(parts)


def working_directory_hint(config_path: Optional[str], value: Any) -> str:
    """For a relative path that names nothing under the working directory but something beside
    the config file: where relative paths are read from, and what to do."""
    if not config_path or not isinstance(value, str) or os.path.isabs(value) or os.path.exists(
            value):
        return ""
    folder = os.path.dirname(os.path.abspath(config_path))
    if not os.path.exists(os.path.join(folder, value)):
        return ""
    return (f"; relative paths are read from the working directory ({os.getcwd()}), not the "
            f"config's folder ({folder}): run from there, or write the path absolute")


def check_model_builder(config: PipelineConfig, config_path: Optional[str]) -> None:
    """For the commands that build a model (`run`, `schedule`, `compile`): the module of
    `model_builder` must be importable. Python looks for it on PYTHONPATH and among installed
    packages, not in the working directory nor beside the config, which the error says (with
    the folder to add when the module's file is in one of them)."""
    if config.model_builder is None:
        return
    module_name = config.model_builder.rpartition(".")[0]
    try:
        found = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):
        found = None
    if found is not None:
        return
    top = module_name.split(".")[0]
    source = f"{top}/" if "." in module_name else f"{top}.py"  # a package, or a module file
    folders = [os.getcwd()] + ([os.path.dirname(os.path.abspath(config_path))]
                               if config_path else [])
    holder = next((folder for folder in folders if os.path.exists(os.path.join(folder, source))),
                  None)
    raise ConfigError(
        f"invalid config: model_builder: module {module_name!r} cannot be imported (got "
        f"{config.model_builder!r}); Python looks for it on PYTHONPATH and among installed "
        f"packages, not in the working directory or the config's folder: add the folder that "
        f"holds {source} to PYTHONPATH"
        + (f" (PYTHONPATH={holder})" if holder else "") + ", or install it")


def load_config(path: Optional[str] = None,
                overrides: Optional[Mapping[str, Any]] = None,
                defaults: Optional[Mapping[str, Any]] = None) -> PipelineConfig:
    """Builds the config from `defaults`, then an optional YAML file, then `overrides` (None
    values are ignored)."""
    values: Dict[str, Any] = dict(defaults or {})
    if path is not None:
        import yaml

        try:
            with open(path, encoding="utf-8") as handle:
                loaded = config_yaml.safe_load_unique_keys(handle) or {}
        except OSError as err:
            raise ConfigError(f"cannot read config file {path}: {err.strerror}") from err
        except yaml.YAMLError as err:
            raise ConfigError(f"config file {path} is not valid YAML: {err}") from err
        except config_yaml.DuplicateKey as err:
            raise ConfigError(f"config file {path}: {err}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {path} must hold a mapping of settings")
        values.update(loaded)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    values.update(given)
    try:
        config = PipelineConfig(**values)
    except pydantic.ValidationError as err:
        raise ConfigError(f"invalid config: {_describe(err)}"
                          f"{working_directory_hint(path, values.get('schema_path'))}") from None
    check_bounds_fit_task(config, set(loaded if path is not None else ()) | set(given))
    return config


def check_bounds_fit_task(config: PipelineConfig, written: Iterable[str]) -> None:
    """Refuses blessing bounds, among the settings the user wrote (`written`: defaults do not
    count), that the schema's task does not use: its Evaluator would ignore them
    (`pipeline/evaluation.py`, the rule `deploy` applies to its bound flags)."""
    task = config.features().task
    unused = inapplicable_bounds(written, BOUNDED_METRICS[task])
    if unused:
        applicable = applicable_bounds(BOUNDED_METRICS[task])
        raise ConfigError(
            f"invalid config: {', '.join(unused)}: the schema's task is {task.value}, whose "
            f"blessing bound{'s are' if len(applicable) > 1 else ' is'} "
            f"{' and '.join(applicable)}; remove {'it' if len(unused) == 1 else 'them'}")
