"""`init` on image columns by ingestion's image path rule (components/ingest/image_paths.py):
absolute paths under the data root drafted and ingested; paths a run would quarantine in every
row (a backslash, outside the data root, not a file, a link out) refused with the rule's
reason, for a CSV and for class folders."""

import pytest
from PIL import Image

from pipeline import cli
from pipeline.config import load_config


def _csv_of_images(folder, cells):
    """`folder`/data.csv: an image column holding `cells` (images 0.png, ... in `folder`/img
    made first) and a numeric label."""
    (folder / "img").mkdir(parents=True)
    for index in range(len(cells)):
        Image.new("L", (6, 6), color=index * 9).save(folder / "img" / f"{index}.png")
    (folder / "data.csv").write_text("image,price\n" + "".join(
        f"{cell},{index * 1.5}\n" for index, cell in enumerate(cells)))
    return str(folder / "data.csv")


def test_absolute_image_paths_under_the_data_root_are_drafted_and_ingested(tmp_path, capsys):
    """`init` and ingestion apply one path rule: an absolute path under the data root is read
    as the path relative to it (such a CSV was drafted, then every row quarantined)."""
    from components.ingest import rows

    folder = tmp_path / "abs"
    csv_path = _csv_of_images(folder, [f"{folder}/img/{i}.png" for i in range(4)])
    assert cli.main(["init", "--csv", csv_path, "--label", "price",
                     "--out", str(tmp_path / "p")]) == 0
    config = load_config(str(tmp_path / "p" / "config.yaml"))
    assert {f.name: f.role.value for f in config.features().features} == {
        "image": "image", "price": "label"}
    settings = rows.IngestSettings(features=config.features(), max_image_pixels=10**6,
                                   max_quarantine_fraction=0.0,
                                   image_channels=config.image_channels)
    example = rows.row_to_example({"image": f"{folder}/img/2.png", "price": "3.0"}, settings,
                                  config.data_root)
    assert (example.features.feature["image"].bytes_list.value[0]
            == (folder / "img" / "2.png").read_bytes())


@pytest.mark.parametrize("cells, why", [
    (["img\\0.png", "img\\1.png"],
     "image path holds a backslash (img\\0.png: paths use '/', as in img/0.png)"),
    (["/elsewhere/0.png", "/elsewhere/1.png"],
     "image path escapes the data root (/elsewhere/0.png is not under {root}: paths are "
     "relative to the data root, or absolute under it)"),
    (["img/7.png", "img/8.png"],
     "img/7.png is not a file there (pass --data-root: the folder the paths are relative to)")])
def test_image_paths_ingestion_refuses_are_refused_by_init_with_their_reason(
        tmp_path, capsys, cells, why):
    folder = tmp_path / "data"
    csv_path = _csv_of_images(folder, cells)
    assert cli.main(["init", "--csv", csv_path, "--label", "price",
                     "--out", str(tmp_path / "p")]) == 1
    assert capsys.readouterr().err == (
        f"error: column 'image' holds image paths, but none of its first 2 are files under the "
        f"data root {folder}: {why.format(root=folder)}\n")
    assert not (tmp_path / "p").exists()


def test_images_through_a_folder_linked_out_of_the_data_root_are_refused_by_init(tmp_path,
                                                                                 capsys):
    """Ingestion reads no file outside the data root, links included: `init` says so for a CSV
    and for class folders, instead of drafting a project whose every row is quarantined."""
    elsewhere = tmp_path / "elsewhere"
    _csv_of_images(elsewhere, ["img/0.png", "img/1.png"])
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "img").symlink_to(elsewhere / "img")
    (folder / "data.csv").write_text((elsewhere / "data.csv").read_text())
    assert cli.main(["init", "--csv", str(folder / "data.csv"), "--label", "price",
                     "--out", str(tmp_path / "p")]) == 1
    assert capsys.readouterr().err == (
        f"error: column 'image' holds image paths, but none of its first 2 are files under the "
        f"data root {folder}: image path escapes the data root (img/0.png: a symbolic link "
        f"leads it to {elsewhere}/img/0.png, outside {folder}; copy the files under the data "
        "root, or make the folder that holds them the data root)\n")
    (folder / "cat").mkdir()
    Image.new("L", (6, 6)).save(folder / "cat" / "a.png")
    (folder / "dog").symlink_to(elsewhere / "img")
    assert cli.main(["init", "--layout", "class_folders", "--data-root", str(folder),
                     "--out", str(tmp_path / "p")]) == 1
    assert capsys.readouterr().err == (
        f"error: class folder 'dog' under {folder}: image path escapes the data root "
        f"(dog/0.png: a symbolic link leads it to {elsewhere}/img/0.png, outside {folder}; copy "
        "the files under the data root, or make the folder that holds them the data root)\n")


def test_a_class_folder_with_some_files_a_run_quarantines_is_drafted_with_a_note(tmp_path,
                                                                                  capsys):
    """One file linked out of the data root refused the whole dataset; a run quarantines only
    that row, so init drafts it and says so (a folder with no usable file is still refused)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    Image.new("L", (6, 6)).save(elsewhere / "out.png")
    folder = tmp_path / "data"
    for name in ("cat", "dog"):
        (folder / name).mkdir(parents=True)
        for index in range(3):
            Image.new("L", (6, 6), color=index * 40).save(folder / name / f"{index}.png")
    (folder / "cat" / "3.png").symlink_to(elsewhere / "out.png")
    assert cli.main(["init", "--layout", "class_folders", "--data-root", str(folder),
                     "--out", str(tmp_path / "p")]) == 0
    assert (f"note: class folder 'cat': 1 of the first 4 images a run quarantines: image path "
            f"escapes the data root (cat/3.png: a symbolic link leads it to "
            f"{elsewhere}/out.png, outside {folder}; copy the files under the data root, or "
            "make the folder that holds them the data root)") in capsys.readouterr().out
    assert load_config(str(tmp_path / "p" / "config.yaml")).features().label.classes == (
        "cat", "dog")


@pytest.mark.parametrize("rows, over", [
    (4, "; that is 50.0% of the rows, over max_quarantine_fraction (1%), which fails the run: "
        "fix them or raise the limit in the config"),
    (200, "")])
def test_rows_whose_image_is_absent_are_noted_with_what_a_run_does(tmp_path, capsys, rows,
                                                                   over):
    """A CSV whose rows mostly name images, but one an absent file and one none: drafted (a
    run quarantines only those rows), and `init` says how many, the first line and whether a
    run fails on them (the draft said nothing, and its run failed over the quarantine limit)."""
    folder = tmp_path / "data"
    cells = [f"img/{index}.png" for index in range(rows)]
    cells[1], cells[2] = "img/gone.png", ""
    csv_path = _csv_of_images(folder, cells)
    assert cli.main(["init", "--csv", csv_path, "--label", "price",
                     "--out", str(tmp_path / "p")]) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    assert notes == [f"note: column 'image' names no PNG/JPEG file in 2 of {rows} rows (first: "
                     f"line 3: img/gone.png is not a file there); a run quarantines them{over}"]


def test_rows_that_all_name_an_image_get_no_note(tmp_path, capsys):
    csv_path = _csv_of_images(tmp_path / "data", [f"img/{index}.png" for index in range(3)])
    assert cli.main(["init", "--csv", csv_path, "--label", "price",
                     "--out", str(tmp_path / "p")]) == 0
    assert "note:" not in capsys.readouterr().out


def test_a_few_paths_that_are_not_png_or_jpeg_keep_the_column_an_image(tmp_path, capsys):
    """Two `.gif` cells among 40 image paths made the column an id (a key: never a model
    input), so the drafted model read no image at all; it is an image column whose other rows
    a run quarantines, and `init` says so."""
    cells = [f"img/{index}.png" for index in range(40)]
    cells[4], cells[9] = "img/4.gif", "img/9.webp"
    csv_path = _csv_of_images(tmp_path / "data", cells)
    assert cli.main(["init", "--csv", csv_path, "--label", "price",
                     "--out", str(tmp_path / "p")]) == 0
    out = capsys.readouterr().out
    assert ("note: column 'image' names no PNG/JPEG file in 2 of 40 rows (first: line 6: "
            "img/4.gif is not a PNG/JPEG file name); a run quarantines them; that is 5.0% of "
            "the rows, over max_quarantine_fraction (1%), which fails the run: fix them or "
            "raise the limit in the config") in out.splitlines()
    config = load_config(str(tmp_path / "p" / "config.yaml"))
    assert {f.name: f.role.value for f in config.features().features} == {
        "image": "image", "price": "label"}
