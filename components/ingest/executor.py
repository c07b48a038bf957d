"""Executor of the ingestion component: TFX's file-based ExampleGen with a CSV + images reader.

Splits, spans and versions, output format and the split hashing come from
`BaseExampleGenExecutor`; this executor supplies the row-to-example PTransform, writes each split
in the stage that converts its rows (see `WriteExamples`) and, after the Beam job, records the
counts on the Examples artifact and enforces the quarantine limit (keeping the quarantine
records of a run it fails where TFX does not delete them).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from typing import Any, Callable, Dict, List

import apache_beam as beam
from absl import logging
from google.protobuf import json_format, struct_pb2
from tfx.components.example_gen import utils as example_gen_utils
from tfx.components.example_gen import write_split
from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor
from tfx.components.util import examples_utils
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_component_specs

from components.errors import DataError
from components.ingest import beam_transforms, csv_files, gzip_sink, rows
from components.ingest.ingest_report import common_reasons, keep_failed_report, read_counts
from schemas import IMAGE_SUFFIXES

REPORT_DIR_NAME = "ingest_report"
IGNORED_COLUMNS_FILE = "ignored-columns.json"
_REPORT_DIR_KEY = "_ingest_report_dir"
COUNT_KEYS = ("rows_read", "rows_ingested", "rows_quarantined")
FILES_NAMED = 3  # CSV files named in the ignored-columns log line (more are counted)


class QuarantineLimitError(DataError):
    """Too large a share of the rows was quarantined."""


class NoInputFilesError(DataError, FileNotFoundError):
    """An input pattern matches no file."""


def settings_to_custom_config(settings: rows.IngestSettings) -> example_gen_pb2.CustomConfig:
    """Packs ingestion settings into ExampleGen's `custom_config` property."""
    struct = struct_pb2.Struct()
    struct.update(settings.to_dict())
    config = example_gen_pb2.CustomConfig()
    config.custom_config.Pack(struct)
    return config


def settings_from_exec_properties(exec_properties: Dict[str, Any]) -> rows.IngestSettings:
    """Unpacks the settings that `settings_to_custom_config` packed."""
    raw = exec_properties.get(standard_component_specs.CUSTOM_CONFIG_KEY)
    if not raw:
        raise ValueError("the ingestion component needs custom_config with its settings")
    config = example_gen_pb2.CustomConfig()
    json_format.Parse(raw, config) if isinstance(raw, str) else config.CopyFrom(raw)
    struct = struct_pb2.Struct()
    if not config.custom_config.Unpack(struct):
        raise ValueError("custom_config of the ingestion component must pack a Struct")
    return rows.IngestSettings.from_dict(json_format.MessageToDict(struct))


def list_csv_files(data_root: str, pattern: str) -> List[str]:
    """The CSV files a split pattern matches; an empty match is an error naming the pattern."""
    import tensorflow as tf

    full_pattern = posixpath.join(data_root, pattern)
    files = sorted(tf.io.gfile.glob(full_pattern))
    if not files:
        raise NoInputFilesError(f"input pattern {full_pattern} matches no file")
    return files


def list_class_folder_images(data_root: str, pattern: str) -> List[str]:
    """The PNG/JPEG files a class-folder pattern matches (default `*/*`: `<class>/<image>`);
    other files (notes, thumbnails databases) are not rows. None found is an error naming the
    layout, the data root and the pattern."""
    import tensorflow as tf

    images = sorted(path for path in tf.io.gfile.glob(posixpath.join(data_root, pattern))
                    if path.lower().endswith(IMAGE_SUFFIXES))
    if not images:
        raise NoInputFilesError(
            f"layout class_folders: no PNG/JPEG image under data root {data_root} matches "
            f"input_pattern {pattern!r} (expected <data_root>/<class>/<image>.png|jpg|jpeg)")
    return images


@beam.ptransform_fn
def _CsvImagesToExample(pipeline, exec_properties: Dict[str, Any], split_pattern: str):  # pylint: disable=invalid-name
    """ExampleGen's input PTransform: one input split pattern -> tf.Examples.

    Input files are listed before the Beam job starts: CSV headers are checked (a wrong set of
    columns fails fast), class-folder images are filtered by suffix.
    """
    settings = settings_from_exec_properties(exec_properties)
    data_root = exec_properties[standard_component_specs.INPUT_BASE_KEY]
    output_config = example_gen_pb2.Output()
    json_format.Parse(exec_properties[standard_component_specs.OUTPUT_CONFIG_KEY], output_config)
    # ExampleGen splits serialized records as they are, except on a key feature.
    serialize = not output_config.split_config.partition_feature_name
    if settings.layout == rows.LAYOUT_CLASS_FOLDERS:
        outputs = pipeline | "Ingest" >> beam_transforms.IngestClassFolders(
            list_class_folder_images(data_root, split_pattern), settings, data_root, serialize)
    else:
        files = list_csv_files(data_root, split_pattern)
        ignored = {path: csv_files.check_columns(
            path, csv_files.read_header(path, settings.max_line_bytes), settings.features)
            for path in files}
        report_ignored_columns(ignored, exec_properties[_REPORT_DIR_KEY], split_pattern,
                               data_root)
        outputs = (pipeline
                   | "ListFiles" >> beam.Create(files)
                   | "Ingest" >> beam_transforms.IngestCsvFiles(settings, data_root, serialize))
    name = hashlib.sha1(split_pattern.encode()).hexdigest()[:10]
    _ = ({tag: outputs[tag] for tag in (beam_transforms.QUARANTINE_TAG, beam_transforms.COUNTS_TAG)}
         | "Report" >> beam_transforms.WriteIngestReport(exec_properties[_REPORT_DIR_KEY], name))
    return outputs[beam_transforms.EXAMPLES_TAG]


def report_ignored_columns(ignored: Dict[str, List[str]], report_dir: str,
                           split_pattern: str, data_root: str) -> None:
    """Names, once per input pattern, the CSV columns the schema does not list (or lists as
    unused): one log line naming the files that hold them (up to FILES_NAMED, relative to the
    data root; more are counted against the pattern), and `ignored-columns.json` (column ->
    files) in the ingest report."""
    import tensorflow as tf

    by_column: Dict[str, List[str]] = {}
    for path, columns in ignored.items():
        for column in columns:
            by_column.setdefault(column, []).append(path)
    if not by_column:
        return
    holding = sorted({path for paths in by_column.values() for path in paths})
    where = (", ".join(csv_files.relative_to_root(path, data_root) for path in holding)
             if len(holding) <= FILES_NAMED else f"{len(holding)} files matching {split_pattern}")
    logging.info("Ignoring CSV columns the schema does not use: %s (in %s)",
                 ", ".join(by_column), where)
    path = posixpath.join(report_dir, IGNORED_COLUMNS_FILE)
    previous: Dict[str, List[str]] = {}
    if tf.io.gfile.exists(path):  # pre-split inputs: one pattern after another
        with tf.io.gfile.GFile(path) as handle:
            previous = json.load(handle)
    for column, paths in by_column.items():
        previous[column] = sorted(set(previous.get(column, [])) | set(paths))
    tf.io.gfile.makedirs(report_dir)
    beam_transforms.write_json_file(previous, path)


def check_quarantine_share(counts: Dict[str, int], limit: float,
                           keep_report: Callable[[], str]) -> None:
    """Raises QuarantineLimitError when more than `limit` of the rows read were quarantined,
    naming the folder `keep_report()` returns, where the quarantine records stay."""
    if counts["rows_read"] == 0:
        raise QuarantineLimitError("no data rows were read: the input CSV files are empty")
    share = counts["rows_quarantined"] / counts["rows_read"]
    if share > limit:
        kept = keep_report()
        reasons = common_reasons(kept)
        raise QuarantineLimitError(
            f"{counts['rows_quarantined']} of {counts['rows_read']} rows ({share:.1%}) were "
            f"quarantined, over the limit of {limit:.1%} (max_quarantine_fraction in the config)"
            + (f"; most often {reasons}" if reasons else "") + f"; reasons are in {kept}")


@beam.ptransform_fn
def WriteExamples(examples, split_uri: str):  # pylint: disable=invalid-name
    """One split's examples -> gzipped TFRecord files in `split_uri`, ExampleGen's file names.

    TFX's own `WriteSplit` reshuffles every example before writing. That shuffle is a barrier (no
    example is written until every image is converted) and moves all image bytes once more; here
    the rows were already shuffled and spread over the workers before conversion
    (`beam_transforms.ShuffleRows`), so each worker compresses and writes the examples it
    converts, in the same stage, and no runner holds every converted image at once. The files
    are gzipped by ISA-L (`gzip_sink`), not Beam's zlib.
    """
    return (examples
            | "MaybeSerialize" >> beam.ParDo(write_split.MaybeSerialize())
            | "Write" >> beam.io.Write(gzip_sink.GzipTFRecordSink(
                posixpath.join(split_uri, write_split.DEFAULT_TF_RECORD_FILE_NAME))))


class Executor(BaseExampleGenExecutor):
    """Ingests CSV rows and their image files, writes the splits, records the counts and enforces
    the quarantine limit."""

    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
        return _CsvImagesToExample

    def Do(self, input_dict, output_dict, exec_properties) -> None:
        settings = settings_from_exec_properties(exec_properties)
        examples = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.EXAMPLES_KEY])
        report_dir = posixpath.join(examples.uri, REPORT_DIR_NAME)
        self._generate_examples(output_dict, dict(exec_properties,
                                                  **{_REPORT_DIR_KEY: report_dir}))

        counts = read_counts(report_dir)
        for key in COUNT_KEYS:
            examples.set_int_custom_property(key, counts[key])
        examples.set_string_custom_property("ingest_report_dir", report_dir)
        logging.info("Ingested %d of %d rows; %d quarantined (%s).", counts["rows_ingested"],
                     counts["rows_read"], counts["rows_quarantined"], report_dir)
        check_quarantine_share(counts, settings.max_quarantine_fraction,
                               lambda: keep_failed_report(report_dir, examples.uri))

    def _generate_examples(self, output_dict, exec_properties) -> None:
        """`BaseExampleGenExecutor.Do` with `WriteExamples` in place of TFX's `WriteSplit`."""
        input_config = example_gen_pb2.Input()
        json_format.Parse(exec_properties[standard_component_specs.INPUT_CONFIG_KEY],
                          input_config)
        output_config = example_gen_pb2.Output()
        json_format.Parse(exec_properties[standard_component_specs.OUTPUT_CONFIG_KEY],
                          output_config)
        examples = output_dict[standard_component_specs.EXAMPLES_KEY]
        artifact_utils.get_single_instance(examples).split_names = (
            artifact_utils.encode_split_names(
                example_gen_utils.generate_output_split_names(input_config, output_config)))
        with self._make_beam_pipeline() as pipeline:
            for split_name, split in self.GenerateExamplesByBeam(pipeline,
                                                                 exec_properties).items():
                _ = split | f"WriteSplit[{split_name}]" >> WriteExamples(
                    artifact_utils.get_split_uri(examples, split_name))
        for artifact in examples:
            examples_utils.set_payload_format(
                artifact, exec_properties[standard_component_specs.OUTPUT_DATA_FORMAT_KEY])
            examples_utils.set_file_format(artifact, write_split.to_file_format_str(
                exec_properties.get(standard_component_specs.OUTPUT_FILE_FORMAT_KEY,
                                    example_gen_pb2.FILE_FORMAT_UNSPECIFIED)))
