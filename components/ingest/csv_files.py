"""Reading raw inputs into rows: CSV files with a bounded line buffer (unreadable lines become
rejections, not failures), header checks against the schema, and class-folder image paths."""

from __future__ import annotations

import csv
import json
import posixpath
from typing import Dict, Iterator, List, Optional, Tuple

from components.errors import separator_hint
from components.ingest.rows import (MAX_LINE_BYTES, NUL, ColumnsError, Reason, RowRejected,
                                    open_binary)
from schemas import FeatureSet, Role

UTF8_BOM = b"\xef\xbb\xbf"
CR = b"\r"
EXTRA_FIELDS = "(extra fields)"
TRAILING_EMPTY_COLUMN = "a trailing empty column"


# the first bytes of files that are not text: a CSV compressed, or an Excel workbook
ARCHIVE_MAGIC = {b"\x1f\x8b": "is gzip-compressed, not CSV text: decompress it (e.g. `gunzip -k`) "
                               "and use the CSV",
                 b"PK\x03\x04": "is a ZIP archive (as an Excel workbook is), not CSV text: save "
                                "it as CSV, or unzip it"}


def read_header(path: str, max_line_bytes: int = MAX_LINE_BYTES) -> List[str]:
    """The column names of a CSV file (its first row); a compressed file or a workbook is named
    as such rather than as a line holding a NUL byte, and lines ending in CR alone as such
    rather than as Python's csv error."""
    with open_binary(path) as handle:
        start = handle.read(1 << 16)
        for magic, what in ARCHIVE_MAGIC.items():
            if start.startswith(magic):
                raise ColumnsError(f"{path}: the file {what}")
        if CR in start.split(b"\n", 1)[0].rstrip(CR):
            raise ColumnsError(f"{path}: the header line holds a carriage return: the file's "
                               "lines end in CR alone (as classic Mac OS and Excel's \"CSV "
                               "(Macintosh)\" write them) or it holds a stray one; save it with "
                               "LF or CRLF line endings")
        handle.seek(0)
        for _, text, problem in _physical_lines(handle, max_line_bytes):
            if problem:
                raise ColumnsError(f"{path}: unreadable header line: {problem[0].value} "
                                   f"({problem[1]})")
            try:
                return next(csv.reader([text]), [])
            except csv.Error as err:  # e.g. a field over the csv module's size limit
                raise ColumnsError(f"{path}: unreadable header line: {err}") from None
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
        if number == 1 and raw.startswith(UTF8_BOM):  # Excel's "CSV UTF-8" starts with one
            raw = raw[len(UTF8_BOM):]
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


def shown_column(header: List[str], index: int) -> str:
    """A header column as a message names it: by its name, or, unnamed, as the trailing empty
    column (a separator ending every line, as Excel writes) or by its position."""
    if header[index].strip():
        return header[index]
    return TRAILING_EMPTY_COLUMN if index == len(header) - 1 else f"column {index + 1} (no name)"


def check_columns(path: str, header: List[str], features: FeatureSet,
                  for_serving: bool = False) -> List[str]:
    """Fails fast when a CSV header lacks a schema feature (`for_serving`: one the model reads,
    so neither the label nor a key) or names a column twice; returns the columns the schema does
    not list, which are ignored (an unnamed one as `shown_column` names it)."""
    if not header:
        raise ColumnsError(f"{path}: the file is empty (no header line)")
    duplicated = sorted({name for name in header if name.strip() and header.count(name) > 1})
    if duplicated:
        raise ColumnsError(f"{path}: column names appear more than once: {duplicated}")
    needed = [f.name for f in (features.inputs if for_serving else features.features)]
    missing = [name for name in needed if name not in header]
    if missing:
        raise ColumnsError(f"{path}: columns of the schema missing from the file: {missing} "
                           f"(the file has {header}){separator_hint(header)}")
    return [shown_column(header, index) for index, name in enumerate(header)
            if name not in features.names]


def iter_csv_records(path: str, max_line_bytes: int = MAX_LINE_BYTES
                     ) -> Iterator[Tuple[int, Optional[Dict[str, str]], Optional[RowRejected]]]:
    """Streams (line number, row, None) per data row and (line number, None, RowRejected) per
    line that cannot be read; quoted fields may span lines: a record's number is that of the
    line it starts on (as a user reading the file finds it). A row with the wrong number of
    fields comes with its rejection and its cells by column (extra cells as a JSON list under
    EXTRA_FIELDS), so its record keeps them and `predict` its key."""
    rejected: List[Tuple[int, RowRejected]] = []
    record_start = [0]  # the first line the reader took for the current record (0: none yet)

    def readable_lines(handle):
        for number, text, problem in _physical_lines(handle, max_line_bytes):
            if problem:
                rejected.append((number, RowRejected(problem[0], "(line)", problem[1])))
            else:
                record_start[0] = record_start[0] or number
                yield text

    with open_binary(path) as handle:
        reader = csv.reader(readable_lines(handle))
        header = next(reader, None)
        while header is not None:
            record_start[0] = 0
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                rejected.append((record_start[0], RowRejected(Reason.MALFORMED_CSV, "(line)",
                                                              str(err))))
                cells = []
            line = record_start[0]
            while rejected:
                number, rejection = rejected.pop(0)
                yield number, None, rejection
            if not cells:
                continue  # a blank line is no row
            if len(cells) != len(header):  # the cells are kept, by column, for the record
                row = dict(zip(header, cells))
                if len(cells) > len(header):
                    row[EXTRA_FIELDS] = json.dumps(cells[len(header):])
                yield line, row, RowRejected(
                    Reason.FIELD_COUNT, "(line)", f"{len(cells)} fields, header has {len(header)}")
                continue
            yield line, dict(zip(header, cells)), None
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
