"""`create_pipeline`: the TFX DAG, the same for every runner (local, Kubeflow).

ingest (CSV + images) -> StatisticsGen -> ImportSchemaGen (curated schema) -> ExampleValidator
-> DataGate (fails the run on any anomaly; passes the schema on) -> Transform -> Trainer -> Evaluator (vs. the model blessed when the candidate was trained)
-> Pusher.

Transform and Trainer get their code as dotted paths of this installed package; since TFX's cache
key does not hash the code behind a dotted path, each component carries a fingerprint of the
source it runs in its custom_config.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import tensorflow_model_analysis as tfma
from tfx import v1 as tfx

from components import baseline_resolver as baseline_resolver_lib
from components.data_gate.component import DataGate
from components.data_gate.previous_span import PreviousSpanStatisticsStrategy
from components.ingest.component import CsvImageExampleGen, example_gen_configs
from components.ingest.rows import IngestSettings
from components.trainer.model import PREDICTION_KEY
from components.trainer.run import TrainerSettings
from components.transform.preprocessing import TransformSettings
from pipeline.fingerprint import code_fingerprint
from schemas import FeatureSet

PREPROCESSING_FN = "components.transform.preprocessing.preprocessing_fn"
RUN_FN = "components.trainer.run.run_fn"
RMSE_METRIC = "root_mean_squared_error"

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


def create_pipeline(
    *,
    pipeline_name: str,
    pipeline_root: str,
    data_root: str,
    layout: str,
    input_pattern: str,
    input_splits: Optional[Dict[str, str]],
    split_key: Optional[str],
    schema_path: str,
    features: FeatureSet,
    serving_dir: str,
    train_buckets: int,
    eval_buckets: int,
    max_quarantine_fraction: float,
    max_image_pixels: int,
    image_size: tuple,
    image_channels: int,
    train_steps: int,
    eval_steps: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    max_eval_rmse: float,
    beam_pipeline_args: List[str],
    metadata_connection_config: Optional[object] = None,
    enable_cache: bool = True,
) -> tfx.dsl.Pipeline:
    """Builds the pipeline; every argument is explicit so runners only compute paths."""
    input_config, output_config = example_gen_configs(
        input_pattern, input_splits, train_buckets, eval_buckets, split_key)
    example_gen = CsvImageExampleGen(
        input_base=data_root,
        settings=IngestSettings(features=features, max_image_pixels=max_image_pixels,
                                max_quarantine_fraction=max_quarantine_fraction, layout=layout,
                                code_fingerprint=code_fingerprint(INGEST_CODE)),
        input_config=input_config, output_config=output_config)

    schema_gen = tfx.components.ImportSchemaGen(schema_file=schema_path)
    # With the schema, TFDV computes byte sizes (not string stats) for image features.
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"],
                                                  schema=schema_gen.outputs["schema"])
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])

    previous_span = tfx.dsl.Resolver(
        strategy_class=PreviousSpanStatisticsStrategy,
        examples=example_gen.outputs["examples"],
        statistics=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ExampleStatistics),
    ).with_id("previous_span_statistics_resolver")
    data_gate = DataGate(schema=schema_gen.outputs["schema"],
                         anomalies=example_validator.outputs["anomalies"],
                         statistics=statistics_gen.outputs["statistics"],
                         previous_statistics=previous_span.outputs["statistics"])
    validated_schema = data_gate.outputs["validated_schema"]

    height, width = image_size
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"],
        schema=validated_schema,
        preprocessing_fn=PREPROCESSING_FN,
        custom_config=TransformSettings(
            features=features, image_height=height, image_width=width,
            image_channels=image_channels,
            code_fingerprint=code_fingerprint(TRANSFORM_CODE)).to_dict())

    trainer = tfx.components.Trainer(
        run_fn=RUN_FN,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=validated_schema,
        train_args=tfx.proto.TrainArgs(num_steps=train_steps),
        eval_args=tfx.proto.EvalArgs(num_steps=eval_steps),
        custom_config=TrainerSettings(
            features=features, batch_size=batch_size, learning_rate=learning_rate,
            eval_every=max(1, train_steps // 10), seed=seed,
            code_fingerprint=code_fingerprint(TRAINER_CODE)).to_dict())

    baseline_resolver = tfx.dsl.Resolver(
        strategy_class=baseline_resolver_lib.BlessedBeforeCandidateStrategy,
        candidate=trainer.outputs["model"],
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    ).with_id("baseline_model_resolver")

    evaluator = tfx.components.Evaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=baseline_resolver.outputs["model"],
        eval_config=eval_config(features, max_eval_rmse))

    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=serving_dir)))

    return tfx.dsl.Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        components=[example_gen, statistics_gen, schema_gen, example_validator, previous_span,
                    data_gate, transform, trainer, baseline_resolver, evaluator, pusher],
        enable_cache=enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=beam_pipeline_args)
