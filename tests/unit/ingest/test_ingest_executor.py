"""The ingestion executor as TFX runs it: splits, key splits, pre-split inputs, class folders,
the quarantine limit, both DirectRunner modes, and its settings passed as custom_config."""

import collections
import json
import glob
import os
import re
import shutil

import pytest
import tensorflow as tf
from google.protobuf import json_format, struct_pb2
from PIL import Image
from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
from tfx.components.util import examples_utils
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_artifacts

import schemas
from components.ingest import executor, ingest_report, rows
from components.ingest.component import example_gen_configs
from pipeline.datasets import demo_data


def run_executor(tmp_path, data_root, settings, input_config, output_config, beam_args=()):
    """Runs Executor.Do outside any orchestrator; returns the Examples artifact."""
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "out" / "examples" / "1")  # as TFX lays it out
    exec_properties = {
        "input_base": str(data_root),
        "input_config": json_format.MessageToJson(input_config),
        "output_config": json_format.MessageToJson(output_config),
        "custom_config": json_format.MessageToJson(executor.settings_to_custom_config(settings)),
        "output_data_format": example_gen_pb2.FORMAT_TF_EXAMPLE,
        "output_file_format": example_gen_pb2.FORMAT_TFRECORDS_GZIP,
    }
    context = BaseBeamExecutor.Context(beam_pipeline_args=list(beam_args),
                                       tmp_dir=str(tmp_path / "tmp"))
    executor.Executor(context).Do({}, {"examples": [examples]}, exec_properties)
    return examples


def read_split(examples, split):
    files = glob.glob(os.path.join(examples.uri, f"Split-{split}", "*.gz"))
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP")
    return [tf.train.Example.FromString(record.numpy()) for record in dataset]


def settings_for(features, **kwargs):
    return rows.IngestSettings(features=features, max_image_pixels=10**6,
                               max_quarantine_fraction=kwargs.pop("limit", 0.01), image_channels=1,
                               **kwargs)


@pytest.mark.parametrize("mode", ["in_memory", "multi_processing"])
def test_hash_split_in_both_direct_runner_modes(tmp_path, tiny_demo_data, digits_features, mode):
    configs = example_gen_configs("*.csv", None, train_buckets=3, eval_buckets=1)
    examples = run_executor(tmp_path, tiny_demo_data, settings_for(digits_features), *configs,
                            beam_args=[f"--direct_running_mode={mode}", "--direct_num_workers=2"])
    train, evaluation = read_split(examples, "train"), read_split(examples, "eval")
    assert len(train) + len(evaluation) == 60
    assert 30 <= len(train) <= 55
    assert examples.get_int_custom_property("rows_read") == 60
    assert examples.get_int_custom_property("rows_ingested") == 60
    assert examples.get_int_custom_property("rows_quarantined") == 0
    # What TFX's readers of the artifact expect from ExampleGen (the write step is ours).
    assert artifact_utils.decode_split_names(examples.split_names) == ["train", "eval"]
    assert examples_utils.get_payload_format(examples) == example_gen_pb2.FORMAT_TF_EXAMPLE
    assert examples_utils.get_file_format(examples) == "tfrecords_gzip"
    assert all(os.path.basename(path).startswith("data_tfrecord-")
               for path in glob.glob(os.path.join(examples.uri, "Split-*", "*")))


REQUIRED = "presence { min_fraction: 1 }"
KEYED_SCHEMA = f"""
feature {{ name: "image" type: BYTES image_domain {{}} {REQUIRED} }}
feature {{ name: "z" type: FLOAT {REQUIRED} }}
feature {{ name: "pen" type: BYTES domain: "pen" {REQUIRED} }}
feature {{ name: "y" type: FLOAT annotation {{ tag: "label" }} {REQUIRED} }}
feature {{ name: "group" type: BYTES annotation {{ tag: "key" }} {REQUIRED} }}
string_domain {{ name: "pen" value: "a" value: "b" value: "c" }}
"""


def test_split_on_key_keeps_groups_together(tmp_path, tiny_demo_data):
    schema_path = tmp_path / "schema.pbtxt"
    schema_path.write_text(KEYED_SCHEMA)
    features = schemas.load_feature_set(str(schema_path))
    assert features.get("group").role is schemas.Role.KEY
    assert [f.name for f in features.inputs] == ["image", "z", "pen"]
    data_root = tmp_path / "data"
    shutil.copytree(tiny_demo_data, data_root)
    lines = (data_root / demo_data.CSV_NAME).read_text().splitlines()
    keyed = [lines[0] + ",group"] + [f"{line},g{i % 12}" for i, line in enumerate(lines[1:])]
    (data_root / demo_data.CSV_NAME).write_text("\n".join(keyed) + "\n")

    configs = example_gen_configs("*.csv", None, 1, 1, split_key="group")
    examples = run_executor(tmp_path, data_root, settings_for(features), *configs)
    splits_of_group = collections.defaultdict(set)
    for split in ("train", "eval"):
        for example in read_split(examples, split):
            splits_of_group[example.features.feature["group"].bytes_list.value[0]].add(split)
    assert len(splits_of_group) == 12
    assert all(len(splits) == 1 for splits in splits_of_group.values())
    assert {s for splits in splits_of_group.values() for s in splits} == {"train", "eval"}


def test_pre_split_inputs(tmp_path, digits_features):
    data_root = tmp_path / "data"
    demo_data.generate(str(data_root), digits_features, rows=7, subdir="train")
    demo_data.generate(str(data_root), digits_features, rows=3, subdir="eval", seed=1)
    configs = example_gen_configs("unused", {"train": "train/*.csv", "eval": "eval/*.csv"}, 1, 1)
    examples = run_executor(tmp_path, data_root, settings_for(digits_features), *configs)
    assert (len(read_split(examples, "train")), len(read_split(examples, "eval"))) == (7, 3)
    assert examples.get_int_custom_property("rows_read") == 10


CLASS_SCHEMA = f"""
feature {{ name: "picture" type: BYTES image_domain {{}} {REQUIRED} }}
feature {{ name: "kind" type: BYTES domain: "kind" annotation {{ tag: "label" }} {REQUIRED} }}
string_domain {{ name: "kind" value: "cat" value: "dog" }}
"""


def test_class_folders_label_is_the_folder(tmp_path):
    schema_path = tmp_path / "schema.pbtxt"
    schema_path.write_text(CLASS_SCHEMA)
    features = schemas.load_feature_set(str(schema_path))
    data_root = tmp_path / "data"
    for kind, count in (("cat", 3), ("dog", 2)):
        (data_root / kind).mkdir(parents=True)
        for index in range(count):
            Image.new("L", (5, 5), color=index * 40).save(data_root / kind / f"{index}.png")
    (data_root / "dog" / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    configs = example_gen_configs("*/*", None, 1, 1)
    examples = run_executor(tmp_path, data_root,
                            settings_for(features, layout="class_folders", limit=0.5), *configs)
    labels = [e.features.feature["kind"].bytes_list.value[0]
              for split in ("train", "eval") for e in read_split(examples, split)]
    assert sorted(labels) == [b"cat", b"cat", b"cat", b"dog", b"dog"]
    assert examples.get_int_custom_property("rows_quarantined") == 1
    [report] = glob.glob(os.path.join(examples.uri, executor.REPORT_DIR_NAME, "*.jsonl"))
    with open(report) as handle:
        assert '"reason": "unreadable image"' in handle.read()


def test_over_limit_quarantine_fails_the_run(tmp_path, tiny_demo_data, digits_features):
    data_root = tmp_path / "data"
    shutil.copytree(tiny_demo_data, data_root)
    for name in sorted(os.listdir(data_root / demo_data.IMAGES_DIR))[:2]:
        os.remove(data_root / demo_data.IMAGES_DIR / name)
    configs = example_gen_configs("*.csv", None, 1, 1)
    with pytest.raises(executor.QuarantineLimitError,
                       match=r"2 of 60 rows \(3.3%\) were quarantined, over the limit of 1.0% "
                             r"\(max_quarantine_fraction in the config\); most often image: "
                             r"missing image file \(2 rows\); reasons are in (\S+)$") as failure:
        run_executor(tmp_path, data_root, settings_for(digits_features), *configs)
    kept = re.search(r"reasons are in (\S+)$", str(failure.value)).group(1)
    # outside the Examples artifact, which TFX deletes when the execution fails
    assert kept == str(tmp_path / "out" / ingest_report.FAILED_REPORTS_DIR_NAME / "1")
    [records] = glob.glob(os.path.join(kept, "*.jsonl"))
    with open(records) as handle:
        assert [json.loads(line)["reason"] for line in handle] == ["missing image file"] * 2


def test_quarantine_share_limit():
    kept = []

    def keep_report():
        kept.append("kept")
        return "kept/1"

    executor.check_quarantine_share(
        {"rows_read": 100, "rows_ingested": 99, "rows_quarantined": 1}, 0.01, keep_report)
    assert kept == []  # under the limit: nothing copied
    with pytest.raises(executor.QuarantineLimitError,
                       match=r"2 of 100 rows \(2.0%\).*limit of 1.0% \(max_quarantine_fraction in "
                             r"the config\); reasons are in kept/1$"):
        executor.check_quarantine_share(
            {"rows_read": 100, "rows_ingested": 98, "rows_quarantined": 2}, 0.01, keep_report)
    with pytest.raises(executor.QuarantineLimitError, match="empty"):
        executor.check_quarantine_share(
            {"rows_read": 0, "rows_ingested": 0, "rows_quarantined": 0}, 0.01, keep_report)


def test_settings_round_trip_through_custom_config(ingest_settings):
    config = executor.settings_to_custom_config(ingest_settings)
    exec_properties = {"custom_config": json_format.MessageToJson(config)}
    assert executor.settings_from_exec_properties(exec_properties) == ingest_settings


def test_settings_compiled_before_image_channels_decode_to_three_channels(ingest_settings):
    """A Kubeflow spec compiled before the setting existed (its custom_config lacks it) ran
    into a KeyError on a newer image; three channels refuse no image, as decoding did then."""
    import dataclasses

    old = ingest_settings.to_dict()
    del old["image_channels"]
    struct = struct_pb2.Struct()
    struct.update(old)
    config = example_gen_pb2.CustomConfig()
    config.custom_config.Pack(struct)
    settings = executor.settings_from_exec_properties(
        {"custom_config": json_format.MessageToJson(config)})
    assert settings == dataclasses.replace(ingest_settings, image_channels=3)


def test_list_csv_files_reports_empty_pattern(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"\*\.csv matches no file"):
        executor.list_csv_files(str(tmp_path), "*.csv")


def test_extra_columns_are_ignored_and_named_once(tmp_path, tiny_demo_data, digits_features,
                                                  caplog):
    import csv
    import json
    import logging

    data_root = tmp_path / "data"
    shutil.copytree(tiny_demo_data, data_root)
    path = data_root / demo_data.CSV_NAME
    with open(path, newline="") as handle:
        table = list(csv.DictReader(handle))
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, ["note", *table[0], "id"])
        writer.writeheader()
        writer.writerows(dict(r, note="n", id=str(i)) for i, r in enumerate(table))
    caplog.set_level(logging.INFO, logger="absl")  # absl's own level: an earlier job may raise it
    examples = run_executor(tmp_path, data_root, settings_for(digits_features),
                            *example_gen_configs("*.csv", None, 1, 1))
    assert examples.get_int_custom_property("rows_ingested") == 60
    first = read_split(examples, "train")[0]
    assert sorted(first.features.feature) == ["image", "pen", "y", "z"]
    with open(os.path.join(examples.uri, executor.REPORT_DIR_NAME,
                           executor.IGNORED_COLUMNS_FILE)) as handle:
        assert json.load(handle) == {"note": [str(path)], "id": [str(path)]}
    logged = [r.getMessage() for r in caplog.records if "Ignoring CSV columns" in r.getMessage()]
    assert logged == [
        f"Ignoring CSV columns the schema does not use: note, id (in {demo_data.CSV_NAME})"]


def test_ignored_columns_name_up_to_three_files_then_count_them(tmp_path, caplog):
    """The log line names the files holding unused columns, relative to the data root (the
    pattern alone did not say which of several CSVs had them); from four on it counts them."""
    import logging

    caplog.set_level(logging.INFO, logger="absl")
    for count, where in ((3, "a0.csv, a1.csv, sub/a2.csv"), (4, "4 files matching **.csv")):
        ignored = {f"/data/{'sub/' if index == 2 else ''}a{index}.csv": ["note"]
                   for index in range(count)}
        ignored["/data/clean.csv"] = []
        caplog.clear()
        executor.report_ignored_columns(ignored, str(tmp_path / f"report{count}"), "**.csv",
                                        "/data")
        assert [r.getMessage() for r in caplog.records] == [
            f"Ignoring CSV columns the schema does not use: note (in {where})"]
