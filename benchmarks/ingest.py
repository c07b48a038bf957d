"""Ingestion throughput: the ingestion component vs. naive baselines, single-process and parallel.

    .venv/bin/python -m benchmarks.ingest --images 10000             # photo-size, 256-768 px
    .venv/bin/python -m benchmarks.ingest --images 10000 --sizes 8 64  # the demo's tiny images

All read the same CSV and image files (mixed sizes, PNG and JPEG, gray and RGB), decode each image
(the baselines with PIL, the component with TensorFlow, as Transform will), build tf.Examples and
write gzipped TFRecords. The clock covers the work itself: the baselines' loop, the component's
`Executor.Do` (its settings, Beam arguments and input size are worked out before, as a pipeline
run works them out when it assembles the pipeline). Baselines: a single-process loop, and a
process pool of one worker per core that decodes, checks and serializes, feeding one writer (the
parallel script a competent engineer would write: the component uses every core too), writing
with TensorFlow's `TFRecordWriter` (zlib); and the same pool writing with the component's gzip
writer (ISA-L, `components/ingest/gzip_sink.py`), so the component is also compared at the same
compressor. The component runs as a pipeline run configures it (`beam_direct_running_mode:
auto`), and with the other DirectRunner settings where they differ from what auto picks.
Variants run in child processes, interleaved over rounds; the table reports images/s as median
(min-max) over rounds, and each ratio is the median (min-max) of the per-round ratios. CPU time
(user + system, the process and its waited-for children, over the timed section) per image and
divided by the wall time ("cores busy") show whether a variant does more work per image or
leaves cores idle; "output MB" is what the variant wrote (the same records: the compressors
differ in size).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import importlib
import io
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from typing import Callable

from benchmarks.common import interleave, load_average, machine, median, spread

# variant -> (table label, config overrides); "auto" is what a pipeline run picks for the data.
COMPONENT_VARIANTS = {
    "auto": ("component, as the pipeline runs it (auto: {settings})", {}),
    "in_memory": ("component, in_memory, one worker per core",
                  {"beam_direct_running_mode": "in_memory", "beam_direct_num_workers": 0}),
    "in_memory_one": ("component, in_memory, one worker",
                      {"beam_direct_running_mode": "in_memory", "beam_direct_num_workers": 1}),
    "multi_processing": ("component, multi_processing, one worker per core",
                         {"beam_direct_running_mode": "multi_processing",
                          "beam_direct_num_workers": 0}),
}

BASELINE_LABELS = {
    "naive": "naive loop, one process (PIL + TFRecordWriter)",
    "naive_parallel": "naive pool, one worker per core (PIL) + one writer",
    "naive_parallel_isal": "naive pool, one worker per core (PIL) + one ISA-L gzip writer",
}


def naive_example(data_root: str, row) -> bytes:
    """One CSV row -> a serialized tf.Example, after opening and decoding its image with PIL."""
    import tensorflow as tf
    from PIL import Image

    with open(os.path.join(data_root, row["image"]), "rb") as image_file:
        data = image_file.read()
    with Image.open(io.BytesIO(data)) as image:
        image.load()
    feature = {
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[data])),
        "z": tf.train.Feature(float_list=tf.train.FloatList(value=[float(row["z"])])),
        "pen": tf.train.Feature(bytes_list=tf.train.BytesList(value=[row["pen"].encode()])),
        "y": tf.train.Feature(float_list=tf.train.FloatList(value=[float(row["y"])])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _naive_worker_example(task) -> bytes:
    return naive_example(*task)


def naive_loop(data_root: str, out_dir: str, processes: int = 0, isal: bool = False) -> int:
    """The baselines: rows -> examples in this process (`processes` 0) or in a pool of that many
    forked workers, written in order by one gzipping writer: TensorFlow's `TFRecordWriter`, or
    with `isal` Beam's TFRecord framing into the component's ISA-L `GzipWriter`."""
    written = 0
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "naive.gz")
    with open(os.path.join(data_root, "data.csv"), newline="", encoding="utf-8") as handle, \
            _record_writer(path, isal) as write:
        tasks = ((data_root, row) for row in csv.DictReader(handle))
        if processes:
            pool = multiprocessing.get_context("fork").Pool(processes)
            examples = pool.imap(_naive_worker_example, tasks, chunksize=16)
        else:
            pool, examples = None, map(_naive_worker_example, tasks)
        for example in examples:
            write(example)
            written += 1
        if pool:
            pool.close()
            pool.join()
    return written


@contextlib.contextmanager
def _record_writer(path: str, isal: bool):
    """Yields a function writing one record to a gzipped TFRecord file at `path`."""
    import tensorflow as tf

    if not isal:
        with tf.io.TFRecordWriter(path, options="GZIP") as writer:
            yield writer.write
        return
    from apache_beam.io.tfrecordio import _TFRecordUtil

    from components.ingest.gzip_sink import GzipWriter

    writer = GzipWriter(open(path, "wb"))  # pylint: disable=consider-using-with
    try:
        yield functools.partial(_TFRecordUtil.write_record, writer)
    finally:
        writer.close()


def prepare_component(data_root: str, out_dir: str, variant: str) -> Callable[[], int]:
    """The ingestion executor's run as the pipeline configures it, with the variant's Beam
    settings: returns a call of `Executor.Do` (which returns the rows ingested). The settings, the
    Beam arguments and the input's size are worked out here, before the clock starts: a pipeline
    run works them out when it assembles the pipeline, not inside the component."""
    from google.protobuf import json_format
    from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
    from tfx.proto import example_gen_pb2
    from tfx.types import standard_artifacts

    from components.ingest import executor, rows
    from components.ingest.component import example_gen_configs
    from pipeline.config import load_config
    from pipeline.assembly import input_megabytes

    config = load_config(overrides=COMPONENT_VARIANTS[variant][1])
    settings = rows.IngestSettings(features=config.features(),
                                   max_image_pixels=config.max_image_pixels,
                                   max_quarantine_fraction=config.max_quarantine_fraction,
                                   image_channels=config.image_channels)
    input_config, output_config = example_gen_configs("*.csv", None, 4, 1)
    examples = standard_artifacts.Examples()
    examples.uri = out_dir
    context = BaseBeamExecutor.Context(
        beam_pipeline_args=config.beam_pipeline_args(input_megabytes(data_root)),
        tmp_dir=os.path.join(out_dir, "tmp"))
    exec_properties = {
        "input_base": data_root,
        "input_config": json_format.MessageToJson(input_config),
        "output_config": json_format.MessageToJson(output_config),
        "custom_config": json_format.MessageToJson(executor.settings_to_custom_config(settings)),
        "output_data_format": example_gen_pb2.FORMAT_TF_EXAMPLE,
        "output_file_format": example_gen_pb2.FORMAT_TFRECORDS_GZIP}

    def run() -> int:
        executor.Executor(context).Do({}, {"examples": [examples]}, exec_properties)
        return examples.get_int_custom_property("rows_ingested")

    return run


def child_main(args: argparse.Namespace) -> None:
    # Libraries load before the clock starts, for every variant: the pipeline process has them
    # loaded already (Beam's import alone is about 0.7 s here).
    modules = ["tensorflow", "PIL.Image"]
    if args.variant == "naive_parallel_isal":
        modules += ["apache_beam.io.tfrecordio", "components.ingest.gzip_sink"]
    elif not args.variant.startswith("naive"):
        modules.append("components.ingest.executor")
    for module in modules:
        importlib.import_module(module)

    out_dir = tempfile.mkdtemp(prefix="ingest-bench-")
    try:
        if args.variant == "naive":
            run = functools.partial(naive_loop, args.data, out_dir)
        elif args.variant.startswith("naive_parallel"):
            run = functools.partial(naive_loop, args.data, out_dir, processes=os.cpu_count(),
                                    isal=args.variant.endswith("isal"))
        else:
            run = prepare_component(args.data, out_dir, args.variant)
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        count = run()
        seconds = time.perf_counter() - started
        cpu_seconds = _cpu_seconds() - cpu_before
        output_bytes = sum(os.path.getsize(os.path.join(folder, name))
                           for folder, _, names in os.walk(out_dir) for name in names)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    print(json.dumps({"seconds": seconds, "images": count, "cpu_seconds": cpu_seconds,
                      "output_mb": output_bytes / 1e6}))


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its waited-for children so far."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs=2, default=(256, 768), metavar=("MIN", "MAX"),
                        help="image side in px (default: photo-size, 256 768; the demo: 8 64)")
    parser.add_argument("--data", help="reuse (or create) the benchmark data here")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        child_main(args)
        return

    from pipeline.datasets import demo_data
    from pipeline.config import load_config

    data = args.data or os.path.join(
        tempfile.gettempdir(), f"ingest-bench-{args.images}-{args.sizes[0]}-{args.sizes[1]}")
    if demo_data.ensure(data, load_config().features(), rows=args.images,
                        sizes=tuple(args.sizes)):
        print(f"generated {args.images} rows in {data}", file=sys.stderr)
    from pipeline.assembly import describe_direct_runner, input_megabytes

    auto_settings = describe_direct_runner(load_config(), input_megabytes(data))
    component_variants = [  # a forced setting that equals auto's would be a duplicate row
        name for name, (_, overrides) in COMPONENT_VARIANTS.items() if name == "auto" or
        describe_direct_runner(load_config(overrides=overrides), input_megabytes(data))
        != auto_settings]
    variants = {name: ["-m", "benchmarks.ingest", "--variant", name, "--data", data]
                for name in (*BASELINE_LABELS, *component_variants)}
    load_before = load_average()
    results = interleave(variants, args.rounds)
    print(f"\nIngestion of {args.images} images of {args.sizes[0]}-{args.sizes[1]} px, "
          f"{machine()}, median (min-max) of {args.rounds} interleaved rounds; load "
          f"average {load_before} before, {load_average()} after\n")
    print("| variant | images/s | CPU ms per image | cores busy | output MB | peak memory (MiB) |")
    print("|---|---:|---:|---:|---:|---:|")
    rates = {}
    for name, runs in results.items():
        assert all(r["images"] == args.images for r in runs), f"{name} lost images"
        rates[name] = [args.images / r["seconds"] for r in runs]
        label = BASELINE_LABELS.get(name) or COMPONENT_VARIANTS[name][0].format(
            settings=auto_settings)
        cpu_ms = [1000 * r["cpu_seconds"] / r["images"] for r in runs]
        busy = [r["cpu_seconds"] / r["seconds"] for r in runs]
        print(f"| {label} | {spread(rates[name], '.0f')} | {spread(cpu_ms, '.1f')} | "
              f"{spread(busy, '.2f')} | {median([r['output_mb'] for r in runs]):.1f} | "
              f"{median([r['peak_mib'] for r in runs]):.0f} |")
    print()
    for name in component_variants:
        for baseline in BASELINE_LABELS:
            ratios = [a / b for a, b in zip(rates[name], rates[baseline])]
            print(f"- {COMPONENT_VARIANTS[name][0].format(settings=auto_settings)} / "
                  f"{BASELINE_LABELS[baseline]}: {median(ratios):.2f}x "
                  f"(per round {min(ratios):.2f}-{max(ratios):.2f}x)")


if __name__ == "__main__":
    main()
