"""Why a row is quarantined: the reasons, and the exception that carries one with its column.

Kept apart from `rows.py` (which imports Beam) so that `init` applies ingestion's image path
rule (`image_paths.py`) without importing Beam.
"""

from __future__ import annotations

import enum
from typing import Sequence


class Reason(str, enum.Enum):
    """Why a row was quarantined; the value is what the quarantine record says."""

    MISSING_VALUE = "missing required value"
    NOT_NUMERIC = "non-numeric value"
    NOT_FINITE = "NaN or infinite value"
    NOT_INTEGER = "not a whole number"
    INT_OUT_OF_RANGE = "value out of range for INT (64-bit integer)"
    PATH_ESCAPES_ROOT = "image path escapes the data root"
    PATH_BACKSLASH = "image path holds a backslash"
    IMAGE_MISSING = "missing image file"
    IMAGE_UNREADABLE = "unreadable image"
    IMAGE_TOO_LARGE = "image over the pixel limit"
    NOT_UTF8 = "line is not valid UTF-8"
    NUL_BYTE = "NUL byte in line"
    LINE_TOO_LONG = "line over the size limit"
    FIELD_COUNT = "wrong number of fields"
    MALFORMED_CSV = "malformed CSV"


class RowRejected(Exception):
    """A row that cannot become an example; carries the reason and the offending column (the
    first one), and `also`, the problems of the row's other columns, as text."""

    def __init__(self, reason: Reason, column: str, detail: str = "", also: Sequence[str] = ()):
        first = f"{column}: {reason.value}" + (f" ({detail})" if detail else "")
        super().__init__("; ".join([first, *also]))
        self.reason = reason
        self.column = column
        self.detail = detail
        self.also = tuple(also)

    def __reduce__(self):  # crosses Beam stages inside elements
        return RowRejected, (self.reason, self.column, self.detail, self.also)
