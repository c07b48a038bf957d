"""End-to-end pipeline time: cold and repeated runs of the demo data and of a 10x larger
generated dataset, with per-component times (from ML Metadata) and peak memory.

    .venv/bin/python -m benchmarks.end_to_end --rows 1797 17970 --cold-runs 3 --cached-runs 3

Each run is a child process (the CLI's `run`), timed as a whole process from start to exit
(interpreter start-up and imports included); peak memory covers its whole process tree.
`--cold-runs` cold runs, each into a fresh output directory, give the cold row (median
(min-max); component columns from the last). After the last cold run, `--cached-runs` rounds
each run the pipeline again with nothing changed, twice, in alternating order: plainly
(skipped before TFX is imported: pipeline/runners/up_to_date.py) and with `--recheck` (through
TFX's runner, every component from its cache); their rows give the median (min-max). The
"imports only" row is a process that imports TFX's local runner and the DAG's modules and
exits: what any run through TFX cannot avoid. The reference point measured on this machine is
TFX's own penguin example: 87 s cold and 18 s cached for 334 tabular rows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

from benchmarks.common import load_average, machine, median, run_child, spread

COMPONENTS = ("CsvImageExampleGen", "StatisticsGen", "ExampleValidator", "DataGate",
              "Transform", "Trainer", "Evaluator", "Pusher")
SHORT = {"CsvImageExampleGen": "ingest", "ExampleValidator": "validate", "DataGate": "gate",
         "StatisticsGen": "stats"}


def component_seconds(output_dir: str) -> dict:
    """Seconds per component of the latest run, from its MLMD executions."""
    from pipeline.config import load_config
    from pipeline.reporting.summary import open_store, pipeline_runs

    config = load_config(overrides={"output_dir": output_dir})
    store = open_store(config.metadata_path)
    run = pipeline_runs(store, config.pipeline_name)[-1]
    seconds = {}
    for execution in store.get_executions_by_context(run.id):
        names = [c.name.split(".", 1)[1] for c in store.get_contexts_by_execution(execution.id)
                 if c.type == "node"]
        if names:
            seconds[names[0]] = (execution.last_update_time_since_epoch
                                 - execution.create_time_since_epoch) / 1000.0
    return seconds


REPEATS = {"unchanged (skipped)": [], "fully cached (--recheck)": ["--recheck"]}


def child(data: str, output_dir: str, *flags: str) -> None:
    from pipeline import cli

    started = time.perf_counter()
    code = cli.main(["run", "--data-root", data, "--output-dir", output_dir, *flags])
    print(json.dumps({"seconds": time.perf_counter() - started, "exit": code}))


def imports_child() -> None:
    """Imports what any run, even a fully cached one, needs (TFX's local runner and the DAG's
    modules), then exits: the floor under a cached run's process time."""
    started = time.perf_counter()
    import pipeline.dag  # noqa: F401
    import pipeline.runners.local  # noqa: F401
    from tfx.orchestration.local import local_dag_runner  # noqa: F401

    print(json.dumps({"seconds": time.perf_counter() - started, "exit": 0}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1797, 17970])
    parser.add_argument("--cold-runs", type=int, default=1)
    parser.add_argument("--cached-runs", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("DATA", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--recheck", action="store_true", help=argparse.SUPPRESS)  # children
    parser.add_argument("--imports-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, *(["--recheck"] if args.recheck else []))
        return
    if args.imports_child:
        imports_child()
        return

    from pipeline.datasets import demo_data
    from pipeline.config import load_config

    load_before = load_average()
    header = "| rows | run | process wall s | peak MiB | " + " | ".join(
        SHORT.get(c, c.lower()) for c in COMPONENTS) + " |"
    lines = [header, "|" + "---|" * (4 + len(COMPONENTS))]
    for rows in args.rows:
        data = os.path.join(tempfile.gettempdir(), f"pipeline-bench-{rows}")
        demo_data.ensure(data, load_config().features(), rows=rows)
        output_dir = ""

        def run(label: str, flags) -> dict:
            result = run_child(["-m", "benchmarks.end_to_end", "--child", data, output_dir,
                                *flags])
            assert result["exit"] == 0, f"a {label} run of {rows} rows failed"
            return result

        def row(label: str, results, components: str) -> None:
            lines.append(f"| {rows} | {label} | "
                         f"{spread([r['process_seconds'] for r in results], '.1f')} | "
                         f"{median([r['peak_mib'] for r in results]):.0f} | {components} |")
            print(lines[-1], file=sys.stderr)

        def last_run_components() -> str:
            per = component_seconds(output_dir)
            return " | ".join(f"{per.get(c, 0):.1f}" for c in COMPONENTS)

        try:
            colds = []
            for _ in range(args.cold_runs):
                shutil.rmtree(output_dir, ignore_errors=True)
                output_dir = tempfile.mkdtemp(prefix="pipeline-bench-out-")
                colds.append(run("cold", []))
            row("cold", colds, last_run_components())
            results = {label: [] for label in REPEATS}
            for round_ in range(args.cached_runs):
                for label in list(REPEATS)[::1 if round_ % 2 == 0 else -1]:
                    results[label].append(run(label, REPEATS[label]))
            for label, flags in REPEATS.items():
                row(label, results[label], last_run_components() if flags
                    else " | ".join("-" for _ in COMPONENTS))
        finally:
            shutil.rmtree(output_dir, ignore_errors=True)
    imports = [run_child(["-m", "benchmarks.end_to_end", "--imports-child"])
               for _ in range(args.cached_runs)]
    lines.append(f"| - | imports only | {spread([r['process_seconds'] for r in imports], '.1f')}"
                 f" | {median([r['peak_mib'] for r in imports]):.0f} | "
                 + " | ".join("-" for _ in COMPONENTS) + " |")
    print(f"\nPipeline runs, {machine()}; median (min-max) of {args.cold_runs} cold "
          f"runs and of {args.cached_runs} interleaved repeated runs each; component columns: "
          "seconds of the last run through TFX (- : nothing ran); load average "
          f"{load_before} before, {load_average()} after\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
