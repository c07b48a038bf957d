"""What a CSV cell must look like to be a number, and the numbers each feature type can hold.

A number is plain ASCII syntax, around which spaces are ignored: an optional sign, digits with
an optional decimal point, an optional exponent (`-1.5e3`, `.5`, `7.`). Python's float() and
int() also read `1_0` (as 10) and digits of other scripts (`١٢`, as 12): not numbers here.
`inf`, `infinity` and `nan` (any case, signed) read as what they say, for callers to refuse.
Ingestion (`rows.py`, which `predict` shares) and `init`'s column profiles read cells with these
functions, so they agree on what is a number. An INT feature holds 64-bit integers, a FLOAT
feature 32-bit floats (a larger magnitude is infinite once stored).
"""

from __future__ import annotations

import re
import struct
from typing import Optional

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NOT_FINITE = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def parse_float(cell: str) -> float:
    """The float a cell spells (inf and NaN included); ValueError for anything else."""
    text = cell.strip()
    if _NUMBER.fullmatch(text) or _NOT_FINITE.fullmatch(text):
        return float(text)
    raise ValueError(f"not a number: {text!r}")


def is_integer(cell: str) -> bool:
    """Whether a cell is written as an integer (digits, an optional sign)."""
    return _INTEGER.fullmatch(cell.strip()) is not None


def parse_integer(cell: str) -> Optional[int]:
    """The integer an integer cell (`is_integer`) spells; None when it has over 19 significant
    digits, so does not fit 64 bits. Leading zeros are dropped before `int()` (which refuses
    over 4,300 digits, zeros included)."""
    text = cell.strip()
    digits = text.lstrip("+-").lstrip("0") or "0"
    if len(digits) > 19:
        return None
    return int(("-" if text.startswith("-") else "") + digits)


def fits_int64(value: int) -> bool:
    """Whether an INT feature (a 64-bit integer) can hold `value`."""
    return INT64_MIN <= value <= INT64_MAX


def fits_float32(value: float) -> bool:
    """Whether a finite `value` stays finite as a FLOAT feature's 32-bit float (rounded)."""
    try:
        struct.pack("<f", value)
    except OverflowError:
        return False
    return True
