"""`init`: schema and commented config side by side that load as they are, the run command
printed, scikit-learn's layout written as a standard copy, class folders drafted, and one-line
refusals that write nothing."""

import os

import pytest
import yaml
from PIL import Image

from pipeline import cli
from pipeline.config import load_config
from pipeline.datasets import demo_data

SKLEARN_DATA = os.path.join(os.path.dirname(__import__("sklearn").__file__), "datasets", "data")
TAXI_CSV = os.path.join(os.path.dirname(__import__("tfx").__file__), "examples",
                        "chicago_taxi_pipeline", "data", "simple", "data.csv")


def test_the_next_command_names_the_config_relative_only_under_the_working_directory(
        tiny_demo_data, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "--csv", str(tiny_demo_data / demo_data.CSV_NAME), "--label", "y",
                     "--out", "project"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("run --config project/config.yaml")


def test_csv_project_loads_as_written(tiny_demo_data, tmp_path, capsys):
    out = tmp_path / "demo"
    assert cli.main(["init", "--csv", str(tiny_demo_data / demo_data.CSV_NAME), "--label", "y",
                     "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[-1].endswith(f"run --config {out}/config.yaml")  # not ../..
    config = load_config(str(out / "config.yaml"))
    assert (config.data_root, config.input_pattern) == (str(tiny_demo_data), demo_data.CSV_NAME)
    assert config.image_channels == 3  # the demo holds RGB images among the first ones
    assert {f.name: f.role.value for f in config.features().features} == {
        "image": "image", "z": "numeric", "pen": "categorical", "y": "label"}
    text = (out / "config.yaml").read_text()
    assert "# blessed (and pushed) at or below this eval RMSE" in text
    assert yaml.safe_load(text)["max_eval_rmse"] > 1.0
    assert cli.main(["init", "--csv", str(tiny_demo_data / demo_data.CSV_NAME), "--label", "y",
                     "--out", str(out)]) == 1
    assert "exists and may be curated" in capsys.readouterr().err


def test_sklearn_layout_is_written_as_a_standard_copy(tmp_path, capsys):
    out = tmp_path / "iris"
    assert cli.main(["init", "--csv", os.path.join(SKLEARN_DATA, "iris.csv"), "--label",
                     "species", "--out", str(out)]) == 0
    assert "note: " in capsys.readouterr().out
    copy = out / "data" / "iris.csv"
    lines = copy.read_text().splitlines()
    assert lines[:2] == ["feature_1,feature_2,feature_3,feature_4,species",
                         "5.1,3.5,1.4,0.2,setosa"]
    assert len(lines) == 151
    config = load_config(str(out / "config.yaml"))
    assert (config.data_root, config.input_pattern) == (str(out / "data"), "iris.csv")
    assert config.min_eval_accuracy == 0.3333  # 50 of 150 rows per class, rounded down
    assert config_comments(out)["min_eval_accuracy"] == (
        "blessed (and pushed) at or above this eval accuracy: the CSV's largest class share "
        "(beat_trivial_predictor also checks against the eval split's own)")


def config_comments(out):
    """The comment on each setting of the config `init` wrote in `out`, by setting."""
    lines = (out / "config.yaml").read_text().splitlines()
    return {line.split(":")[0]: line.split(" # ", 1)[1] for line in lines
            if not line.startswith("#") and " # " in line}


def test_a_sample_drawn_with_rows_is_said_to_be_one(tmp_path, capsys):
    """`--rows` drafts from the first rows: categories past them stop the run (TFX's taxi CSV
    drafted from 500 rows failed on companies and payment types past them), so `init` says so; a
    `--rows` that covers the file says nothing."""
    csv = tmp_path / "data.csv"
    csv.write_text("x,c,y\n" + "".join(f"{i},{'ab'[i % 2]},{i * 0.5}\n" for i in range(30)))
    assert cli.main(["init", "--csv", str(csv), "--label", "y", "--out", str(tmp_path / "p10"),
                     "--rows", "10"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "note: drafted from the first 10 rows only (--rows): values the sample lacks (a new "
        "category, a gap in a column it saw full) stop the run or quarantine rows; drop --rows "
        "to draft from every row")
    assert cli.main(["init", "--csv", str(csv), "--label", "y", "--out", str(tmp_path / "p99"),
                     "--rows", "99"]) == 0
    assert "note:" not in capsys.readouterr().out


def test_a_samples_verdict_says_it_is_the_samples(tmp_path, capsys):
    """scikit-learn's iris is sorted by class: its first 20 rows hold one class. The refusal says
    it comes from the `--rows` sample; from every row, iris drafts."""
    iris = os.path.join(SKLEARN_DATA, "iris.csv")
    assert cli.main(["init", "--csv", iris, "--label", "species", "--out",
                     str(tmp_path / "p20"), "--rows", "20"]) == 1
    assert capsys.readouterr().err == (
        "error: the label 'species' has a single value (setosa): nothing to learn (in the first "
        "20 rows only, --rows: drop it to draft from every row)\n")
    assert cli.main(["init", "--csv", iris, "--label", "species", "--out",
                     str(tmp_path / "all")]) == 0


def test_a_space_separated_file_is_named_as_such(tmp_path, capsys):
    """scikit-learn's linnerud files separate columns with spaces: the header reads as one."""
    linnerud = os.path.join(SKLEARN_DATA, "linnerud_exercise.csv")
    assert cli.main(["init", "--csv", linnerud, "--label", "Jumps", "--out",
                     str(tmp_path / "p")]) == 2
    assert capsys.readouterr().err == (
        f"error: --label 'Jumps' is not a column of {linnerud}: ['Chins Situps Jumps']; the "
        "header is one column holding spaces: the file looks space-separated, and CSV files "
        "here are comma-separated\n")
    assert not (tmp_path / "p").exists()


def test_a_semicolon_separated_file_with_decimal_commas_is_named_as_such(tmp_path, capsys):
    """Iris saved by a European Excel (`;` between fields, `,` in numbers): each row then splits
    into five fields under a one-column header, and `init` said `has a header but no data rows`
    of a file of 150 rows."""
    lines = open(os.path.join(SKLEARN_DATA, "iris.csv")).read().splitlines()[1:]
    semi = tmp_path / "iris.csv"
    semi.write_text("sepal_length;sepal_width;petal_length;petal_width;species\n" + "".join(
        ";".join(cell.replace(".", ",") for cell in line.split(",")) + "\n" for line in lines))
    assert cli.main(["init", "--csv", str(semi), "--label", "species", "--out",
                     str(tmp_path / "p")]) == 1
    assert capsys.readouterr().err == (
        f"error: {semi} has a header but no data rows: none of its 150 lines can be a row "
        "(first: line 2: (line): wrong number of fields (5 fields, header has 1)); the header is "
        "one column holding semicolons: the file looks semicolon-separated, and CSV files here "
        "are comma-separated\n")
    assert not (tmp_path / "p").exists()


def test_a_compressed_file_or_a_workbook_is_named_as_such(tmp_path, capsys):
    """scikit-learn's digits.csv.gz (gzip) and an .xlsx (a ZIP archive) were refused as an
    `unreadable header line: NUL byte in line (at byte 8)`."""
    import zipfile

    workbook = tmp_path / "sheet.xlsx"
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    for path, what in (
            (os.path.join(SKLEARN_DATA, "digits.csv.gz"),
             "is gzip-compressed, not CSV text: decompress it (e.g. `gunzip -k`) and use the CSV"),
            (str(workbook), "is a ZIP archive (as an Excel workbook is), not CSV text: save it as "
                            "CSV, or unzip it")):
        assert cli.main(["init", "--csv", path, "--label", "target", "--out",
                         str(tmp_path / "p")]) == 1
        assert capsys.readouterr().err == f"error: {path}: the file {what}\n"
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("rows, over", [
    (49, "; that is 2.0% of the rows, over max_quarantine_fraction (1%), which fails the run: "
         "fix them or raise the limit in the config"),
    (199, "")])
def test_lines_that_cannot_be_rows_are_named_with_what_a_run_does(tmp_path, capsys, rows, over):
    """A whitespace-only line (as in a hand-edited wine CSV) is no row: `init` drafted from the
    rest without a word, and the run then failed on 1.1% quarantined rows."""
    csv = tmp_path / "data.csv"
    lines = [f"{i},{'ab'[i % 2]},{i * 0.5}" for i in range(rows)]
    csv.write_text("\n".join(["x,c,y", *lines[:5], "   ", *lines[5:]]) + "\n")
    assert cli.main(["init", "--csv", str(csv), "--label", "y", "--out",
                     str(tmp_path / "p")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"note: 1 line(s) of {csv} cannot be rows (first: line 7: (line): wrong number of "
        "fields (1 fields, header has 3)): left out of the draft; a run quarantines them" + over)


def test_unwritable_output_is_one_line(tmp_path, capsys):
    (tmp_path / "data.csv").write_text("x,y\n1,2.5\n2,3.5\n3,1.0\n")
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli.main(["init", "--csv", str(tmp_path / "data.csv"), "--label", "y",
                     "--out", str(blocker / "project")]) == 1
    assert capsys.readouterr().err == f"error: {blocker / 'project'}: Not a directory\n"


def test_a_long_column_name_widens_the_printed_table(tmp_path, capsys):
    """scikit-learn's Boston CSV with its first column renamed to 40 characters and ZN empty in
    its first 51 rows: every column of the table starts at the same place on every line."""
    long_name = "per_capita_crime_rate_by_town_in_the_set"
    with open(os.path.join(SKLEARN_DATA, "boston_house_prices.csv"), encoding="utf-8") as handle:
        lines = handle.read().splitlines()[1:]  # a standard header: no scikit-learn note
    lines[0] = lines[0].replace('"CRIM"', long_name)
    for number in range(1, 52):
        cells = lines[number].split(",")
        lines[number] = ",".join([cells[0], "", *cells[2:]])
    (tmp_path / "boston.csv").write_text("\n".join(lines) + "\n")
    assert cli.main(["init", "--csv", str(tmp_path / "boston.csv"), "--label", "MEDV",
                     "--out", str(tmp_path / "project")]) == 0
    assert len(long_name) == 40
    assert capsys.readouterr().out.splitlines()[1:15] == [
        "  per_capita_crime_rate_by_town_in_the_set numeric      FLOAT",
        "  ZN                                       numeric      FLOAT  optional (>= 77% present)",
        "  INDUS                                    numeric      FLOAT",
        "  CHAS                                     categorical  INT                               "
        "2 distinct integers (<= 10)",
        "  NOX                                      numeric      FLOAT",
        "  RM                                       numeric      FLOAT",
        "  AGE                                      numeric      FLOAT",
        "  DIS                                      numeric      FLOAT",
        "  RAD                                      categorical  INT                               "
        "9 distinct integers (<= 10)",
        "  TAX                                      numeric      INT",
        "  PTRATIO                                  numeric      FLOAT",
        "  B                                        numeric      FLOAT",
        "  LSTAT                                    numeric      FLOAT",
        "  MEDV                                     label        FLOAT                             "
        "regression"]


def test_a_csv_in_a_shared_folder_is_said_to_share_it(tmp_path, capsys):
    """TFX's taxi CSV saved into a downloads-like folder: runs list every file under the data root
    to see whether the data changed, so `init` says when 20 or more of them are neither the CSV
    nor images (images do not count); fewer say nothing."""
    downloads = tmp_path / "downloads"
    (downloads / "old").mkdir(parents=True)
    (downloads / "taxi.csv").write_bytes(open(TAXI_CSV, "rb").read())
    for index in range(19):
        (downloads / ("old" if index % 2 else ".") / f"report-{index:02d}.pdf").write_bytes(b"%")
    Image.new("RGB", (4, 4)).save(downloads / "photo.png")
    command = ["init", "--csv", str(downloads / "taxi.csv"), "--label", "tips", "--out"]
    assert cli.main(command + [str(tmp_path / "p1")]) == 0
    assert "note:" not in capsys.readouterr().out  # 19 others: the pdfs
    (downloads / "old" / "setup.exe").write_bytes(b"MZ")
    assert cli.main(command + [str(tmp_path / "p2")]) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    assert notes == [
        f"note: the data root {downloads} also holds 20 files that are neither the CSV nor images "
        "(e.g. report-00.pdf, report-02.pdf, report-04.pdf): every run lists them to see whether "
        "the data changed, and a change to any of them sends the next run through TFX's runner "
        "(each component from its cache); a folder holding only the CSV and its images avoids "
        "both"]


def test_a_label_of_whole_numbers_written_as_decimals_is_noted(tmp_path, capsys):
    """scikit-learn's iris with its classes written 0.0, 1.0, 2.0 (as pandas writes an integer
    column with a gap) was drafted as regression without a word."""
    lines = open(os.path.join(SKLEARN_DATA, "iris.csv")).read().splitlines()[1:]
    decimals = tmp_path / "iris.csv"
    decimals.write_text("a,b,c,d,species\n" + "".join(
        line.rsplit(",", 1)[0] + f",{float(line.rsplit(',', 1)[1])}\n" for line in lines))
    assert cli.main(["init", "--csv", str(decimals), "--label", "species", "--out",
                     str(tmp_path / "p")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "note: the label 'species' holds 3 distinct values, all whole numbers written as "
        "decimals (0.0, 1.0, 2.0): drafted as regression; if they are classes, write them as "
        "integers (0, 1, 2) or names and run init again")
    boston = os.path.join(SKLEARN_DATA, "boston_house_prices.csv")  # MEDV: 229 values
    assert cli.main(["init", "--csv", boston, "--label", "MEDV", "--out",
                     str(tmp_path / "b")]) == 0
    assert "whole numbers" not in capsys.readouterr().out


def test_lines_ending_in_a_carriage_return_alone_are_named_as_such(tmp_path, capsys):
    """iris saved with classic Mac line endings (CR alone), or with a stray CR in its header
    (a CRLF file given a trailing comma by `sed 's/$/,/'`): init and predict ended in Python's
    `_csv.Error: new-line character seen in unquoted field` traceback."""
    text = "a,b,c,d,species\n" + open(os.path.join(SKLEARN_DATA, "iris.csv")).read().split(
        "\n", 1)[1]
    mac = tmp_path / "mac.csv"
    mac.write_bytes(text.replace("\n", "\r").encode())
    stray = tmp_path / "stray.csv"
    stray.write_bytes(text.replace("\n", "\r,\n").encode())
    for path in (mac, stray):
        assert cli.main(["init", "--csv", str(path), "--label", "species", "--out",
                         str(tmp_path / "p")]) == 1
        assert capsys.readouterr().err == (
            f"error: {path}: the header line holds a carriage return: the file's lines end in CR "
            "alone (as classic Mac OS and Excel's \"CSV (Macintosh)\" write them) or it holds a "
            "stray one; save it with LF or CRLF line endings\n")
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("label, note", [
    ("trip_seconds", "the label 'trip_seconds' is empty in 6 of 15002 rows (first: line 4593): "
                     "drafted from the others; a run quarantines them"),
    ("dropoff_community_area",
     "the label 'dropoff_community_area' is empty in 507 of 15002 rows (first: line 2): drafted "
     "from the others; a run quarantines them; that is 3.4% of the rows, over "
     "max_quarantine_fraction (1%), which fails the run: fix them or raise the limit in the "
     "config")])
def test_a_label_with_empty_cells_is_drafted_and_its_empty_rows_quarantined(
        tmp_path, capsys, label, note):
    """TFX's taxi CSV with trip_seconds as the label (6 rows without one) was refused whole; the
    draft now comes from the other rows, and ingestion quarantines the 6 (the label stays
    required)."""
    import csv

    from components.ingest import rows

    assert cli.main(["init", "--csv", TAXI_CSV, "--label", label, "--out",
                     str(tmp_path / "p")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"note: {note}"
    config = load_config(str(tmp_path / "p" / "config.yaml"))
    features = config.features()
    assert features.label.name == label and features.label.required
    settings = rows.IngestSettings(features=features, max_image_pixels=config.max_image_pixels,
                                   max_quarantine_fraction=config.max_quarantine_fraction,
                                   image_channels=config.image_channels)
    with open(TAXI_CSV, newline="") as handle:
        unlabelled = next(row for row in csv.DictReader(handle) if not row[label].strip())
    with pytest.raises(rows.RowRejected) as rejected:
        rows.row_to_example(unlabelled, settings, config.data_root)
    assert (rejected.value.column, rejected.value.reason) == (label, rows.Reason.MISSING_VALUE)


def test_a_separator_ending_every_line_is_an_ignored_column(tmp_path, capsys):
    """Excel's trailing comma on every line: init refused the header's unnamed last column,
    while run and predict ignored it under an empty name; all three now ignore it, by its
    place."""
    from components.ingest import csv_files

    csv = tmp_path / "excel.csv"
    csv.write_bytes(b"x,c,y,\r\n" + b"".join(
        f"{i},{'ab'[i % 2]},{i * 0.5},\r\n".encode() for i in range(30)))
    note = (f"note: column 4 of {csv}'s header has no name and no value in any row read (a "
            "trailing separator on every line, as Excel writes): ignored, as runs and predict "
            "ignore it")
    assert cli.main(["schema", "infer", "--csv", str(csv), "--label", "y", "--out",
                     str(tmp_path / "s") + "/"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == note
    assert cli.main(["init", "--csv", str(csv), "--label", "y", "--out",
                     str(tmp_path / "p")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == note
    features = load_config(str(tmp_path / "p" / "config.yaml")).features()
    assert features.names == ["x", "c", "y"]
    for for_serving in (False, True):
        assert csv_files.check_columns(str(csv), csv_files.read_header(str(csv)), features,
                                       for_serving) == ["a trailing empty column"]
