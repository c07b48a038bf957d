"""What a cell must look like to be a number, and what INT and FLOAT features hold
(components/ingest/number_cells.py)."""

import math

import pytest

from components.ingest import number_cells


@pytest.mark.parametrize("cell, value", [
    ("7", 7.0), (" -1.5e3 ", -1500.0), (".5", 0.5), ("7.", 7.0), ("+2E-2", 0.02)])
def test_plain_ascii_numbers_are_read(cell, value):
    assert number_cells.parse_float(cell) == value


@pytest.mark.parametrize("cell", ["1_0", "١٢", "１２", "1,000", "0x10", "", "e5", "1e"])
def test_other_spellings_are_not_numbers(cell):
    with pytest.raises(ValueError, match="not a number"):
        number_cells.parse_float(cell)


def test_inf_and_nan_read_as_what_they_say_for_callers_to_refuse():
    assert number_cells.parse_float("-Infinity") == -math.inf
    assert math.isnan(number_cells.parse_float("NaN"))


@pytest.mark.parametrize("cell, value", [
    ("9223372036854775807", 2**63 - 1), ("-9223372036854775808", -2**63),
    ("-00042", -42), ("+0", 0), ("0" * 4400 + "7", 7), ("-" + "0" * 5000, 0),
    ("1234567890123456789", 1234567890123456789), ("1" + "0" * 19, None),
    ("9" * 4400, None)])
def test_integers_are_exact_and_over_19_significant_digits_are_none(cell, value):
    # leading zeros do not count: int() refuses over 4,300 digits, zeros included
    assert number_cells.parse_integer(cell) == value


def test_int64_and_float32_ranges():
    assert number_cells.fits_int64(2**63 - 1) and not number_cells.fits_int64(2**63)
    assert number_cells.fits_int64(-2**63) and not number_cells.fits_int64(-2**63 - 1)
    assert number_cells.fits_float32(3.4028234e38) and not number_cells.fits_float32(1e39)
    assert not number_cells.fits_float32(-3.5e38)
