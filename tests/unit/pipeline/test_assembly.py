"""Assembly: DirectRunner settings sized to the input (the pipeline's own outputs left out),
Beam jobs pickling with cloudpickle; the config's settings reach the loop."""

import logging

from pipeline.config import PipelineConfig, load_config
from pipeline.assembly import input_megabytes, local_beam_pipeline_args, trainer_custom_config


def test_input_megabytes_adds_up_nested_files(tmp_path):
    (tmp_path / "span-0" / "images").mkdir(parents=True)
    (tmp_path / "span-0" / "data.csv").write_bytes(b"x" * 2**19)
    (tmp_path / "span-0" / "images" / "a.png").write_bytes(b"x" * 2**20)
    (tmp_path / "dangling").symlink_to(tmp_path / "absent")
    assert input_megabytes(str(tmp_path)) == 1.5


def test_local_args_switch_to_one_worker_per_core_from_the_threshold(tmp_path, caplog):
    (tmp_path / "data.csv").write_bytes(b"x" * 2**20)
    small = load_config(overrides={"data_root": str(tmp_path), "beam_parallel_min_mb": 2})
    large = load_config(overrides={"data_root": str(tmp_path), "beam_parallel_min_mb": 1})
    with caplog.at_level(logging.INFO):
        assert "--direct_num_workers=1" in local_beam_pipeline_args(small)
        assert "--direct_num_workers=0" in local_beam_pipeline_args(large)
    assert "Beam DirectRunner: in_memory, one worker per core (input 1.0 MB" in caplog.text


def test_an_output_dir_inside_the_data_root_does_not_count_as_input(tmp_path, monkeypatch,
                                                                    caplog):
    """Data in ./data, outputs in ./data/outputs (relative paths, as a config gives them): the
    1 MB of data picks the runner mode, not the 3 MB earlier runs wrote."""
    monkeypatch.chdir(tmp_path)
    examples = tmp_path / "data" / "outputs" / "pipeline_root" / "ExampleGen" / "1"
    examples.mkdir(parents=True)
    (examples / "data_tfrecord-00000.gz").write_bytes(b"x" * 3 * 2**20)
    (tmp_path / "data" / "data.csv").write_bytes(b"x" * 2**20)
    config = load_config(overrides={"data_root": "data", "output_dir": "data/outputs",
                                    "beam_parallel_min_mb": 2})
    with caplog.at_level(logging.INFO):
        assert local_beam_pipeline_args(config)[:2] == ["--direct_running_mode=in_memory",
                                                        "--direct_num_workers=1"]
    assert "Beam DirectRunner: in_memory, 1 worker (input 1.0 MB;" in caplog.text
    assert input_megabytes("data") == 4.0  # benchmarks call it without an output directory


def test_local_beam_jobs_pickle_their_functions_with_cloudpickle(tmp_path):
    import apache_beam as beam
    from apache_beam.internal import cloudpickle_pickler, pickler
    from apache_beam.testing.util import assert_that, equal_to

    config = load_config(overrides={"data_root": str(tmp_path)})
    try:
        with beam.Pipeline(argv=local_beam_pipeline_args(config)) as pipeline:
            assert pickler.desired_pickle_lib is cloudpickle_pickler
            squares = pipeline | beam.Create([1, 2, 3]) | beam.Map(lambda x: x * x)
            assert_that(squares, equal_to([1, 4, 9]))
    finally:
        pickler.set_library(pickler.DEFAULT_PICKLE_LIB)


def test_trainer_settings_reach_the_loop_under_the_same_names():
    from components.trainer.run import TrainerSettings, loop_settings

    config = load_config(overrides={"steps_per_execution": 7, "checkpoint_every": 21,
                                    "clip_norm": 2.5, "batch_size": 8})
    settings = TrainerSettings.from_dict(trainer_custom_config(config))
    loop = loop_settings(settings, train_steps=63, eval_steps=3)
    assert (loop.steps_per_execution, loop.checkpoint_every, loop.clip_norm,
            loop.global_batch_size, loop.train_steps, loop.eval_steps) == (7, 21, 2.5, 8, 63, 3)


def test_the_readers_cache_limit_is_the_configs_and_defaults_to_the_readers_own():
    from components.trainer import data
    from components.trainer.run import TrainerSettings

    assert PipelineConfig.model_fields["reader_cache_mb"].default * 2**20 == (
        data.CACHE_LIMIT_BYTES)
    assert TrainerSettings.from_dict(trainer_custom_config(load_config())).reader_cache_mb == 64
    config = load_config(overrides={"reader_cache_mb": 0})
    assert TrainerSettings.from_dict(trainer_custom_config(config)).reader_cache_mb == 0
