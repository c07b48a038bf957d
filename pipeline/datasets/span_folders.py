"""Data that arrives in spans: folders `span-<N>` under one data root. `init` drafts from one
span and writes the folder holding the spans as `data_root` and a `{SPAN}` input pattern
(`span-{SPAN}/<file>`, or `span-{SPAN}/*/*` for class folders), so that each run ingests the
newest span, as TFX's file-based driver resolves it (`components/ingest/driver.py`).
`init --data-root` without `--csv` is told the newest span's CSV (`newest_span_csv`).

TFX globs `{SPAN}` as `*` and reads the span number from what it matched, so a folder such as
`span-old` that holds a file the pattern matches would fail every run: `init` refuses it.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Callable, Dict, Optional, Tuple

from pipeline.datasets.schema_infer import InferError

PREFIX = "span-"
SPAN_FOLDER = re.compile(PREFIX + r"(\d+)")
PATTERN_FOLDER = PREFIX + "{SPAN}"
CLASS_FOLDERS_FILES = "*/*"  # the class_folders layout's files under one span
SPANS_LISTED = 6  # spans named one by one in a note; more are given as a count and a range


@dataclasses.dataclass(frozen=True)
class Spans:
    """The spans `init` found under a data root, and the config that reads them."""

    root: str  # the folder holding the span folders: the config's data_root
    numbers: Tuple[int, ...]  # spans holding files the pattern matches, ascending
    drafted: int  # the span `init` drafted from
    files: str  # what one span holds that a run reads: a CSV's name, or `*/*`

    @property
    def pattern(self) -> str:
        """The config's input_pattern."""
        return f"{PATTERN_FOLDER}/{self.files}"

    def folder(self, number: int) -> str:
        """The path of span `number`'s folder."""
        return os.path.join(self.root, f"{PREFIX}{number}")


def span_number(name: str) -> Optional[int]:
    """The span number of a folder named `span-<N>`; None for any other name."""
    match = SPAN_FOLDER.fullmatch(name)
    return int(match[1]) if match else None


def _spans_matching(root: str, holds_files: Callable[[str], bool]) -> Dict[int, str]:
    """span number -> folder name, for the folders under `root` named like a span that hold
    files a `{SPAN}` pattern matches (`holds_files(folder)`); a folder that a run's pattern
    would match but whose number TFX cannot read, or a second folder of one number, is an
    InferError."""
    spans: Dict[int, str] = {}
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if not (name.startswith(PREFIX) and os.path.isdir(folder) and holds_files(folder)):
            continue
        number = span_number(name)
        if number is None:
            raise InferError(f"{folder} is named like a span but {name[len(PREFIX):]!r} is not a "
                             f"span number: a run's pattern {PATTERN_FOLDER}/... would fail on "
                             f"it; rename it {PREFIX}<N> or move it out of {root}")
        if number in spans:
            raise InferError(f"{root} holds two folders of span {number} ({spans[number]}, "
                             f"{name}): a run would ingest one of them; merge or rename them")
        spans[number] = name
    return spans


def csv_spans(csv_path: str) -> Optional[Spans]:
    """The spans of a CSV that lies in a folder `span-<N>`: the span folders beside that one
    which hold a file of the same name; None when the CSV's folder is not named like a span."""
    folder = os.path.dirname(os.path.abspath(csv_path))
    drafted = span_number(os.path.basename(folder))
    if drafted is None:
        return None
    root, name = os.path.dirname(folder), os.path.basename(csv_path)
    spans = _spans_matching(root, lambda span: os.path.isfile(os.path.join(span, name)))
    return Spans(root, tuple(sorted(spans)), drafted, name)


def newest_span_csv(data_root: str) -> Optional[str]:
    """The first CSV file (by name) of the newest folder `span-<N>` under `data_root` that holds
    one: what `init --csv` drafts spans from; None when no such folder holds a CSV."""
    def csvs(folder: str):
        return sorted(name for name in os.listdir(folder) if name.lower().endswith(".csv")
                      and os.path.isfile(os.path.join(folder, name)))
    if not os.path.isdir(data_root):
        return None
    spans = {number: os.path.join(data_root, name) for name in os.listdir(data_root)
             if (number := span_number(name)) is not None
             and os.path.isdir(os.path.join(data_root, name))}
    for number in sorted(spans, reverse=True):
        found = csvs(spans[number])
        if found:
            return os.path.join(spans[number], found[0])
    return None


def class_folder_spans(data_root: str) -> Optional[Spans]:
    """The spans of a class-folders data root that holds `span-<N>/<class>/<image>` files,
    drafted from the newest (the one a run ingests); None when no folder `span-<N>` holds
    anything two levels down."""
    spans = _spans_matching(os.path.abspath(data_root), _holds_entries_two_levels_down)
    if not spans:
        return None
    return Spans(os.path.abspath(data_root), tuple(sorted(spans)), max(spans),
                 CLASS_FOLDERS_FILES)


def _holds_entries_two_levels_down(folder: str) -> bool:
    """Whether `<folder>/*/*` matches anything, as TFX's glob of a span pattern would."""
    inner = (os.path.join(folder, name) for name in os.listdir(folder))
    return any(os.path.isdir(path) and os.listdir(path) for path in inner)


def _listed(numbers: Tuple[int, ...]) -> str:
    """`span 3`, `spans 0, 1, 2`, or, for many, `25 spans, 0 to 24`."""
    if len(numbers) > SPANS_LISTED:
        return f"{len(numbers)} spans, {numbers[0]} to {numbers[-1]}"
    return ("span " if len(numbers) == 1 else "spans ") + ", ".join(map(str, numbers))


def spans_note(spans: Spans) -> str:
    """What `init` says of the spans it found: which, the one drafted from, and what the
    config makes each run ingest."""
    what = (f"spans with {spans.files}" if spans.files != CLASS_FOLDERS_FILES
            else "spans of class folders")
    newest = spans.numbers[-1]
    ingests = (f"now span {newest}" if newest == spans.drafted
               else f"now span {newest}, not span {spans.drafted} drafted from")
    return (f"{spans.root} holds {what} ({_listed(spans.numbers)}): drafted from span "
            f"{spans.drafted}; the config reads data_root {spans.root} with input_pattern "
            f"'{spans.pattern}', so each run ingests the newest span ({ingests})")


def converted_span_note(csv_path: str, spans: Spans) -> str:
    """What `init` says of a CSV in scikit-learn's layout in a span folder: a run reads only the
    standard copy `init` writes, so it cannot take new spans."""
    return (f"{csv_path} lies in span folder {PREFIX}{spans.drafted}, but a run cannot read "
            "scikit-learn's layout: the config reads the standard copy of that span alone; for "
            "each run to ingest the newest span, write the spans as standard CSVs (a header "
            "line) and run init again")
