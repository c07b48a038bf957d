"""Reading a user's CSV for `schema infer` and `init`: the checks a first look needs, and
scikit-learn's CSV layout turned into a standard one.

The header and rows are read by the ingestion's own reader (`components/ingest/csv_files.py`),
so a draft sees the file exactly as a run will. A file the pipeline cannot read as it is gives
one line saying what is wrong (`TableError`, a data error): empty, no header line, repeated or
blank column names, no data rows. An unnamed last column with no value in any row read (a
separator ending every line, as Excel writes) is no column: dropped, and said
(`empty_last_column_note`); runs ignore it too.

scikit-learn ships its datasets' CSVs (`sklearn/datasets/data/*.csv`) with a first line that is
no header: `n_samples,n_features[,class names...]`, then either a header (boston_house_prices)
or the rows with no header at all (iris, wine_data, breast_cancer: feature columns, then the
class index). `read_table` recognizes that line (its count equals the rows that follow) and
gives the rows a standard header: the file's own, or `feature_1..feature_N` and the label's
name, with class indexes replaced by the class names of the first line. `init` writes such a
table to a standard CSV copy and says so.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import os
from typing import Dict, List, Optional, Tuple

from components.errors import DataError, separator_hint
from components.ingest import number_cells
from pipeline.config import ConfigError


class TableError(DataError, ValueError):
    """A CSV file a draft cannot be made from; the message names the file and the problem."""


@dataclasses.dataclass(frozen=True)
class Table:
    """The header and data rows of a CSV file (`rows`: (line number, row) pairs, at most the
    sample size); the lines that cannot be rows, counted, and the first with its reason;
    `converted` says how a non-standard layout was read (None: read as it is)."""

    path: str
    header: List[str]
    rows: List[Tuple[int, Dict[str, str]]]
    unreadable_lines: int = 0
    first_unreadable: str = ""  # e.g. "line 7: (line): wrong number of fields (...)"
    converted: Optional[str] = None
    empty_last_column: int = 0  # the position of an unnamed, empty last column dropped (0: none)


def _is_number(cell: str) -> bool:
    try:
        return math.isfinite(number_cells.parse_float(cell))
    except ValueError:
        return False


def _check_header(path: str, header: List[str]) -> None:
    if not header or header == [""]:
        raise TableError(f"{path} is empty: expected a header line naming the columns, then rows")
    if all(_is_number(cell) or not cell.strip() for cell in header):
        raise TableError(f"{path} has no header line: its first line ({','.join(header)[:60]}) "
                         "holds values, not column names; add a line naming the columns")
    blank = [str(index + 1) for index, name in enumerate(header) if not name.strip()]
    if blank:
        raise TableError(f"{path}: column {', '.join(blank)} of the header has no name")
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise TableError(f"{path}: column names appear more than once: {duplicated}")


def _sklearn_layout(path: str, max_rows: Optional[int], label: str) -> Optional[Table]:
    """The table of a file in scikit-learn's layout (see the module docstring), else None."""
    with open(path, newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    if not lines or len(lines[0]) < 2 or not all(c.strip().isdigit() for c in lines[0][:2]):
        return None
    if any(_is_number(cell) for cell in lines[0][2:]):  # class names or nothing follow
        return None
    samples, features = int(lines[0][0]), int(lines[0][1])
    class_names = [c.strip() for c in lines[0][2:] if c.strip()]
    rest = [(number, cells) for number, cells in enumerate(lines[1:], start=2) if cells]
    if not rest:
        return None
    if len(rest) == samples + 1 and not any(_is_number(c) for c in rest[0][1]):
        header = [c.strip() for c in rest[0][1]]
        how = "its first line counts rows and columns; the header is line 2"
        rest = rest[1:]
    elif len(rest) == samples and all(len(cells) == features + 1 for _, cells in rest):
        header = [f"feature_{index + 1}" for index in range(features)] + [label]
        how = (f"no header: columns named feature_1..feature_{features}, the last ({label}) "
               "is the label")
    else:
        return None
    if class_names:
        how += f", class indexes replaced by the names on line 1 ({', '.join(class_names)})"
    _check_header(path, header)
    rows = []
    for number, cells in rest[:max_rows]:
        row = dict(zip(header, (c.strip() for c in cells)))
        if class_names and row.get(label, "").isdigit() and int(row[label]) < len(class_names):
            row[label] = class_names[int(row[label])]
        rows.append((number, row))
    return Table(path, header, rows, converted=f"scikit-learn's CSV layout ({how})")


def has_sklearn_layout(path: str) -> bool:
    """Whether a CSV file is in scikit-learn's layout (see the module docstring)."""
    try:
        return _sklearn_layout(path, 0, "label") is not None
    except (UnicodeDecodeError, TableError):
        return False


def read_table(path: str, label: str, max_rows: Optional[int] = None) -> Table:
    """The header and the first `max_rows` data rows (all when None) of a CSV file."""
    from components.ingest import csv_files

    if not os.path.isfile(path):
        raise ConfigError(f"--csv {path} is not a file")
    try:
        sklearn = _sklearn_layout(path, max_rows, label)
    except UnicodeDecodeError:
        sklearn = None
    if sklearn is not None:
        return sklearn
    try:
        header = csv_files.read_header(path)
    except DataError as err:
        raise TableError(str(err)) from None
    unnamed_last = len(header) > 1 and not header[-1].strip()
    _check_header(path, header[:-1] if unnamed_last else header)
    rows, unreadable, first_unreadable = [], 0, ""
    for number, row, rejection in csv_files.iter_csv_records(path):
        if rejection is not None:
            unreadable += 1
            first_unreadable = first_unreadable or f"line {number}: {rejection}"
            continue
        rows.append((number, row))
        if max_rows is not None and len(rows) >= max_rows:
            break
    if not rows:
        why = (f": none of its {unreadable} lines can be a row (first: {first_unreadable})"
               f"{separator_hint(header)}" if unreadable else "")
        raise TableError(f"{path} has a header but no data rows{why}")
    if unnamed_last:
        _drop_empty_last_column(path, header, rows)
    return Table(path, header[:-1] if unnamed_last else header, rows,
                 unreadable_lines=unreadable, first_unreadable=first_unreadable,
                 empty_last_column=len(header) if unnamed_last else 0)


def _drop_empty_last_column(path: str, header: List[str],
                            rows: List[Tuple[int, Dict[str, str]]]) -> None:
    """Takes the unnamed last column out of the rows; one holding a value is an error."""
    for number, row in rows:
        value = row.pop(header[-1], "")
        if value.strip():
            raise TableError(f"{path}: column {len(header)} of the header has no name, but holds "
                             f"values (first: line {number}: {value[:40]!r}): name it")


def empty_last_column_note(table: Table) -> str:
    """What `init` and `schema infer` say of the unnamed last column they dropped."""
    return (f"column {table.empty_last_column} of {table.path}'s header has no name and no "
            "value in any row read (a trailing separator on every line, as Excel writes): "
            "ignored, as runs and predict ignore it")


def write_standard_csv(table: Table, out_path: str) -> None:
    """Writes the table as a standard CSV (header line, then the rows), all at once or not at
    all (a temporary file renamed into place)."""
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    partial = out_path + ".partial"
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, table.header)
        writer.writeheader()
        writer.writerows(row for _, row in table.rows)
    os.replace(partial, out_path)
