"""`create_pipeline`: the TFX DAG, the same for every runner (local, Kubeflow).

ingest (CSV + images) -> ImportSchemaGen (curated schema) -> StatisticsGen -> ExampleValidator
-> DataGate (fails the run on any anomaly or drift from the previous span; passes the schema on)
-> Transform -> Trainer (optionally warm-started) -> Evaluator (vs. the model blessed when the
candidate was trained) -> Pusher.

Transform and Trainer get their code as dotted paths of this installed package; since TFX's cache
key does not hash the code behind a dotted path, each component carries a fingerprint of the
source it runs in its custom_config.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional

import tensorflow_model_analysis as tfma
from tfx import v1 as tfx

from components import baseline_resolver as baseline_resolver_lib
from components.data_gate.component import DataGate
from components.data_gate.previous_span import PreviousSpanStatisticsStrategy
from components.ingest.component import CsvImageExampleGen, example_gen_configs
from components.ingest.rows import IngestSettings
from components.ingest.span_window import LatestSpansStrategy
from components.trainer.model import PREDICTION_KEY
from components.trainer.run import TrainerSettings
from components.transform.preprocessing import TransformSettings
from pipeline import RMSE_METRIC
from pipeline.fingerprint import code_fingerprint
from pipeline.kubeflow_runner import EVAL_CONFIG, TRAINER_CONFIG
from schemas import FeatureSet

PREPROCESSING_FN = "components.transform.preprocessing.preprocessing_fn"
RUN_FN = "components.trainer.run.run_fn"

# The code each component runs, fingerprinted into its properties (see module docstring).
INGEST_CODE = ("components.ingest", "schemas")
TRANSFORM_CODE = ("components.transform", "schemas")
TRAINER_CODE = ("components.trainer", "components.transform", "schemas")


def eval_config(features: FeatureSet, max_rmse: float) -> tfma.EvalConfig:
    """RMSE on the eval split: absolute bound, and no worse than the blessed baseline."""
    return tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(signature_name="serving_default", model_type="tf_generic",
                                    label_key=features.label.name,
                                    prediction_key=PREDICTION_KEY)],
        slicing_specs=[tfma.SlicingSpec()],
        metrics_specs=[tfma.MetricsSpec(metrics=[
            tfma.MetricConfig(class_name="ExampleCount"),
            tfma.MetricConfig(
                class_name="RootMeanSquaredError", config='{"name": "%s"}' % RMSE_METRIC,
                threshold=tfma.MetricThreshold(
                    value_threshold=tfma.GenericValueThreshold(upper_bound={"value": max_rmse}),
                    change_threshold=tfma.GenericChangeThreshold(
                        direction=tfma.MetricDirection.LOWER_IS_BETTER,
                        absolute={"value": 1e-10}))),
        ])])


ORCHESTRATORS = ("local", "kubeflow")


def _blessed_model_before(reference, node_id: str, orchestrator: str) -> tfx.dsl.Resolver:
    """The newest blessed model older than `reference` (see components/baseline_resolver.py).

    Kubeflow's v2 compiler accepts only TFX's own resolver strategies: there it is the latest
    blessed model.
    """
    models = dict(model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
                  model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing))
    if orchestrator == "kubeflow":
        return tfx.dsl.Resolver(strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
                                **models).with_id(node_id)
    return tfx.dsl.Resolver(strategy_class=baseline_resolver_lib.BlessedBeforeStrategy,
                            reference=reference, **models).with_id(node_id)


def trainer_custom_config(trainer: TrainerSettings) -> dict:
    """The Trainer's custom_config: its settings plus the fingerprint of the code it runs."""
    code = TRAINER_CODE + ((trainer.model_builder.rpartition(".")[0],)
                           if trainer.model_builder else ())
    return dataclasses.replace(trainer, code_fingerprint=code_fingerprint(code)).to_dict()


def _train_args(train_steps):
    """TrainArgs, or the RuntimeParameter holding them as JSON (Kubeflow runtime parameter)."""
    if isinstance(train_steps, tfx.dsl.experimental.RuntimeParameter):
        return train_steps
    return tfx.proto.TrainArgs(num_steps=train_steps)


def create_pipeline(
    *,
    pipeline_name: str,
    pipeline_root: str,
    data_root: str,
    schema_path: str,
    serving_dir: str,
    ingest: IngestSettings,
    input_pattern: str,
    input_splits: Optional[Dict[str, str]],
    split_key: Optional[str],
    train_buckets: int,
    eval_buckets: int,
    transform: TransformSettings,
    trainer: TrainerSettings,
    train_steps: int,
    eval_steps: int,
    warm_start: bool,
    span_window: int,
    max_eval_rmse: float,
    beam_pipeline_args: List[str],
    metadata_connection_config: Optional[object] = None,
    enable_cache: bool = True,
    orchestrator: str = "local",
    component_beam_args: Optional[Dict[str, List[str]]] = None,
    runtime_parameters: Optional[Dict[str, object]] = None,
) -> tfx.dsl.Pipeline:
    """Builds the pipeline; every argument is explicit so runners only compute paths.

    `data_root` and `train_steps` may be `RuntimeParameter`s (Kubeflow), and
    `runtime_parameters` may replace the Trainer's custom config (TRAINER_CONFIG) and the eval
    config (EVAL_CONFIG) with `RuntimeParameter`s holding their JSON. With `orchestrator`
    "kubeflow", resolvers are TFX's own (its compiler knows no others): no drift check against
    the previous span, and a span window of 1. `component_beam_args` adds Beam arguments per
    component id (e.g. to run Transform on Dataflow).
    """
    if orchestrator not in ORCHESTRATORS:
        raise ValueError(f"orchestrator must be one of {ORCHESTRATORS}, got {orchestrator!r}")
    runtime_parameters = runtime_parameters or {}
    if orchestrator == "kubeflow" and span_window > 1:
        raise ValueError("span_window > 1 needs the local orchestrator's span resolver")
    features = ingest.features
    input_config, output_config = example_gen_configs(
        input_pattern, input_splits, train_buckets, eval_buckets, split_key)
    example_gen = CsvImageExampleGen(
        input_base=data_root,
        settings=dataclasses.replace(ingest, code_fingerprint=code_fingerprint(INGEST_CODE)),
        input_config=input_config, output_config=output_config)

    schema_gen = tfx.components.ImportSchemaGen(schema_file=schema_path)
    # With the schema, TFDV computes byte sizes (not string stats) for image features.
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"],
                                                  schema=schema_gen.outputs["schema"])
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])
    nodes = [example_gen, schema_gen, statistics_gen, example_validator]
    previous_statistics = None
    if orchestrator == "local":
        previous_span = tfx.dsl.Resolver(
            strategy_class=PreviousSpanStatisticsStrategy,
            examples=example_gen.outputs["examples"],
            statistics=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ExampleStatistics),
        ).with_id("previous_span_statistics_resolver")
        nodes.append(previous_span)
        previous_statistics = previous_span.outputs["statistics"]
    data_gate = DataGate(schema=schema_gen.outputs["schema"],
                         anomalies=example_validator.outputs["anomalies"],
                         statistics=statistics_gen.outputs["statistics"],
                         previous_statistics=previous_statistics)
    validated_schema = data_gate.outputs["validated_schema"]
    nodes.append(data_gate)
    training_examples = example_gen.outputs["examples"]
    if span_window > 1:
        window = tfx.dsl.Resolver(
            strategy_class=LatestSpansStrategy, config={"window": span_window},
            current=example_gen.outputs["examples"],
            examples=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Examples),
        ).with_id("span_window_resolver")
        nodes.append(window)
        training_examples = window.outputs["examples"]
    transform_component = tfx.components.Transform(
        examples=training_examples,
        schema=validated_schema,
        preprocessing_fn=PREPROCESSING_FN,
        custom_config=dataclasses.replace(
            transform, code_fingerprint=code_fingerprint(TRANSFORM_CODE)).to_dict())

    nodes.append(transform_component)
    base_model = None
    if warm_start:
        warm_start_resolver = _blessed_model_before(example_gen.outputs["examples"],
                                                    "warm_start_model_resolver", orchestrator)
        nodes.append(warm_start_resolver)
        base_model = warm_start_resolver.outputs["model"]
    trainer_component = tfx.components.Trainer(
        run_fn=RUN_FN,
        examples=transform_component.outputs["transformed_examples"],
        transform_graph=transform_component.outputs["transform_graph"],
        schema=validated_schema,
        base_model=base_model,
        train_args=_train_args(train_steps),
        eval_args=tfx.proto.EvalArgs(num_steps=eval_steps),
        custom_config=runtime_parameters.get(TRAINER_CONFIG, trainer_custom_config(trainer)))

    baseline_resolver = _blessed_model_before(trainer_component.outputs["model"],
                                              "baseline_model_resolver", orchestrator)
    evaluator = tfx.components.Evaluator(
        examples=example_gen.outputs["examples"],
        model=trainer_component.outputs["model"],
        baseline_model=baseline_resolver.outputs["model"],
        eval_config=runtime_parameters.get(EVAL_CONFIG, eval_config(features, max_eval_rmse)))
    pusher = tfx.components.Pusher(
        model=trainer_component.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=serving_dir)))

    nodes += [trainer_component, baseline_resolver, evaluator, pusher]
    for node in nodes:
        extra = (component_beam_args or {}).get(node.id)
        if extra:
            node.with_beam_pipeline_args(extra)
    return tfx.dsl.Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        components=nodes,
        enable_cache=enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=beam_pipeline_args)
