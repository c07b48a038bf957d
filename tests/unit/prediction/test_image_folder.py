"""`predict --images`: the schema must read one image and nothing else; the folder's PNG/JPEG
files (subfolders too) become the rows, other files are named, not scored."""

import os

import pytest

import schemas
from components.prediction import image_folder


def test_only_a_schema_whose_single_input_is_an_image_takes_a_folder(digits_features):
    folders = schemas.load_feature_set(schemas.dataset_schema_path("digit_classes"))
    assert image_folder.image_input(folders) == "image"
    with pytest.raises(ValueError) as raised:
        image_folder.image_input(digits_features)
    assert str(raised.value) == (
        "a folder of images can be scored when the model's only input is one image; this "
        "schema's inputs are ['image', 'z', 'pen']: pass a --csv of rows")


def test_images_are_listed_sorted_relative_with_subfolders_and_other_files_apart(tmp_path):
    for name in ("b.png", "a.JPG", "sub/c.jpeg", "sub/deeper/d.png", "notes.txt", "sub/x.gif",
                 "line\nbreak.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    images, others = image_folder.list_images(str(tmp_path))
    assert images == ["a.JPG", "b.png", "sub/c.jpeg", "sub/deeper/d.png"]
    assert others == ["line\nbreak.png", "notes.txt", "sub/x.gif"]


def test_the_listing_has_one_row_per_image_on_line_index_plus_two(tmp_path):
    path = tmp_path / "images.csv"
    image_folder.write_listing(["a.png", "with, comma.png", 'quote".png'], "image", str(path))
    assert path.read_text() == 'image\na.png\n"with, comma.png"\n"quote"".png"\n'


def test_a_name_that_is_not_utf8_is_another_file_and_printed_escaped(tmp_path):
    (tmp_path / "a.png").write_bytes(b"")
    os.close(os.open(os.path.join(os.fsencode(tmp_path), b"\xe9t\xe9.png"), os.O_CREAT))
    images, others = image_folder.list_images(str(tmp_path))
    assert images == ["a.png"]
    assert others == ["\udce9t\udce9.png"]
    assert image_folder.not_scored_note(others) == (
        "Not scoring 1 file(s) that are not PNG/JPEG images, or images whose names are not "
        "UTF-8 text on one line (first: '\\udce9t\\udce9.png')")
    assert image_folder.not_scored_note(["line\nbreak.txt"]) == (
        "Not scoring 1 file(s) that are not PNG/JPEG images (first: 'line\\nbreak.txt')")
    assert image_folder.not_scored_note(["ünï notes.txt", "x.gif"]) == (
        "Not scoring 2 file(s) that are not PNG/JPEG images (first: ünï notes.txt)")
