"""Reading CSV files: line numbers survive quoted multi-line fields, and a file with the wrong
columns fails fast naming the file and the columns."""

import pytest

from components.ingest import csv_files, rows


def test_quoted_multiline_fields_keep_line_numbers(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('image,z,pen,y\n"a, ""quoted""\nvalue",1,a,2\nb.png,3,b,4\n')
    assert list(csv_files.iter_csv_rows(str(path))) == [
        (3, {"image": 'a, "quoted"\nvalue', "z": "1", "pen": "a", "y": "2"}),
        (4, {"image": "b.png", "z": "3", "pen": "b", "y": "4"})]


def test_wrong_columns_fail_fast_naming_file_and_columns(tmp_path, digits_features, write_csv):
    path = write_csv(tmp_path / "bad.csv", [], header=("image", "zz", "pen", "y"))
    with pytest.raises(rows.ColumnsError) as raised:
        csv_files.check_columns(path, csv_files.read_header(path), digits_features)
    message = str(raised.value)
    assert path in message and "missing ['z']" in message and "unexpected ['zz']" in message
