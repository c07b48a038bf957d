"""Ingestion throughput: the ingestion component vs. a naive single-process loop.

    .venv/bin/python -m benchmarks.ingest --images 10000             # photo-size, 256-768 px
    .venv/bin/python -m benchmarks.ingest --images 10000 --sizes 8 64  # the demo's tiny images

Both read the same CSV and image files (mixed sizes, PNG and JPEG, gray and RGB), check each image
with PIL, build tf.Examples and write gzipped TFRecords. The component runs as a pipeline run
configures it (`beam_direct_running_mode: auto`) and with each DirectRunner mode forced. Variants
run in child processes, interleaved over rounds; the table reports median images/s, the ratio to
the naive loop, and the peak resident memory of the whole process tree.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import sys
import tempfile
import time

from benchmarks.common import interleave, median

# variant -> (table label, config overrides); "auto" is what a pipeline run picks for the data.
COMPONENT_VARIANTS = {
    "auto": ("component, as the pipeline runs it (auto: {settings})", {}),
    "in_memory": ("component, in_memory, one worker per core",
                  {"beam_direct_running_mode": "in_memory", "beam_direct_num_workers": 0}),
    "multi_processing": ("component, multi_processing, one worker per core",
                         {"beam_direct_running_mode": "multi_processing",
                          "beam_direct_num_workers": 0}),
}


def naive_loop(data_root: str, out_dir: str) -> int:
    """The baseline: open and verify with PIL, build the tf.Example, write with TFRecordWriter."""
    import tensorflow as tf
    from PIL import Image

    written = 0
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(data_root, "data.csv"), newline="", encoding="utf-8") as handle, \
            tf.io.TFRecordWriter(os.path.join(out_dir, "naive.gz"), options="GZIP") as writer:
        for row in csv.DictReader(handle):
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
            writer.write(tf.train.Example(
                features=tf.train.Features(feature=feature)).SerializeToString())
            written += 1
    return written


def component(data_root: str, out_dir: str, variant: str) -> int:
    """The ingestion executor as the pipeline configures it, with the variant's Beam settings."""
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
                                   max_quarantine_fraction=config.max_quarantine_fraction)
    input_config, output_config = example_gen_configs("*.csv", None, 4, 1)
    examples = standard_artifacts.Examples()
    examples.uri = out_dir
    context = BaseBeamExecutor.Context(
        beam_pipeline_args=config.beam_pipeline_args(input_megabytes(data_root)),
        tmp_dir=os.path.join(out_dir, "tmp"))
    executor.Executor(context).Do({}, {"examples": [examples]}, {
        "input_base": data_root,
        "input_config": json_format.MessageToJson(input_config),
        "output_config": json_format.MessageToJson(output_config),
        "custom_config": json_format.MessageToJson(executor.settings_to_custom_config(settings)),
        "output_data_format": example_gen_pb2.FORMAT_TF_EXAMPLE,
        "output_file_format": example_gen_pb2.FORMAT_TFRECORDS_GZIP})
    return examples.get_int_custom_property("rows_ingested")


def child_main(args: argparse.Namespace) -> None:
    # Libraries load before the clock starts: the pipeline process has them loaded already.
    import tensorflow  # noqa: F401
    if args.variant != "naive":
        import components.ingest.executor  # noqa: F401

    out_dir = tempfile.mkdtemp(prefix="ingest-bench-")
    try:
        started = time.perf_counter()
        if args.variant == "naive":
            count = naive_loop(args.data, out_dir)
        else:
            count = component(args.data, out_dir, args.variant)
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    print(json.dumps({"seconds": seconds, "images": count}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
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
    variants = {name: ["-m", "benchmarks.ingest", "--variant", name, "--data", data]
                for name in ("naive", *COMPONENT_VARIANTS)}
    from pipeline.assembly import describe_direct_runner, input_megabytes

    auto_settings = describe_direct_runner(load_config(), input_megabytes(data))
    results = interleave(variants, args.rounds)
    naive_rate = args.images / median([r["seconds"] for r in results["naive"]])
    print(f"\nIngestion of {args.images} images of {args.sizes[0]}-{args.sizes[1]} px, "
          f"{os.cpu_count()} cores, median of {args.rounds} interleaved rounds\n")
    print("| variant | images/s | vs. naive loop | peak memory (MiB) |")
    print("|---|---:|---:|---:|")
    for name, runs in results.items():
        assert all(r["images"] == args.images for r in runs), f"{name} lost images"
        rate = args.images / median([r["seconds"] for r in runs])
        label = ("naive loop (PIL + TFRecordWriter)" if name == "naive"
                 else COMPONENT_VARIANTS[name][0].format(settings=auto_settings))
        print(f"| {label} | {rate:.0f} | {rate / naive_rate:.2f}x | "
              f"{median([r['peak_mib'] for r in runs]):.0f} |")


if __name__ == "__main__":
    main()
