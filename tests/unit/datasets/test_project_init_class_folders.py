"""`init --layout class_folders`: one image feature and a label of the folder names drafted,
the config worded for folders, images the layout does not read named, and one-line refusals."""

import os

from PIL import Image

from pipeline import cli
from pipeline.config import load_config


def test_class_folders(tmp_path, capsys):
    root = tmp_path / "pets"
    for kind in ("cat", "dog", "empty"):
        (root / kind).mkdir(parents=True)
    for kind in ("cat", "dog"):
        Image.new("L", (6, 6)).save(root / kind / "a.png")
    (root / "cat" / "notes.txt").write_text("not an image")
    out = tmp_path / "project"
    assert cli.main(["init", "--layout", "class_folders", "--data-root", str(root),
                     "--out", str(out)]) == 0
    assert "Task: binary (2 classes: cat, dog)" in capsys.readouterr().out
    config = load_config(str(out / "config.yaml"))
    assert (config.layout, config.input_pattern, config.image_channels) == (
        "class_folders", "*/*", 1)
    assert config.min_eval_accuracy == 0.5
    assert [(f.name, f.role.value) for f in config.features().features] == [
        ("image", "image"), ("label", "label")]
    text = (out / "config.yaml").read_text()  # its comments: there is no CSV to speak of
    assert "# folder holding one folder of images per class\n" in text
    assert "# " + (
        "blessed (and pushed) at or above this eval accuracy: the largest class folder's share "
        "of the images (beat_trivial_predictor also checks against the eval split's own)"
        "\n") in text


def test_class_folders_init_names_the_images_the_layout_does_not_read(tmp_path, capsys):
    """Images in the data root itself or in a class folder's subfolder are never rows: `init`
    says how many and names the first, instead of leaving a class of nested images out
    without a word."""
    root = tmp_path / "pets"
    for folder in ("cat", "dog", "bird/young"):
        (root / folder).mkdir(parents=True)
        Image.new("L", (6, 6)).save(root / folder / "a.png")
    Image.new("L", (6, 6)).save(root / "loose.jpg")
    assert cli.main(["init", "--layout", "class_folders", "--data-root", str(root),
                     "--out", str(tmp_path / "project")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"note: 2 PNG/JPEG file(s) under {root} are not directly in a class folder and are not "
        "read (first: loose.jpg): the class_folders layout reads "
        "<data_root>/<class>/<image>")


def test_class_folders_need_two_classes_and_a_data_root(tmp_path, capsys):
    (tmp_path / "only" / "cat").mkdir(parents=True)
    Image.new("L", (6, 6)).save(tmp_path / "only" / "cat" / "a.png")
    out = tmp_path / "project"
    assert cli.main(["init", "--layout", "class_folders", "--data-root",
                     str(tmp_path / "only"), "--out", str(out)]) == 1
    assert "in 1 class folder(s) (cat); the class_folders layout needs at least two" in \
        capsys.readouterr().err
    assert cli.main(["init", "--layout", "class_folders", "--out", str(out)]) == 2
    assert "needs --data-root" in capsys.readouterr().err
    assert not out.exists()


def test_a_file_name_that_is_not_utf8_is_refused_in_one_line(tmp_path, capsys):
    """`init` drafted a config whose every run then failed inside TFX's file listing."""
    root = tmp_path / "pets"
    for kind in ("cat", "dog"):
        (root / kind).mkdir(parents=True)
        Image.new("L", (6, 6)).save(root / kind / "a.png")
    Image.new("L", (6, 6)).save(os.path.join(os.fsencode(root), b"dog", b"\xe9.png"), "PNG")
    out = tmp_path / "project"
    assert cli.main(["init", "--layout", "class_folders", "--data-root", str(root),
                     "--out", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"error: {root} holds a file whose name is not UTF-8 text (dog/\\xe9.png), which a run "
        "cannot list: rename or move it\n")
    assert not out.exists()
