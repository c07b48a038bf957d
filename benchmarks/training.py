"""Training throughput: the custom loop vs. Keras `model.fit`, and the TFRecord reader vs. the
same loop on in-memory tensors. Same model, data (the demo's Transform output) and batch size.

    .venv/bin/python -m benchmarks.training --steps 600

Runs the demo pipeline first when `outputs/demo` has no Transform output. Variants run in child
processes, interleaved over rounds; the table reports median examples/s and the ratios the
Trainer issue asks for.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from benchmarks.common import interleave, median

VARIANTS = ("loop_reader", "fit_reader", "loop_memory")


def transform_outputs(output_dir: str):
    """(transformed examples uri, transform graph uri) of the latest demo run."""
    from pipeline.config import load_config
    from pipeline.reporting.summary import summarize_latest_run

    nodes = {n.node_id: n for n in summarize_latest_run(
        load_config(overrides={"output_dir": output_dir})).nodes}
    return (nodes["Transform"].outputs["Examples"][0].uri,
            nodes["Transform"].outputs["TransformGraph"][0].uri)


def child(variant: str, output_dir: str, steps: int, batch_size: int) -> None:
    import tensorflow as tf
    import tensorflow_transform as tft
    import tf_keras as keras

    from components.trainer import data, loop, model
    from components.transform.preprocessing import NUM_OOV_BUCKETS, vocabulary_name
    from pipeline.config import load_config
    from schemas import Role

    features = load_config().features()
    examples_uri, graph_uri = transform_outputs(output_dir)
    tft_output = tft.TFTransformOutput(graph_uri)
    spec = tft_output.transformed_feature_spec()
    label = features.label.name
    pattern = os.path.join(examples_uri, "Split-train", "*")
    keras.utils.set_random_seed(0)
    reader = data.make_dataset(pattern, spec, label, batch_size, shuffle=True, seed=0,
                               repeat=True)
    if variant == "loop_memory":
        everything = next(iter(data.make_dataset(pattern, spec, label, 100_000, shuffle=False)))
        reader = (tf.data.Dataset.from_tensor_slices(everything).shuffle(2048, seed=0).repeat()
                  .batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE))
    sizes = {f.name: tft_output.vocabulary_size_by_name(vocabulary_name(f.name)) + NUM_OOV_BUCKETS
             for f in features.with_role(Role.CATEGORICAL)}
    keras_model = model.build_model(features, spec, sizes)
    settings = loop.LoopSettings(train_steps=steps, eval_steps=1, eval_every=steps,
                                 learning_rate=3e-3, global_batch_size=batch_size)
    started = time.perf_counter()
    if variant == "fit_reader":
        keras_model.compile(optimizer=loop.make_optimizer(settings),
                            loss=keras.losses.MeanSquaredError(),
                            metrics=[keras.metrics.RootMeanSquaredError()])
        keras_model.fit(reader, steps_per_epoch=steps, epochs=1, verbose=0)
    else:
        loop.train(keras_model, reader, reader, settings)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "examples": steps * batch_size}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output-dir", default="outputs/demo")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        child(args.variant, args.output_dir, args.steps, args.batch_size)
        return
    if not os.path.isfile(os.path.join(args.output_dir, "metadata.sqlite")):
        from pipeline import cli

        cli.main(["run", "--demo", "--output-dir", args.output_dir])
    variants = {name: ["-m", "benchmarks.training", "--variant", name, "--steps",
                       str(args.steps), "--batch-size", str(args.batch_size), "--output-dir",
                       args.output_dir] for name in VARIANTS}
    results = interleave(variants, args.rounds)
    rate = {name: median([r["examples"] / r["seconds"] for r in runs])
            for name, runs in results.items()}
    print(f"\nTraining the demo model, {args.steps} steps of {args.batch_size}, "
          f"{os.cpu_count()} cores, median of {args.rounds} interleaved rounds\n")
    print("| variant | examples/s | peak memory (MiB) |")
    print("|---|---:|---:|")
    labels = {"loop_reader": "custom loop, TFRecord reader",
              "fit_reader": "Keras model.fit, TFRecord reader",
              "loop_memory": "custom loop, in-memory tensors"}
    for name in VARIANTS:
        print(f"| {labels[name]} | {rate[name]:.0f} | "
              f"{median([r['peak_mib'] for r in results[name]]):.0f} |")
    print(f"\n- custom loop / model.fit: {rate['loop_reader'] / rate['fit_reader']:.2f}x "
          "(target >= 1.2x)")
    print(f"- TFRecord reader / in-memory tensors: "
          f"{rate['loop_reader'] / rate['loop_memory']:.2f}x (target >= 0.9x)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
