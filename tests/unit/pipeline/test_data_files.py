"""`pipeline.data_files`: the files under a data root whose names TensorFlow's glob, which TFX
lists a run's inputs with, cannot decode."""

import os

from pipeline.data_files import undecodable_file_name


def touch(root, *parts: bytes) -> None:
    path = os.path.join(os.fsencode(root), *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.close(os.open(path, os.O_CREAT))


def test_only_a_name_an_input_pattern_matches_is_named(tmp_path):
    touch(tmp_path, b"data.csv")
    touch(tmp_path, b"\xe9.txt")  # beside the CSV: `*.csv` does not match it, glob skips it
    touch(tmp_path, b"cat", b"a.png")
    assert undecodable_file_name(str(tmp_path), ["*.csv"]) is None
    assert undecodable_file_name(str(tmp_path), ["*/*"]) is None
    touch(tmp_path, b"cat", b"\xe9t\xe9.png")
    assert undecodable_file_name(str(tmp_path), ["*.csv"]) is None
    assert undecodable_file_name(str(tmp_path), ["*/*"]) == "cat/\\xe9t\\xe9.png"
    touch(tmp_path, b"span-\xe9", b"cat", b"a.png")
    assert undecodable_file_name(str(tmp_path), ["span-{SPAN}/*/*"]) == "span-\\xe9/cat/a.png"


def test_the_output_directory_inside_the_data_root_is_left_out(tmp_path):
    touch(tmp_path, b"out", b"\xe9.csv")
    assert undecodable_file_name(str(tmp_path), ["*/*.csv"], str(tmp_path / "out")) is None
    assert undecodable_file_name(str(tmp_path), ["*/*.csv"]) == "out/\\xe9.csv"
