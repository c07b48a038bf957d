"""Exporting and loading the served model: the Trainer's export vs. the same SavedModel holding
the Keras model itself (the layout before `components.trainer.export.attach_model`).

    .venv/bin/python -m benchmarks.export --rounds 5

Each variant, in its own process: builds the demo model (seeded, so both variants export the
same weights) on the demo's Transform output (the pipeline is run first when `--output-dir` has
none), times `export_serving_model` as the Trainer calls it, then in the same process times
`tf.saved_model.load` of the result and the first `serving_default` call on `--examples` raw eval
examples. Both variants' served outputs are compared, bit for bit. Start-up costs only: an export
happens once per Trainer run, a load once per Evaluator worker, report and `predict`.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import sys
import time

from benchmarks.common import interleave, load_average, machine, median, spread

VARIANTS = ("trainer", "keras_inside")
LABELS = {"trainer": "Trainer's export (variables + a function on transformed features)",
          "keras_inside": "the same SavedModel holding the Keras model"}


def child(variant: str, args: argparse.Namespace) -> None:
    import tempfile

    import tensorflow as tf
    import tensorflow_transform as tft
    import tf_keras as keras

    from benchmarks.training import transform_outputs
    from components.trainer import export, model
    from components.trainer.autograph_rules import keep_autograph_out_of_libraries
    from components.trainer.task_head import TaskHead
    from components.transform.preprocessing import category_id_count
    from pipeline.config import load_config
    from pipeline.reporting.summary import summarize_latest_run
    from schemas import Role

    keep_autograph_out_of_libraries()  # as the Trainer exports
    if variant == "keras_inside":
        export.attach_model = lambda module, keras_model: setattr(module, "model", keras_model)
    config = load_config(overrides={"output_dir": args.output_dir})
    features = config.features()
    _, graph_uri = transform_outputs(args.output_dir)
    tft_output = tft.TFTransformOutput(graph_uri)
    sizes = {f.name: category_id_count(f, tft_output) for f in features.with_role(Role.CATEGORICAL)}
    keras.utils.set_random_seed(0)
    keras_model = model.build_model(features, tft_output.transformed_feature_spec(), sizes,
                                    TaskHead.for_features(features))
    export_dir = tempfile.mkdtemp()
    start = time.perf_counter()
    export.export_serving_model(keras_model, tft_output, features, export_dir)
    export_s = time.perf_counter() - start

    start = time.perf_counter()
    loaded = tf.saved_model.load(export_dir)
    load_s = time.perf_counter() - start
    nodes = {n.node_id: n for n in summarize_latest_run(config).nodes}
    raw_files = glob.glob(os.path.join(nodes["CsvImageExampleGen"].outputs["Examples"][0].uri,
                                       "Split-eval", "*"))
    raw = [r.numpy() for r in tf.data.TFRecordDataset(raw_files, compression_type="GZIP")
           .take(args.examples)]
    start = time.perf_counter()
    served = loaded.signatures["serving_default"](examples=tf.constant(raw))
    serve_s = time.perf_counter() - start
    digest = hashlib.sha256(b"".join(served[k].numpy().tobytes() for k in sorted(served)))
    size = sum(os.path.getsize(os.path.join(folder, name))
               for folder, _, names in os.walk(export_dir) for name in names)
    print(json.dumps({"seconds": export_s + load_s + serve_s, "export_s": export_s,
                      "load_s": load_s, "serve_s": serve_s,
                      "size_mb": size / 1e6, "outputs": digest.hexdigest()[:16]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--output-dir", default="outputs/demo")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        child(args.variant, args)
        return
    if not os.path.isfile(os.path.join(args.output_dir, "metadata.sqlite")):
        from pipeline import cli

        cli.main(["run", "--demo", "--output-dir", args.output_dir])
    passed = [f"--examples={args.examples}", f"--output-dir={args.output_dir}"]
    load_before = load_average()
    results = interleave({name: ["-m", "benchmarks.export", "--variant", name, *passed]
                          for name in VARIANTS}, args.rounds)
    print(f"\nExporting the demo model, {machine()}; median (min-max) of "
          f"{args.rounds} interleaved rounds; load average {load_before} before, "
          f"{load_average()} after\n")
    print("| variant | export s | load s | first serve s | SavedModel MB |")
    print("|---|---:|---:|---:|---:|")
    for name in VARIANTS:
        runs = results[name]
        print(f"| {LABELS[name]} | {spread([r['export_s'] for r in runs], '.2f')} | "
              f"{spread([r['load_s'] for r in runs], '.2f')} | "
              f"{spread([r['serve_s'] for r in runs], '.2f')} | "
              f"{median([r['size_mb'] for r in runs]):.2f} |")
    print()
    for key in ("export_s", "load_s"):
        ratios = [a[key] / b[key] for a, b in zip(results["trainer"], results["keras_inside"])]
        faster = sum(ratio < 1 for ratio in ratios)
        print(f"- {key[:-2]} time, Trainer's export / Keras model inside: {median(ratios):.2f}x "
              f"(per round {min(ratios):.2f}-{max(ratios):.2f}x; shorter in {faster} of "
              f"{len(ratios)} rounds)")
    outputs = {r["outputs"] for runs in results.values() for r in runs}
    print(f"- served outputs identical in every run: {'yes' if len(outputs) == 1 else 'NO'}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
