"""Ingestion as Beam PTransforms: rows read, shuffled, chunked and converted by `rows.py`, with
the quarantine records and counts written beside the examples."""

from __future__ import annotations

import hashlib
import json
import posixpath
from typing import Any, Dict, Tuple

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from components.ingest.csv_files import class_folder_row, iter_csv_records, relative_to_root
from components.ingest.rows import (IngestSettings, RowRejected, quarantine_record,
                                    row_to_example)

EXAMPLES_TAG = "examples"
QUARANTINE_TAG = "quarantine"
COUNTS_TAG = "counts"
ROWS_PER_CHUNK = 64  # rows per Beam element converted in one call
# Rows are shuffled by spreading them over this many groups (ShuffleRows). More groups would mix
# small inputs less (a group's place in the output follows its first row); fewer would cap how
# many workers of a distributed runner convert at once (one group goes to one worker).
SHUFFLE_GROUPS = 256


def located_csv_rows(path: str, max_line_bytes: int):
    """CSV path -> (path, line, row, None) per data row and (path, line, None, RowRejected) per
    unreadable line; streamed."""
    for line, row, rejection in iter_csv_records(path, max_line_bytes):
        yield path, line, row, rejection


def shuffle_position(located_row, data_root: str) -> Tuple[int, int]:
    """(group, rank) of a located row in `ShuffleRows`, both from a hash of its line and its
    source relative to the data root (so the order does not depend on where the data lies)."""
    source, line = relative_to_root(located_row[0], data_root), located_row[1]
    digest = hashlib.blake2b(f"{source}\0{line}".encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % SHUFFLE_GROUPS, value // SHUFFLE_GROUPS


def _keyed_by_shuffle_position(located_row, data_root: str):
    group, rank = shuffle_position(located_row, data_root)
    return group, (rank, located_row)


def _in_rank_order(group):
    _, ranked_rows = group
    return [located_row for _, located_row in sorted(ranked_rows, key=lambda pair: pair[0])]


@beam.ptransform_fn
def ShuffleRows(located_rows, data_root: str):  # pylint: disable=invalid-name
    """Located rows -> chunks (lists) of up to ROWS_PER_CHUNK rows, in an order unrelated to the
    input's: each row joins one of SHUFFLE_GROUPS groups by a hash of its source and line, and
    each group is emitted in hash order, so every chunk samples the whole input (once the input
    has a few thousand rows; smaller ones fit the Trainer's shuffle buffer whole anyway).

    Beam's `Reshuffle` redistributes elements but keeps their order on DirectRunner (its grouping
    keeps insertion order), so rows sorted by class (the class-folders layout, a CSV written by a
    folder walk) would reach the TFRecords, and training, sorted. Rows, not images, are shuffled
    here, before conversion; the order is the same on every run, runner and machine.
    """
    return (located_rows
            | "KeyByHash" >> beam.Map(_keyed_by_shuffle_position, data_root)
            | "Group" >> beam.GroupByKey()
            | "InHashOrder" >> beam.FlatMap(_in_rank_order)
            | "Chunk" >> beam.BatchElements(min_batch_size=ROWS_PER_CHUNK,
                                            max_batch_size=ROWS_PER_CHUNK))


class ChunkToExamples(beam.DoFn):
    """A chunk of located rows -> one serialized tf.Example per row (the proto itself when
    `serialize` is off) or a quarantine record on the QUARANTINE_TAG output; plus the chunk's
    (count name, count) pairs on the COUNTS_TAG output."""

    def __init__(self, settings: IngestSettings, data_root: str, serialize: bool = True):
        self._settings = settings
        self._data_root = data_root
        self._serialize = serialize
        self._real_directories: Dict[str, str] = {}

    def process(self, chunk):
        quarantined = 0
        for source, line, row, rejection in chunk:
            try:
                if rejection is not None:
                    raise rejection
                example = row_to_example(row, self._settings, self._data_root,
                                         self._real_directories)
            except RowRejected as rejected:
                quarantined += 1
                yield beam.pvalue.TaggedOutput(
                    QUARANTINE_TAG, quarantine_record(source, line, row or {}, rejected))
                continue
            # Serialized once here, deterministically (the train/eval split hashes these bytes,
            # and map order could otherwise vary by process): ExampleGen's split and write steps
            # take bytes as they are, and bytes cross Beam's stage boundaries far cheaper than
            # protos. Splitting on a key feature needs the proto, so it is kept then.
            yield example.SerializeToString(deterministic=True) if self._serialize else example
        yield beam.pvalue.TaggedOutput(COUNTS_TAG, ("rows_ingested", len(chunk) - quarantined))
        yield beam.pvalue.TaggedOutput(COUNTS_TAG, ("rows_quarantined", quarantined))


@beam.ptransform_fn
def RowsToExamples(located_rows, settings: IngestSettings, data_root: str,  # pylint: disable=invalid-name
                   serialize: bool = True):
    """(source, line, row, rejection) -> DoOutputsTuple with EXAMPLES_TAG, QUARANTINE_TAG and
    COUNTS_TAG outputs. Rows are shuffled and spread over the workers first (`ShuffleRows`), so
    the rows of one CSV file are converted by all of them."""
    return (located_rows
            | "Shuffle" >> ShuffleRows(data_root)
            | "ChunkToExamples" >> beam.ParDo(ChunkToExamples(settings, data_root, serialize))
            .with_outputs(QUARANTINE_TAG, COUNTS_TAG, main=EXAMPLES_TAG))


@beam.ptransform_fn
def IngestCsvFiles(csv_paths, settings: IngestSettings, data_root: str,  # pylint: disable=invalid-name
                   serialize: bool = True):
    """PCollection of CSV paths -> the outputs of `RowsToExamples`."""
    return (csv_paths
            | "ReadRows" >> beam.FlatMap(located_csv_rows, settings.max_line_bytes)
            | "Rows" >> RowsToExamples(settings, data_root, serialize))


@beam.ptransform_fn
def IngestClassFolders(pipeline, image_paths, settings: IngestSettings,  # pylint: disable=invalid-name
                       data_root: str, serialize: bool = True):
    """Image files (label: parent folder) -> the outputs of `RowsToExamples`."""
    return (pipeline
            | "ListImages" >> beam.Create(image_paths)
            | "ToRow" >> beam.Map(class_folder_row, data_root, settings.features)
            | "Rows" >> RowsToExamples(settings, data_root, serialize))


@beam.ptransform_fn
def WriteIngestReport(outputs, report_dir: str, name: str):  # pylint: disable=invalid-name
    """Writes quarantine records (JSON lines) and the ingested/quarantined counts of one input.

    `outputs` maps QUARANTINE_TAG and COUNTS_TAG to the PCollections `RowsToExamples` made.
    """
    _ = (outputs[QUARANTINE_TAG]
         | "QuarantineToJson" >> beam.Map(json.dumps, sort_keys=True)
         | "WriteQuarantine" >> beam.io.WriteToText(
             posixpath.join(report_dir, f"{name}-quarantine"), file_name_suffix=".jsonl"))
    return (outputs[COUNTS_TAG]
            | "Sum" >> beam.CombinePerKey(sum)
            | "ToDict" >> beam.combiners.ToDict()
            | "WriteCounts" >> beam.Map(write_json_file,
                                        posixpath.join(report_dir, f"{name}-counts.json")))


def write_json_file(value: Any, path: str) -> None:
    """Writes one JSON document to `path` (local or remote), replacing what was there."""
    with FileSystems.create(path) as handle:
        handle.write(json.dumps(value, sort_keys=True).encode("utf-8"))
