"""Reading CSV files: a record spanning lines (quoted fields) is numbered by the line it starts
on; a file that lacks a schema column, is empty or names a column twice fails fast naming the
file; extra columns are returned to be ignored, an unnamed one by its place."""

import re

import pytest

from components.ingest import csv_files, rows


def test_quoted_multiline_fields_keep_line_numbers(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('image,z,pen,y\n"a, ""quoted""\nvalue",1,a,2\nb.png,3,b,4\n')
    assert list(csv_files.iter_csv_rows(str(path))) == [
        (2, {"image": 'a, "quoted"\nvalue', "z": "1", "pen": "a", "y": "2"}),
        (4, {"image": "b.png", "z": "3", "pen": "b", "y": "4"})]


def test_a_record_spanning_lines_is_numbered_by_the_line_it_starts_on(tmp_path):
    """Rows, rejected rows and a quote left open to the end of the file: each record's number
    is its first line (it was its last), after blank lines too."""
    path = tmp_path / "spans.csv"
    path.write_text('id,z\nr1,"a\nb"\n\nr2,"c\nd\ne",extra\nr3,6\nr4,"open\nr5,7\n')
    records = [(line, row, str(rejection) if rejection else None)
               for line, row, rejection in csv_files.iter_csv_records(str(path))]
    assert records == [
        (2, {"id": "r1", "z": "a\nb"}, None),
        (5, {"id": "r2", "z": "c\nd\ne", csv_files.EXTRA_FIELDS: '["extra"]'},
         "(line): wrong number of fields (3 fields, header has 2)"),
        (8, {"id": "r3", "z": "6"}, None),
        (9, {"id": "r4", "z": "open\nr5,7\n"}, None)]


def test_missing_column_fails_fast_naming_file_and_column(tmp_path, digits_features, write_csv):
    path = write_csv(tmp_path / "bad.csv", [], header=("image", "zz", "pen", "y"))
    with pytest.raises(rows.ColumnsError) as raised:
        csv_files.check_columns(path, csv_files.read_header(path), digits_features)
    assert str(raised.value) == (f"{path}: columns of the schema missing from the file: ['z'] "
                                 "(the file has ['image', 'zz', 'pen', 'y'])")


@pytest.mark.parametrize("for_serving", [False, True])
def test_a_semicolon_separated_file_says_so_in_its_missing_columns(tmp_path, digits_features,
                                                                   for_serving):
    """`run` and `predict` give init's hint: the header reads as one column holding ';'."""
    path = tmp_path / "semi.csv"
    path.write_text("image;z;pen;y\na.png;1,5;a;2\n")
    with pytest.raises(rows.ColumnsError) as raised:
        csv_files.check_columns(str(path), csv_files.read_header(str(path)), digits_features,
                                for_serving=for_serving)
    missing = ["image", "z", "pen"] + ([] if for_serving else ["y"])
    assert str(raised.value) == (
        f"{path}: columns of the schema missing from the file: {missing} (the file has "
        "['image;z;pen;y']); the header is one column holding semicolons: the file looks "
        "semicolon-separated, and CSV files here are comma-separated")


def test_extra_columns_are_returned_to_be_ignored(tmp_path, digits_features, write_csv):
    path = write_csv(tmp_path / "more.csv", [], header=("id", "image", "z", "pen", "y", "note"))
    assert csv_files.check_columns(path, csv_files.read_header(path), digits_features) == [
        "id", "note"]
    no_label = write_csv(tmp_path / "new.csv", [], header=("image", "z", "pen"))
    assert csv_files.check_columns(no_label, csv_files.read_header(no_label), digits_features,
                                   for_serving=True) == []


@pytest.mark.parametrize("for_serving", [False, True])
def test_unnamed_columns_are_ignored_by_their_place_not_an_empty_name(tmp_path, digits_features,
                                                                     for_serving):
    """Excel's trailing comma on every line gives the header an unnamed last column: run and
    predict named it '' among the columns they ignore."""
    trailing = tmp_path / "excel.csv"
    trailing.write_text("image,z,pen,y,\na.png,1,a,2,\n")
    assert csv_files.check_columns(str(trailing), csv_files.read_header(str(trailing)),
                                   digits_features, for_serving) == ["a trailing empty column"]
    unnamed = tmp_path / "unnamed.csv"
    unnamed.write_text("id,,image,z,pen,y,\nr1,,a.png,1,a,2,\n")
    assert csv_files.check_columns(str(unnamed), csv_files.read_header(str(unnamed)),
                                   digits_features, for_serving) == [
        "id", "column 2 (no name)", "a trailing empty column"]


@pytest.mark.parametrize("content, message", [
    ("", "the file is empty (no header line)"),
    ("image,z,pen,z,y\n", "column names appear more than once: ['z']")])
def test_empty_file_and_duplicate_columns_fail_fast(tmp_path, digits_features, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(rows.ColumnsError, match=re.escape(message)):
        csv_files.check_columns(str(path), csv_files.read_header(str(path)), digits_features)


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column(tmp_path, digits_features):
    """Excel's "CSV UTF-8" starts the file with a BOM."""
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfimage,z,pen,y\r\nimg/a.png,1,a,2\r\n")
    assert csv_files.read_header(str(path)) == ["image", "z", "pen", "y"]
    assert csv_files.check_columns(str(path), csv_files.read_header(str(path)),
                                   digits_features) == []
    assert [row for _, row in csv_files.iter_csv_rows(str(path))] == [
        {"image": "img/a.png", "z": "1", "pen": "a", "y": "2"}]


def test_a_row_with_the_wrong_number_of_fields_keeps_its_cells(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("id,z\nr1\nr2,5,extra,\"a,b\"\nr3,6\n")
    records = list(csv_files.iter_csv_records(str(path)))
    assert [(line, row, str(rejection) if rejection else None)
            for line, row, rejection in records] == [
        (2, {"id": "r1"}, "(line): wrong number of fields (1 fields, header has 2)"),
        (3, {"id": "r2", "z": "5", csv_files.EXTRA_FIELDS: '["extra", "a,b"]'},
         "(line): wrong number of fields (4 fields, header has 2)"),
        (4, {"id": "r3", "z": "6"}, None)]
