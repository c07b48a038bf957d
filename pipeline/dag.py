"""`create_pipeline`: the TFX DAG, the same for every runner (local, Kubeflow).

ingest (CSV + images) -> ImportSchemaGen (curated schema) -> StatisticsGen -> ExampleValidator
-> DataGate (fails the run on any anomaly or drift from the previous span; passes the schema on)
-> Transform -> Trainer (optionally warm-started) -> Evaluator (vs. the model blessed when the
candidate was trained) -> Pusher.

Transform and Trainer get their code as dotted paths of this installed package; since TFX's cache
key does not hash the code behind a dotted path, each component carries a fingerprint of the
source it runs in its settings (added by `pipeline/assembly.py`).
"""

from __future__ import annotations

from typing import Dict, List, Optional, Union

# TFX's own modules, not `tfx.v1`: its `extensions` import the Google Cloud AI Platform clients
# (6-8 s), which a cached run would pay for nothing.
from tfx.components.evaluator.component import Evaluator
from tfx.components.example_validator.component import ExampleValidator
from tfx.components.pusher.component import Pusher
from tfx.components.statistics_gen.component import StatisticsGen
from tfx.components.trainer.component import Trainer
from tfx.components.transform.component import Transform
from tfx.dsl.components.common.resolver import Resolver
from tfx.dsl.input_resolution.strategies.latest_blessed_model_strategy import (
    LatestBlessedModelStrategy)
from tfx.orchestration.data_types import RuntimeParameter
from tfx.orchestration.pipeline import Pipeline
from tfx.proto import pusher_pb2, trainer_pb2
from tfx.types import standard_artifacts
from tfx.types.channel import Channel

from components.data_gate.component import DataGate
from components.ingest.component import CsvImageExampleGen, example_gen_configs
from components.ingest.rows import IngestSettings
from components.resolvers.blessed_before import BlessedBeforeStrategy
from components.resolvers.latest_spans import LatestSpansStrategy
from components.resolvers.previous_span import PreviousSpanStatisticsStrategy
from components.schema_import.component import SchemaImport
from components.transform.preprocessing import TransformSettings

PREPROCESSING_FN = "components.transform.preprocessing.preprocessing_fn"
RUN_FN = "components.trainer.run.run_fn"
ORCHESTRATORS = ("local", "kubeflow")


def _blessed_model_before(reference, node_id: str, orchestrator: str,
                          same_serving_inputs: bool = False) -> Resolver:
    """The newest blessed model older than `reference` (`BlessedBeforeStrategy`; with
    `same_serving_inputs`, none when it cannot read the candidate model's examples).

    Kubeflow's v2 compiler accepts only TFX's own resolver strategies: there it is the latest
    blessed model.
    """
    models = dict(model=Channel(type=standard_artifacts.Model),
                  model_blessing=Channel(type=standard_artifacts.ModelBlessing))
    if orchestrator == "kubeflow":
        return Resolver(strategy_class=LatestBlessedModelStrategy,
                                **models).with_id(node_id)
    return Resolver(strategy_class=BlessedBeforeStrategy,
                    config={"same_serving_inputs": same_serving_inputs},
                    reference=reference, **models).with_id(node_id)


def _train_args(train_steps):
    """TrainArgs, or the RuntimeParameter holding them as JSON (Kubeflow runtime parameter)."""
    if isinstance(train_steps, RuntimeParameter):
        return train_steps
    return trainer_pb2.TrainArgs(num_steps=train_steps)


def create_pipeline(
    *,
    pipeline_name: str,
    pipeline_root: str,
    data_root: str,
    schema_path: str,
    schema_fingerprint: str,
    data_gate_fingerprint: str,
    serving_dir: str,
    ingest: IngestSettings,
    input_pattern: str,
    input_splits: Optional[Dict[str, str]],
    split_key: Optional[str],
    train_buckets: int,
    eval_buckets: int,
    transform: TransformSettings,
    trainer_config: Union[dict, RuntimeParameter],
    train_steps: Union[int, RuntimeParameter],
    eval_steps: int,
    warm_start: bool,
    span_window: int,
    eval_config: Union[object, RuntimeParameter],
    beam_pipeline_args: List[str],
    metadata_connection_config: Optional[object] = None,
    enable_cache: bool = True,
    orchestrator: str = "local",
    component_beam_args: Optional[Dict[str, List[str]]] = None,
) -> Pipeline:
    """Builds the pipeline; every argument is explicit (see `pipeline/assembly.py`).

    `ingest` and `transform` settings and `trainer_config` (the Trainer's custom_config) carry
    the fingerprint of the code they run, `schema_fingerprint` that of the schema file's bytes,
    `data_gate_fingerprint` that of the data gate's code.
    `data_root`, `train_steps`, `trainer_config` and `eval_config` (a `tfma.EvalConfig`) may be
    `RuntimeParameter`s (Kubeflow). With `orchestrator`
    "kubeflow", resolvers are TFX's own (its compiler knows no others): no drift check against
    the previous span, and a span window of 1. `component_beam_args` adds Beam arguments per
    component id (e.g. to run Transform on Dataflow).
    """
    if orchestrator not in ORCHESTRATORS:
        raise ValueError(f"orchestrator must be one of {ORCHESTRATORS}, got {orchestrator!r}")
    if orchestrator == "kubeflow" and span_window > 1:
        raise ValueError("span_window > 1 needs the local orchestrator's span resolver")
    input_config, output_config = example_gen_configs(
        input_pattern, input_splits, train_buckets, eval_buckets, split_key)
    example_gen = CsvImageExampleGen(
        input_base=data_root,
        settings=ingest,
        input_config=input_config, output_config=output_config)

    schema_gen = SchemaImport(schema_file=schema_path,
                              schema_fingerprint=schema_fingerprint).with_id("ImportSchemaGen")
    # With the schema, TFDV computes byte sizes (not string stats) for image features.
    statistics_gen = StatisticsGen(examples=example_gen.outputs["examples"],
                                                  schema=schema_gen.outputs["schema"])
    example_validator = ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])
    nodes = [example_gen, schema_gen, statistics_gen, example_validator]
    previous_statistics = None
    if orchestrator == "local":
        previous_span = Resolver(
            strategy_class=PreviousSpanStatisticsStrategy,
            examples=example_gen.outputs["examples"],
            statistics=Channel(type=standard_artifacts.ExampleStatistics),
        ).with_id("previous_span_statistics_resolver")
        nodes.append(previous_span)
        previous_statistics = previous_span.outputs["statistics"]
    data_gate = DataGate(schema=schema_gen.outputs["schema"],
                         anomalies=example_validator.outputs["anomalies"],
                         statistics=statistics_gen.outputs["statistics"],
                         code_fingerprint=data_gate_fingerprint,
                         previous_statistics=previous_statistics)
    validated_schema = data_gate.outputs["validated_schema"]
    nodes.append(data_gate)
    training_examples = example_gen.outputs["examples"]
    if span_window > 1:
        window = Resolver(
            strategy_class=LatestSpansStrategy, config={"window": span_window},
            current=example_gen.outputs["examples"],
            examples=Channel(type=standard_artifacts.Examples),
        ).with_id("span_window_resolver")
        nodes.append(window)
        training_examples = window.outputs["examples"]
    transform_component = Transform(
        examples=training_examples,
        schema=validated_schema,
        preprocessing_fn=PREPROCESSING_FN,
        custom_config=transform.to_dict(),
        # TFDV statistics before and after the transform: a third of Transform's time on the
        # demo, and nothing reads them (StatisticsGen has the raw data's, the report its own)
        disable_statistics=True,
        # The analyzer cache speeds up a later analysis only when fed back in as
        # `analyzer_cache`; nothing does, so writing it cost 15% of Transform's time for nothing
        disable_analyzer_cache=True)

    nodes.append(transform_component)
    base_model = None
    if warm_start:
        warm_start_resolver = _blessed_model_before(example_gen.outputs["examples"],
                                                    "warm_start_model_resolver", orchestrator)
        nodes.append(warm_start_resolver)
        base_model = warm_start_resolver.outputs["model"]
    trainer_component = Trainer(
        run_fn=RUN_FN,
        examples=transform_component.outputs["transformed_examples"],
        transform_graph=transform_component.outputs["transform_graph"],
        schema=validated_schema,
        base_model=base_model,
        train_args=_train_args(train_steps),
        eval_args=trainer_pb2.EvalArgs(num_steps=eval_steps),
        custom_config=trainer_config)

    baseline_resolver = _blessed_model_before(trainer_component.outputs["model"],
                                              "baseline_model_resolver", orchestrator,
                                              same_serving_inputs=True)
    evaluator = Evaluator(
        examples=example_gen.outputs["examples"],
        model=trainer_component.outputs["model"],
        baseline_model=baseline_resolver.outputs["model"],
        eval_config=eval_config)
    pusher = Pusher(
        model=trainer_component.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination=pusher_pb2.PushDestination(
            filesystem=pusher_pb2.PushDestination.Filesystem(base_directory=serving_dir)))

    nodes += [trainer_component, baseline_resolver, evaluator, pusher]
    for node in nodes:
        extra = (component_beam_args or {}).get(node.id)
        if extra:
            node.with_beam_pipeline_args(extra)
    return Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        components=nodes,
        enable_cache=enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=beam_pipeline_args)
