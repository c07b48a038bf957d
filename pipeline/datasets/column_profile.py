"""Profiling a CSV's columns for `schema infer`: per column, how many rows hold a value,
whether every value is an integer (and the first beyond 64 bits), a number (in ingestion's
syntax: `number_cells`; those beyond a 32-bit float's range counted), whether nearly all are
image paths (MOSTLY_IMAGES: a few other cells are rows a run quarantines), the
distinct values, the sum and sum of squares of the numbers a FLOAT holds (a regression label's
standard deviation), and, for a text column whose values are nearly all numbers, how many are
not (`mostly_numbers`)."""

from __future__ import annotations

import collections
import dataclasses
import math
from typing import List, Optional, Set

from components.ingest import number_cells
from pipeline.datasets.csv_table import Table
from schemas import IMAGE_SUFFIXES

IMAGE_FILES_CHECKED = 20
MOSTLY_NUMBERS = 0.9  # a text column with at least this share of numbers gets a note
MOSTLY_IMAGES = 0.9  # a column with at least this share of PNG/JPEG paths is an image column


@dataclasses.dataclass
class ColumnProfile:
    """What the sample says about one column."""

    name: str
    rows: int = 0
    present: int = 0
    ints: bool = True
    floats: bool = True
    image_paths: int = 0  # present values that end in a PNG/JPEG suffix
    counts: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    first_values: List[str] = dataclasses.field(default_factory=list)
    sum: float = 0.0
    sum_squares: float = 0.0
    first_empty_line: int = 0  # the CSV line of the first row without a value (0: none)
    numbers: int = 0  # present values that are finite numbers
    not_number: str = ""  # the first present value that is not
    beyond_int64: str = ""  # the first integer an INT feature cannot hold (over 64 bits)
    beyond_float32: int = 0  # finite numbers a FLOAT feature cannot hold (infinite as 32 bits)
    first_beyond_float32: str = ""

    def add(self, cell: Optional[str], line: int) -> None:
        self.rows += 1
        value = (cell or "").strip()
        if not value:
            self.first_empty_line = self.first_empty_line or line
            return
        self.present += 1
        self.counts[value] += 1
        if len(self.first_values) < IMAGE_FILES_CHECKED:
            self.first_values.append(value)
        self.image_paths += value.lower().endswith(IMAGE_SUFFIXES)
        try:
            number = number_cells.parse_float(value)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            self.numbers += 1
            self.ints = self.ints and number_cells.is_integer(value)
            if self.ints and not self.beyond_int64 and not _fits_int64(value):
                self.beyond_int64 = value
            if number_cells.fits_float32(number):
                self.sum += number
                self.sum_squares += number * number
            else:  # a run quarantines the row as FLOAT: left out of the sums
                self.beyond_float32 += 1
                self.first_beyond_float32 = self.first_beyond_float32 or value
        else:
            self.floats = self.ints = False
            self.not_number = self.not_number or value

    @property
    def distinct(self) -> Set[str]:
        return set(self.counts)

    @property
    def images(self) -> bool:
        """Whether the column holds image paths: at least MOSTLY_IMAGES of its values end in
        .png/.jpg/.jpeg (a few `.gif` cells quarantine their rows; they made it an id)."""
        return self.present > 0 and self.image_paths >= MOSTLY_IMAGES * self.present

    @property
    def mostly_numbers(self) -> str:
        """For a text column whose values are nearly all numbers (MOSTLY_NUMBERS of them: a
        typo, an `n/a`), how many are not and the first; else ''."""
        texts = self.present - self.numbers
        if not texts or self.numbers < MOSTLY_NUMBERS * self.present:
            return ""
        return f"{texts} of {self.present} values not numbers (first: {self.not_number!r})"

    @property
    def majority_share(self) -> float:
        """The share of the most frequent value among present ones (the majority predictor's
        accuracy, for a class label)."""
        return max(self.counts.values()) / self.present

    @property
    def std(self) -> float:
        """Standard deviation of a numeric column's values that a FLOAT holds (the mean
        predictor's RMSE on the rows a run keeps; 0 when there are none)."""
        summed = self.numbers - self.beyond_float32
        if not summed:
            return 0.0
        mean = self.sum / summed
        return math.sqrt(max(self.sum_squares / summed - mean * mean, 0.0))


def _fits_int64(value: str) -> bool:
    number = number_cells.parse_integer(value)
    return number is not None and number_cells.fits_int64(number)


def profile_columns(table: Table) -> List[ColumnProfile]:
    """One profile per header column over the table's rows."""
    profiles = [ColumnProfile(name) for name in table.header]
    for line, row in table.rows:
        for profile in profiles:
            profile.add(row.get(profile.name), line)
    return profiles
