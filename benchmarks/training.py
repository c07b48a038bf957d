"""Training speed, start-up separated from steady state: the custom loop vs. Keras `model.fit`
and vs. the model's pure compute floor, and the streaming TFRecord reader vs. in-memory tensors.

    .venv/bin/python -m benchmarks.training --rounds 3

Every variant trains the demo model (the demo's Transform output; the pipeline is run first when
`--output-dir` has none) with the same optimizer, loss, batch size and threads (TensorFlow's
defaults: every core) and AutoGraph rules (`tf_keras` and tf.Transform not converted, as in the
Trainer), in its own process. Steps are timed in segments of `--segment` steps; the first
`--warmup-steps` are the warm-up (tracing, compiling, filling buffers). Per variant:

- steady state: examples/s over the `--steps` steps after the warm-up;
- start-up: seconds from calling `train`/`fit` to the end of the warm-up, minus the time the
  warm-up steps take at the steady rate (tracing, `compile`, first batches);
- CPU per example and cores busy: the process's CPU time (every thread) over the timed steps,
  per example and per second of wall time (2.00: both cores all the time).

Variants:
- `loop`: `components.trainer.loop.train` as the Trainer runs it (the reader caches this small
  split in memory and brings `loop.steps_per_read` steps' batches per read; `steps_per_execution`
  from the config); every `--segment` steps it evaluates
  one eval batch (cached after its first read) and the host reads the metrics;
- `fit_same`: `model.fit` compiled with the same `steps_per_execution`, one epoch per segment,
  evaluating the same eval batch at the end of each (`validation_data`, `validation_steps=1`,
  from a cache filled before `fit`): the same work as the loop's;
- `fit_default`: `fit_same` at Keras's default steps per call (one);
- `floor`: the loop's own train step, run `--segment` times per graph call on one batch staged in
  memory: no input pipeline, no Python between steps; what this model costs on this machine;
- `stream`: the loop on the demo's training split copied until it exceeds the reader's cache
  limit, read as the Trainer reads large data: the reader inflates the gzipped files once into
  a local staging directory (in the start-up figure) and parses the copies every epoch;
- `stream_gzip`: the same, without a staging directory: every epoch inflates the gzipped files;
- `memory`: the loop on the same examples, parsed beforehand into in-memory tensors (not timed).

Variants are interleaved over `--rounds` rounds; the table gives median (min-max) over rounds, and
each ratio is the median (min-max) of the per-round ratios.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import time

from benchmarks.common import interleave, load_average, machine, median, spread

VARIANTS = ("loop", "fit_same", "fit_default", "floor", "stream", "stream_gzip", "memory")
LABELS = {
    "loop": "custom loop (TFRecord reader, cached)",
    "fit_same": "model.fit, same steps per call, evaluating as the loop",
    "fit_default": "model.fit, Keras defaults (1 step per call), evaluating as the loop",
    "floor": "pure compute floor (one staged batch, graph loop)",
    "stream": "custom loop, streaming TFRecord reader (data > cache, staged uncompressed)",
    "stream_gzip": "custom loop, streaming TFRecord reader (data > cache, gzipped each epoch)",
    "memory": "custom loop, the same data as in-memory tensors",
}
STREAM_DIR = "benchmark_training_stream"


def transform_outputs(output_dir: str):
    """(transformed examples uri, transform graph uri) of the latest demo run."""
    from pipeline.config import load_config
    from pipeline.reporting.summary import summarize_latest_run

    nodes = {n.node_id: n for n in summarize_latest_run(
        load_config(overrides={"output_dir": output_dir})).nodes}
    return (nodes["Transform"].outputs["Examples"][0].uri,
            nodes["Transform"].outputs["TransformGraph"][0].uri)


def make_stream_data(output_dir: str) -> str:
    """Copies the demo's training files until they exceed the reader's cache limit; returns the
    glob of the copies (made once)."""
    from components.trainer import data

    examples_uri, _ = transform_outputs(output_dir)
    source = os.path.join(examples_uri, "Split-train")
    names = sorted(os.listdir(source))
    size = sum(os.path.getsize(os.path.join(source, name)) for name in names)
    copies = math.floor(data.CACHE_LIMIT_BYTES / size) + 1
    target = os.path.join(output_dir, STREAM_DIR)
    if not os.path.isdir(target) or len(os.listdir(target)) != copies * len(names):
        shutil.rmtree(target, ignore_errors=True)
        os.makedirs(target)
        for copy in range(copies):
            for name in names:
                shutil.copy(os.path.join(source, name), os.path.join(target, f"{copy}-{name}"))
    return os.path.join(target, "*")


class SegmentClock:
    """Time stamps at segment ends: (steps done, seconds since start, process CPU seconds)."""

    def __init__(self):
        self.start = time.perf_counter()
        self.marks = []
        self.before_start_s = 0.0  # start-up spent before `start` (staging the files)

    def mark(self, steps: int) -> None:
        self.marks.append((steps, time.perf_counter() - self.start, time.process_time()))

    def result(self, warmup_steps: int, batch_size: int) -> dict:
        warm, warm_cpu = next((t, c) for s, t, c in self.marks if s == warmup_steps)
        steps, end, end_cpu = self.marks[-1]
        rate = (steps - warmup_steps) / (end - warm)  # steps/s after the warm-up
        cpu = end_cpu - warm_cpu  # every thread of the process, after the warm-up
        return {"startup_s": self.before_start_s + warm - warmup_steps / rate,
                "examples_per_s": rate * batch_size, "seconds": end,
                "cpu_us_per_example": 1e6 * cpu / ((steps - warmup_steps) * batch_size),
                "cores_busy": cpu / (end - warm)}


class StagedBatch:
    """An 'iterator' whose every batch is the same in-memory batch (the compute floor's input)."""

    def __init__(self, batch):
        self.batch = batch

    def __next__(self):
        return self.batch


class DemoTraining:
    """What every variant shares, as the Trainer builds it: the demo's features, transformed
    feature spec, label, train and eval files, task head and vocabulary sizes."""

    def __init__(self, output_dir: str):
        import tensorflow_transform as tft

        from components.trainer.autograph_rules import keep_autograph_out_of_libraries
        from components.trainer.task_head import TaskHead
        from components.transform.preprocessing import category_id_count
        from pipeline.config import load_config
        from schemas import Role

        keep_autograph_out_of_libraries()  # as the Trainer runs: every variant traces with it
        self.config = load_config(overrides={"output_dir": output_dir})
        self.features = self.config.features()
        examples_uri, graph_uri = transform_outputs(output_dir)
        tft_output = tft.TFTransformOutput(graph_uri)
        self.spec = tft_output.transformed_feature_spec()
        self.label = self.features.label.name
        self.train_files = os.path.join(examples_uri, "Split-train", "*")
        self.eval_files = os.path.join(examples_uri, "Split-eval", "*")
        self.head = TaskHead.for_features(self.features)
        self.sizes = {f.name: category_id_count(f, tft_output)
                      for f in self.features.with_role(Role.CATEGORICAL)}

    def build_model(self, seed: int = 0):
        """A fresh demo model; the same seed gives the same initial weights."""
        import tf_keras as keras

        from components.trainer import model

        keras.utils.set_random_seed(seed)
        return model.build_model(self.features, self.spec, self.sizes, self.head)


def child(variant: str, args: argparse.Namespace) -> None:
    import tensorflow as tf
    import tf_keras as keras
    from absl import logging as absl_logging

    from components.trainer import data, loop

    parts = DemoTraining(args.output_dir)
    config, spec, label, head = parts.config, parts.spec, parts.label, parts.head
    train_files, eval_files = parts.train_files, parts.eval_files
    batch = args.batch_size
    total = args.warmup_steps + args.steps

    staging = tempfile.TemporaryDirectory(prefix="benchmark-staging-")
    if variant in ("stream", "stream_gzip"):
        train_files = make_stream_data(args.output_dir)
        assert data._total_bytes(train_files) > data.CACHE_LIMIT_BYTES  # the reader streams
    settings = loop.LoopSettings(train_steps=total, eval_steps=1, eval_every=args.segment,
                                 learning_rate=config.learning_rate, global_batch_size=batch,
                                 steps_per_execution=args.steps_per_execution)
    # The loop's variants read as the Trainer does: several steps' batches per read.
    per_read = (1 if variant.startswith("fit_") or variant == "floor" else
                loop.steps_per_read(settings, data.example_bytes(spec)))
    clock = SegmentClock()
    reader = data.make_dataset(train_files, spec, label, batch * per_read, shuffle=True, seed=0,
                               repeat=True, staging_dir=None if variant == "stream_gzip" else
                               staging.name)
    if variant == "stream":
        assert os.listdir(staging.name), "the reader did not stage the files"
        clock.before_start_s = time.perf_counter() - clock.start
    if variant == "memory":
        stream_files = make_stream_data(args.output_dir)
        everything = next(iter(data.make_dataset(stream_files, spec, label, 10**7,
                                                 shuffle=False)))
        reader = (tf.data.Dataset.from_tensor_slices(everything).shuffle(2048, seed=0).repeat()
                  .batch(batch * per_read, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
                  .with_options(data.without_autotune_model()))  # as the reader's
    keras_model = parts.build_model()

    eval_reader = data.make_dataset(eval_files, spec, label, batch, shuffle=False)
    if variant.startswith("fit_"):
        keras_model.compile(
            optimizer=loop.make_optimizer(settings), loss=head.per_example_loss,
            metrics=[keras.metrics.RootMeanSquaredError()],
            steps_per_execution=None if variant == "fit_default" else args.steps_per_execution)
        stamp = keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: clock.mark((epoch + 1) * args.segment))
        clock.start = time.perf_counter()
        eval_batch = eval_reader.take(1).cache()
        for _ in eval_batch:  # fills the cache (fit's evaluation stops reading after its steps)
            pass
        keras_model.fit(reader, steps_per_epoch=args.segment, epochs=total // args.segment,
                        verbose=0, callbacks=[stamp], validation_data=eval_batch,
                        validation_steps=1)
    elif variant == "floor":
        steps = loop.make_step_functions(keras_model, loop.make_optimizer(settings), batch,
                                         head=head)
        batches = StagedBatch(next(iter(reader)))  # one object: a new one per call would retrace
        clock.start = time.perf_counter()
        for done in range(args.segment, total + 1, args.segment):
            steps.train_steps(batches, tf.constant(args.segment, tf.int64))
            steps.metrics["train_loss"].result().numpy()  # the host reads, as the loop does
            clock.mark(done)
    else:
        class Stamp(logging.Handler):
            def emit(self, record):  # the loop logs "step N/M ..." after each evaluation
                if record.getMessage().startswith("step "):
                    clock.mark(int(record.getMessage().split()[1].split("/")[0]))

        absl_logging.set_verbosity(absl_logging.INFO)
        absl_logger = logging.getLogger("absl")
        absl_logger.addHandler(Stamp())
        absl_logger.propagate = False
        clock.start = time.perf_counter()
        loop.train(keras_model, reader, eval_reader, settings)
    print(json.dumps(clock.result(args.warmup_steps, batch)))


def main() -> None:
    from pipeline.config import PipelineConfig

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup-steps", type=int, default=200)
    parser.add_argument("--steps", type=int, default=1000, help="measured steps after warm-up")
    parser.add_argument("--segment", type=int, default=200, help="steps between time stamps")
    parser.add_argument("--steps-per-execution", type=int,
                        default=PipelineConfig.model_fields["steps_per_execution"].default)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--output-dir", default="outputs/demo")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.segment % args.steps_per_execution or args.warmup_steps % args.segment or (
            args.steps % args.segment):
        parser.error("--segment must be a multiple of --steps-per-execution, and --warmup-steps"
                     " and --steps multiples of --segment")
    if args.variant:
        child(args.variant, args)
        return
    if not os.path.isfile(os.path.join(args.output_dir, "metadata.sqlite")):
        from pipeline import cli

        cli.main(["run", "--demo", "--output-dir", args.output_dir])
    make_stream_data(args.output_dir)
    passed = [f"--{name.replace('_', '-')}={getattr(args, name)}" for name in (
        "warmup_steps", "steps", "segment", "steps_per_execution", "batch_size", "output_dir")]
    load_before = load_average()
    results = interleave({name: ["-m", "benchmarks.training", "--variant", name, *passed]
                          for name in args.variants}, args.rounds)
    print(f"\nTraining the demo model: batch {args.batch_size}, {args.steps_per_execution} "
          f"steps per call, warm-up {args.warmup_steps} steps, then {args.steps} steps timed; "
          f"{machine()}; median (min-max) of {args.rounds} interleaved rounds; "
          f"load average {load_before} before, {load_average()} after\n")
    print("| variant | start-up s | steady-state examples/s | CPU us per example | cores busy "
          "| peak memory (MiB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in args.variants:
        runs = results[name]
        print(f"| {LABELS[name]} | {spread([r['startup_s'] for r in runs], '.1f')} | "
              f"{spread([r['examples_per_s'] for r in runs], '.0f')} | "
              f"{spread([r['cpu_us_per_example'] for r in runs], '.0f')} | "
              f"{spread([r['cores_busy'] for r in runs], '.2f')} | "
              f"{median([r['peak_mib'] for r in runs]):.0f} |")
    print()
    for numerator, denominator, text, target in (
            ("loop", "fit_same", "steady-state custom loop / model.fit (same steps per call)",
             1.0),
            ("loop", "fit_default", "steady-state custom loop / model.fit (Keras defaults)",
             None),
            ("loop", "floor", "custom loop / pure compute floor", 0.85),
            ("stream", "memory", "streaming TFRecord reader / in-memory", 0.9),
            ("stream_gzip", "memory", "streaming TFRecord reader, gzipped each epoch / "
             "in-memory", None)):
        if numerator in results and denominator in results:
            ratios = [a["examples_per_s"] / b["examples_per_s"]
                      for a, b in zip(results[numerator], results[denominator])]
            goal = f"; target >= {target}x" if target else ""
            print(f"- {text}: {median(ratios):.2f}x (per round {min(ratios):.2f}-"
                  f"{max(ratios):.2f}x{goal})")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
