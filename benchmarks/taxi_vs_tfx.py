"""TFX's own Chicago taxi pipeline against this project, on the same 15,002 taxi rows.

    .venv/bin/python -m benchmarks.taxi_vs_tfx --rounds 3

TFX side: `tfx/examples/chicago_taxi_pipeline/taxi_pipeline_native_keras.py` as shipped
(`_create_pipeline` with `taxi_utils_native_keras.py` as its module file, its own Beam arguments,
1,000 training steps of batch 40) on `data/big_tipper_label/data.csv`, run by LocalDagRunner.
This project: the same rows through `benchmarks/taxi_data.py` (its schema: binary `big_tipper`),
`pipeline_runner.py run` with the same steps and batch size and TFX's 2:1 train/eval split.

Each round runs, in child processes and alternating which goes first: both pipelines cold (fresh
output directories), then both again with nothing changed (cached: this project's run with
`--recheck`, so that it goes through TFX's runner and cache as TFX's pipeline does, rather than
being skipped before TFX starts). Accuracy and AUC are computed
the same way for both, by this script: each trained model's serving signature on its own
pipeline's eval split (each pipeline splits the rows by its own hash, so the eval rows differ;
both are a third of the rows). Medians and ranges over rounds are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sys
import tempfile
import time

from benchmarks.common import machine, median, run_child, spread
from benchmarks.taxi_data import LABEL, taxi_csv_path, write_taxi_dataset

TRAIN_STEPS, EVAL_STEPS, BATCH_SIZE = 1000, 150, 40  # TFX's taxi_pipeline_native_keras values


def tfx_child(work: str) -> None:
    # taxi_utils_native_keras.py builds its model with `tf.keras`; under TF 2.16 that is Keras 3,
    # where its functional model fails ("inputs not connected to outputs"). TFX 1.16 runs it on
    # Keras 2 (tf_keras, installed), which this switch selects.
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    from tfx.examples.chicago_taxi_pipeline import taxi_pipeline_native_keras as taxi
    from tfx.orchestration.local.local_dag_runner import LocalDagRunner

    data_dir = os.path.join(work, "data")
    if not os.path.isdir(data_dir):
        os.makedirs(data_dir)
        shutil.copy(taxi_csv_path(), data_dir)
    pipeline = taxi._create_pipeline(  # pylint: disable=protected-access
        pipeline_name="chicago_taxi_native_keras", pipeline_root=os.path.join(work, "root"),
        data_root=data_dir,
        module_file=os.path.join(os.path.dirname(taxi.__file__), "taxi_utils_native_keras.py"),
        serving_model_dir=os.path.join(work, "serving"),
        metadata_path=os.path.join(work, "metadata.db"),
        beam_pipeline_args=taxi._beam_pipeline_args)  # pylint: disable=protected-access
    started = time.perf_counter()
    LocalDagRunner().run(pipeline)
    print(json.dumps({"seconds": time.perf_counter() - started}))


def ours_child(work: str) -> None:
    import yaml

    from pipeline import cli

    config = os.path.join(work, "config.yaml")
    if not os.path.isfile(config):
        _, schema_path = write_taxi_dataset(work)
        with open(config, "w", encoding="utf-8") as handle:
            yaml.safe_dump({
                "pipeline_name": "taxi", "schema_path": schema_path,
                "data_root": os.path.join(work, "data"), "output_dir": os.path.join(work, "out"),
                "train_steps": TRAIN_STEPS, "eval_steps": EVAL_STEPS, "batch_size": BATCH_SIZE,
                "train_buckets": 2, "eval_buckets": 1}, handle)
    started = time.perf_counter()
    code = cli.main(["run", "--config", config, "--recheck"])  # through TFX even when cached
    print(json.dumps({"seconds": time.perf_counter() - started, "exit": code}))


def newest(pattern: str) -> str:
    found = sorted(glob.glob(pattern), key=lambda p: int(p.rstrip("/").split("/")[-1]))
    if not found:
        raise FileNotFoundError(f"nothing matches {pattern}")
    return found[-1]


def model_metrics(model_dir: str, examples_dir: str) -> dict:
    """Accuracy (at 0.5) and AUC of a model's serving signature on an eval split's raw rows."""
    import numpy as np
    import tensorflow as tf
    from sklearn.metrics import roc_auc_score

    files = glob.glob(os.path.join(examples_dir, "Split-eval", "*.gz"))
    raw = [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    labels = tf.io.parse_example(raw, {LABEL: tf.io.FixedLenFeature([1], tf.int64)})[LABEL]
    serve = tf.saved_model.load(model_dir).signatures["serving_default"]
    scores = []
    for start in range(0, len(raw), 512):
        outputs = serve(examples=tf.constant(raw[start:start + 512]))
        # this project: positive_probability; TFX's taxi model: its sigmoid `outputs`
        key = "positive_probability" if "positive_probability" in outputs else "outputs"
        scores.append(outputs[key].numpy().reshape(-1))
    score, truth = np.concatenate(scores), labels.numpy().reshape(-1)
    return {"eval_rows": len(raw), "accuracy": float(np.mean((score > 0.5) == truth)),
            "auc": float(roc_auc_score(truth, score))}


def metrics_of(name: str, work: str) -> dict:
    if name == "tfx":
        return model_metrics(newest(os.path.join(work, "root", "Trainer", "model", "*"))
                             + "/Format-Serving",
                             newest(os.path.join(work, "root", "CsvExampleGen", "examples", "*")))
    root = os.path.join(work, "out", "pipeline_root")
    return model_metrics(newest(os.path.join(root, "Trainer", "model", "*")) + "/Format-Serving",
                         newest(os.path.join(root, "CsvImageExampleGen", "examples", "*")))


CHILDREN = {"tfx": tfx_child, "ours": ours_child}
TITLES = {"tfx": "TFX taxi_pipeline_native_keras", "ours": "tfx-multimodal"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("NAME", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        CHILDREN[args.child[0]](args.child[1])
        return

    runs = {name: [] for name in CHILDREN}
    for round_index in range(args.rounds):
        order = list(CHILDREN) if round_index % 2 == 0 else list(reversed(CHILDREN))
        works = {name: tempfile.mkdtemp(prefix=f"taxi-{name}-") for name in order}
        try:
            times = {name: {} for name in order}
            for phase in ("cold", "cached"):
                for name in order:
                    result = run_child(["-m", "benchmarks.taxi_vs_tfx", "--child", name,
                                        works[name]])
                    if result.get("exit", 0) != 0:
                        raise RuntimeError(f"{name} {phase} run failed")
                    times[name][phase] = result["seconds"]
                    times[name][f"{phase}_peak_mib"] = result["peak_mib"]
                    print(f"  round {round_index + 1} {name} {phase}: {result['seconds']:.0f} s",
                          file=sys.stderr)
            for name in order:
                runs[name].append({**times[name], **metrics_of(name, works[name])})
                print(f"  round {round_index + 1} {name}: {runs[name][-1]}", file=sys.stderr)
        finally:
            for work in works.values():
                shutil.rmtree(work, ignore_errors=True)

    print(f"\nChicago taxi, binary big_tipper, {args.rounds} interleaved round(s), "
          f"{machine()}: median (min-max)\n")
    print("| pipeline | eval rows | eval accuracy | eval AUC | cold s | cached s | "
          "peak MiB (cold) |")
    print("|---|---|---|---|---|---|---|")
    for name, results in runs.items():
        def cell(key, fmt):
            return spread([r[key] for r in results], fmt)
        print(f"| {TITLES[name]} | {median([r['eval_rows'] for r in results]):.0f} | "
              f"{cell('accuracy', '.4f')} | {cell('auc', '.4f')} | {cell('cold', '.0f')} | "
              f"{cell('cached', '.0f')} | {cell('cold_peak_mib', '.0f')} |")
    print("\nPer round: " + json.dumps(runs))


if __name__ == "__main__":
    main()
