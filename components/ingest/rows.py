"""Pure ingestion logic: read CSV rows, check them, turn each into a tf.Example or a rejection.

Everything here is a plain function or a Beam DoFn/PTransform, tested directly; the executor only
wires them into TFX's ExampleGen. A row is never dropped: it becomes an example or a quarantine
record naming its source file, line and the reason.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import hashlib
import io
import json
import math
import os
import posixpath
from typing import Any, Dict, Iterator, List, Optional, Tuple

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from components.errors import DataError
from schemas import DType, FeatureSet, FeatureSettings, Role

LAYOUT_CSV = "csv"
LAYOUT_CLASS_FOLDERS = "class_folders"
LAYOUTS = (LAYOUT_CSV, LAYOUT_CLASS_FOLDERS)
EXAMPLES_TAG = "examples"
NUL = b"\0"
MAX_LINE_BYTES = 1 << 20  # default bound on one CSV line, read with a bounded buffer
QUARANTINE_TAG = "quarantine"
COUNTS_TAG = "counts"
ROWS_PER_CHUNK = 64  # rows per Beam element converted in one call
# Rows are shuffled by spreading them over this many groups (ShuffleRows). More groups would mix
# small inputs less (a group's place in the output follows its first row); fewer would cap how
# many workers of a distributed runner convert at once (one group goes to one worker).
SHUFFLE_GROUPS = 256


class Reason(str, enum.Enum):
    """Why a row was quarantined; the value is what the quarantine record says."""

    MISSING_VALUE = "missing required value"
    NOT_NUMERIC = "non-numeric value"
    NOT_FINITE = "NaN or infinite value"
    PATH_ESCAPES_ROOT = "image path escapes the data root"
    IMAGE_MISSING = "missing image file"
    IMAGE_UNREADABLE = "unreadable image"
    IMAGE_TOO_LARGE = "image over the pixel limit"
    NOT_UTF8 = "line is not valid UTF-8"
    NUL_BYTE = "NUL byte in line"
    LINE_TOO_LONG = "line over the size limit"
    FIELD_COUNT = "wrong number of fields"
    MALFORMED_CSV = "malformed CSV"


class RowRejected(Exception):
    """A row that cannot become an example; carries the reason and the offending column."""

    def __init__(self, reason: Reason, column: str, detail: str = ""):
        super().__init__(f"{column}: {reason.value}" + (f" ({detail})" if detail else ""))
        self.reason = reason
        self.column = column
        self.detail = detail

    def __reduce__(self):  # crosses Beam stages inside elements
        return RowRejected, (self.reason, self.column, self.detail)


class ColumnsError(DataError, ValueError):
    """A CSV file whose header does not match the schema."""


@dataclasses.dataclass(frozen=True)
class IngestSettings(FeatureSettings):
    """What the ingestion executor needs, passed through the component's custom_config."""

    features: FeatureSet
    max_image_pixels: int
    max_quarantine_fraction: float
    layout: str = LAYOUT_CSV
    max_line_bytes: int = MAX_LINE_BYTES
    code_fingerprint: str = ""

    def __post_init__(self):
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {self.layout!r}")

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "IngestSettings":
        # custom_config travels as a protobuf Struct, whose numbers are all floats
        return super().from_dict(dict(
            data, max_image_pixels=int(data["max_image_pixels"]),
            max_line_bytes=int(data.get("max_line_bytes", MAX_LINE_BYTES))))


# ----------------------------------------------------------------------------- CSV files

def _open_binary(path: str):
    """Opens a local or remote (gs://, ...) file through Beam's filesystems."""
    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def read_header(path: str, max_line_bytes: int = MAX_LINE_BYTES) -> List[str]:
    """The column names of a CSV file (its first row)."""
    with _open_binary(path) as handle:
        for _, text, problem in _physical_lines(handle, max_line_bytes):
            if problem:
                raise ColumnsError(f"{path}: unreadable header line: {problem[0].value} "
                                   f"({problem[1]})")
            return next(csv.reader([text]), [])
    return []


def _physical_lines(handle, max_bytes: int):
    """(line number, text or None, (Reason, detail) or None) per line of a binary file.

    Lines are read with a bounded buffer: an over-long line is skipped in chunks, never held
    whole. Lines that are not UTF-8 or hold NUL bytes are reported instead of decoded.
    """
    number = 0
    while True:
        raw = handle.readline(max_bytes + 1)
        if not raw:
            return
        number += 1
        if len(raw) > max_bytes and not raw.endswith(b"\n"):
            size = len(raw)
            while raw and not raw.endswith(b"\n"):
                raw = handle.readline(1 << 16)
                size += len(raw)
            yield number, None, (Reason.LINE_TOO_LONG, f"{size} bytes > {max_bytes}")
        elif NUL in raw:
            yield number, None, (Reason.NUL_BYTE, f"at byte {raw.index(NUL)}")
        else:
            try:
                yield number, raw.decode("utf-8"), None
            except UnicodeDecodeError as err:
                yield number, None, (Reason.NOT_UTF8, f"invalid byte at offset {err.start}")


def check_columns(path: str, header: List[str], features: FeatureSet) -> None:
    """Fails fast when a CSV header is not exactly the schema's feature names."""
    expected = set(features.names)
    missing = sorted(expected - set(header))
    unexpected = sorted(set(header) - expected)
    if missing or unexpected:
        raise ColumnsError(
            f"{path}: columns do not match the schema: missing {missing}, unexpected {unexpected} "
            f"(expected exactly {features.names})")


def iter_csv_records(path: str, max_line_bytes: int = MAX_LINE_BYTES
                     ) -> Iterator[Tuple[int, Optional[Dict[str, str]], Optional[RowRejected]]]:
    """Streams (line number, row, None) per data row and (line number, None, RowRejected) per
    line that cannot be read; quoted fields may span lines (the last line's number is given)."""
    rejected: List[Tuple[int, RowRejected]] = []
    current = [0]

    def readable_lines(handle):
        for number, text, problem in _physical_lines(handle, max_line_bytes):
            if problem:
                rejected.append((number, RowRejected(problem[0], "(line)", problem[1])))
            else:
                current[0] = number
                yield text

    with _open_binary(path) as handle:
        reader = csv.reader(readable_lines(handle))
        header = next(reader, None)
        while header is not None:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                rejected.append((current[0], RowRejected(Reason.MALFORMED_CSV, "(line)",
                                                         str(err))))
                cells = []
            while rejected:
                number, rejection = rejected.pop(0)
                yield number, None, rejection
            if not cells:
                continue  # a blank line is no row
            if len(cells) != len(header):
                yield current[0], None, RowRejected(
                    Reason.FIELD_COUNT, "(line)", f"{len(cells)} fields, header has {len(header)}")
                continue
            yield current[0], dict(zip(header, cells)), None
    for number, rejection in rejected:
        yield number, None, rejection


def iter_csv_rows(path: str) -> Iterator[Tuple[int, Dict[str, str]]]:
    """(line number, row) for each readable data row (see `iter_csv_records`)."""
    for number, row, rejection in iter_csv_records(path):
        if rejection is None:
            yield number, row


def relative_to_root(path: str, data_root: str) -> str:
    """`path` relative to the data root (as it is when it lies elsewhere)."""
    return path[len(data_root):].lstrip("/") if path.startswith(data_root) else path


def class_folder_row(path: str, data_root: str, features: FeatureSet
                     ) -> Tuple[str, int, Dict[str, str], None]:
    """An image file in `<data_root>/.../<class>/<file>` as a row: its path and its class."""
    relative = relative_to_root(path, data_root)
    [image] = features.with_role(Role.IMAGE)
    return path, 0, {image.name: relative,
                     features.label.name: posixpath.basename(posixpath.dirname(relative))}, None


# ----------------------------------------------------------------------------- values

def _is_remote(path: str) -> bool:
    return "://" in path


def resolve_image_path(data_root: str, relative: str, column: str,
                       real_directories: Optional[Dict[str, str]] = None) -> str:
    """The file a relative image path names; rejects paths that leave the data root.

    `real_directories` caches the resolved (symlink-free) form of each directory seen, so a
    converter resolves each folder once rather than each path component of every row.
    """
    if not relative:
        raise RowRejected(Reason.MISSING_VALUE, column)
    if _is_remote(relative) or relative.startswith(("/", "\\")) or "\\" in relative:
        raise RowRejected(Reason.PATH_ESCAPES_ROOT, column, relative)
    normalized = posixpath.normpath(relative)
    if normalized == ".." or normalized.startswith("../"):
        raise RowRejected(Reason.PATH_ESCAPES_ROOT, column, relative)
    candidate = posixpath.join(data_root.rstrip("/"), normalized)
    if not _is_remote(data_root):
        cache = {} if real_directories is None else real_directories

        def real_directory(path: str) -> str:
            if path not in cache:
                cache[path] = os.path.realpath(path)
            return cache[path]

        real_root = real_directory(data_root)
        parent, name = posixpath.split(candidate)
        real_path = (os.path.realpath(candidate) if os.path.islink(candidate)
                     else os.path.join(real_directory(parent), name))
        if os.path.commonpath([real_root, real_path]) != real_root:
            raise RowRejected(Reason.PATH_ESCAPES_ROOT, column, f"{relative} (symlink)")
    return candidate


def _read_file(path: str, column: str) -> bytes:
    """The bytes of an image file; a missing or unreadable file rejects the row."""
    try:
        if _is_remote(path) and not FileSystems.exists(path):
            raise FileNotFoundError(path)
        with _open_binary(path) as handle:
            return handle.read()
    except FileNotFoundError:
        raise RowRejected(Reason.IMAGE_MISSING, column, path) from None
    except OSError as err:  # a directory, no permission, an I/O error
        raise RowRejected(Reason.IMAGE_UNREADABLE, column, f"{path}: {err}") from None


def read_image(path: str, column: str, max_pixels: int) -> bytes:
    """The encoded bytes of a PNG or JPEG file, after checking its size and that it decodes."""
    from PIL import Image

    data = _read_file(path, column)
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG"):
                raise RowRejected(Reason.IMAGE_UNREADABLE, column,
                                  f"{path}: {image.format} is not PNG or JPEG")
            width, height = image.size
            if width * height > max_pixels:
                raise RowRejected(Reason.IMAGE_TOO_LARGE, column,
                                  f"{path}: {width}x{height} px > {max_pixels}")
            image.verify()  # structure and checksums (a PNG cut short decodes regardless)
        with Image.open(io.BytesIO(data)) as image:
            if image.format == "JPEG":
                # decode at 1/8 scale: every coefficient is still entropy-decoded (where
                # truncation and corruption show), the inverse DCT runs on an eighth
                image.draft(image.mode, (1, 1))
            image.load()  # decode: catches truncated and corrupt pixel data
    except RowRejected:
        raise
    except Image.DecompressionBombError as err:  # PIL's own, far larger limit
        raise RowRejected(Reason.IMAGE_TOO_LARGE, column, f"{path}: {err}") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise RowRejected(Reason.IMAGE_UNREADABLE, column, f"{path}: {err}") from None
    return data


def parse_number(cell: str, column: str, dtype: DType) -> float:
    """A finite number from a non-empty CSV cell."""
    if cell is None or not cell.strip():
        raise RowRejected(Reason.MISSING_VALUE, column)
    try:
        value = int(cell) if dtype is DType.INT else float(cell)
    except ValueError:
        raise RowRejected(Reason.NOT_NUMERIC, column, repr(cell[:40])) from None
    if not math.isfinite(value):
        raise RowRejected(Reason.NOT_FINITE, column, repr(cell[:40]))
    return value


def row_to_example(row: Dict[str, str], settings: IngestSettings, data_root: str,
                   real_directories: Optional[Dict[str, str]] = None):
    """Builds the tf.Example of one CSV row, or raises RowRejected (`real_directories`: see
    `resolve_image_path`)."""
    import tensorflow as tf

    feature = {}
    for spec in settings.features.features:
        cell = row.get(spec.name)
        if spec.role is Role.IMAGE:
            path = resolve_image_path(data_root, (cell or "").strip(), spec.name,
                                      real_directories)
            value = read_image(path, spec.name, settings.max_image_pixels)
            feature[spec.name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))
        elif spec.dtype is DType.BYTES:
            if cell is None or not cell.strip():
                raise RowRejected(Reason.MISSING_VALUE, spec.name)
            feature[spec.name] = tf.train.Feature(
                bytes_list=tf.train.BytesList(value=[cell.strip().encode("utf-8")]))
        elif not spec.required and (cell is None or not cell.strip()):
            continue  # an optional value left out: Transform imputes it
        elif spec.dtype is DType.INT:
            number = parse_number(cell, spec.name, spec.dtype)
            feature[spec.name] = tf.train.Feature(int64_list=tf.train.Int64List(value=[number]))
        else:
            number = parse_number(cell, spec.name, spec.dtype)
            feature[spec.name] = tf.train.Feature(float_list=tf.train.FloatList(value=[number]))
    return tf.train.Example(features=tf.train.Features(feature=feature))


def quarantine_record(source: str, line: int, row: Dict[str, str],
                      rejection: RowRejected) -> Dict[str, Any]:
    """The JSON-able record kept for a rejected row."""
    return {"source": source, "line": line, "reason": rejection.reason.value,
            "column": rejection.column, "detail": rejection.detail, "row": row}


# ----------------------------------------------------------------------------- Beam

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
def IngestClassFolders(pipeline, pattern: str, settings: IngestSettings,  # pylint: disable=invalid-name
                       data_root: str, serialize: bool = True):
    """Image files matched by `pattern` (label: parent folder) -> the outputs of
    `RowsToExamples`."""
    from apache_beam.io import fileio

    return (pipeline
            | "MatchImages" >> fileio.MatchFiles(pattern)
            | "ToRow" >> beam.Map(lambda match: class_folder_row(match.path, data_root,
                                                                 settings.features))
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
