"""DirectRunner settings by data size: cold pipeline runs under each setting, to find where more
workers (threads, or processes) start to pay.

    .venv/bin/python -m benchmarks.runner_modes [--rounds 2] [--settings ...] [--datasets ...]

Datasets are generated demo data (digits as PNG/JPEG); each run is a cold run of the whole
pipeline in a child process with a short training (the Trainer does not run on Beam). The table
reports wall time, the summed time of the Beam components (ingest, statistics, Transform,
Evaluator, from ML Metadata) and the peak memory of the process tree; medians over `--rounds`,
the settings of a dataset interleaved within each round.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

from benchmarks.common import machine, median, run_child
from benchmarks.end_to_end import component_seconds

BEAM_COMPONENTS = ("CsvImageExampleGen", "StatisticsGen", "Transform", "Evaluator")
SETTINGS = {  # name -> (running mode, workers; 0: one per core)
    "in_memory-1": ("in_memory", 1),
    "in_memory-per-core": ("in_memory", 0),
    "multi_processing-per-core": ("multi_processing", 0),
}
DATASETS = {  # name -> (rows, image sides in px)
    "demo": (1797, (8, 64)),
    "demo-x10": (17970, (8, 64)),
    "photo-size": (4000, (256, 768)),
}


def child(data: str, output_dir: str, mode: str, workers: int, train_steps: int) -> None:
    from pipeline import cli

    config_path = os.path.join(output_dir, "runner.yaml")
    with open(config_path, "w", encoding="utf-8") as handle:
        json.dump({"beam_direct_running_mode": mode, "beam_direct_num_workers": workers},
                  handle)  # JSON is YAML
    started = time.perf_counter()
    code = cli.main(["run", "--config", config_path, "--data-root", data, "--output-dir",
                     output_dir, "--train-steps", str(train_steps)])
    print(json.dumps({"seconds": time.perf_counter() - started, "exit": code}))


def run_once(data: str, mode: str, workers: int, train_steps: int):
    """(result of the child, Beam components' seconds) of one cold run."""
    output_dir = tempfile.mkdtemp(prefix="runner-bench-out-")
    try:
        result = run_child(["-m", "benchmarks.runner_modes", "--child", data, output_dir, mode,
                            str(workers), str(train_steps)])
        assert result["exit"] == 0, f"the run under {mode} with {workers} workers failed"
        return result, sum(component_seconds(output_dir).get(c, 0.0) for c in BEAM_COMPONENTS)
    finally:
        shutil.rmtree(output_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--settings", nargs="+", choices=list(SETTINGS), default=list(SETTINGS))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--train-steps", type=int, default=50)
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        data, output_dir, mode, workers, steps = args.child
        child(data, output_dir, mode, int(workers), int(steps))
        return

    from pipeline.datasets import demo_data
    from pipeline.config import load_config
    from pipeline.assembly import input_megabytes

    lines = ["| data | rows | input MB | setting | wall s | Beam components s | peak MiB |",
             "|---|---:|---:|---|---:|---:|---:|"]
    for name in args.datasets:
        rows, sizes = DATASETS[name]
        data = os.path.join(tempfile.gettempdir(), f"runner-bench-{rows}-{sizes[0]}-{sizes[1]}")
        demo_data.ensure(data, load_config().features(), rows=rows, sizes=sizes)
        runs = {label: [] for label in args.settings}
        for _ in range(args.rounds):
            for label in args.settings:
                runs[label].append(run_once(data, *SETTINGS[label], args.train_steps))
                print(f"  {name}, {label}: {runs[label][-1][1]:.1f} s", file=sys.stderr)
        for label, results in runs.items():
            lines.append(
                f"| {name} | {rows} | {input_megabytes(data):.0f} | {label} | "
                f"{median([r['seconds'] for r, _ in results]):.0f} | "
                f"{median([beam for _, beam in results]):.1f} | "
                f"{median([r['peak_mib'] for r, _ in results]):.0f} |")
    print(f"\nDirectRunner settings by data size, {machine()}, cold runs with "
          f"{args.train_steps} training steps, median of {args.rounds} interleaved rounds\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
