"""`schema infer`: column roles from real CSVs (gaps, INT, categoricals, ids, images, labels),
each problem one line with its exit code, and no silent overwrite of a curated schema."""

import os
import statistics

import pytest

import schemas
from pipeline import cli
from pipeline.datasets import csv_table, demo_data, draft_text, schema_infer
from schemas import Role


def write(path, text):
    path.write_text(text)
    return str(path)


def draft_of(tmp_path, text, label="y"):
    path = write(tmp_path / "data.csv", text)
    return schema_infer.infer_draft(csv_table.read_table(path, label), label, str(tmp_path))


def decisions(draft):
    return {d.name: (d.kind, d.dtype, d.required, d.min_fraction) for d in draft.decisions}


def test_gaps_ints_categories_ids_and_left_out_columns(tmp_path):
    ids = [f"id{i}" for i in range(20)]
    lines = ["id,n,k,c,f,text,const,empty,y"]
    for i in range(20):
        lines.append(",".join([ids[i], "" if i % 4 == 0 else str(i), str(i % 3),
                               "" if i == 0 else "ab"[i % 2], f"{i / 3:.3f}",
                               f"t{i % 11}" if i % 2 else "x" * (i % 7), "7", "",
                               f"{i * 1.5}"]))
    draft = draft_of(tmp_path, "\n".join(lines) + "\n")
    assert decisions(draft) == {
        "id": ("key", "BYTES", True, 1.0),
        # 15 of 20 present: an eval split of about 4 rows may hold none (4 standard errors)
        "n": ("numeric", "INT", False, 0.0),
        "k": ("categorical", "INT", True, 1.0),
        "c": ("categorical", "BYTES", False, 0.51),  # 0.95 - 4 * sqrt(0.95 * 0.05 / 4)
        "f": ("numeric", "FLOAT", True, 1.0),
        "text": ("categorical", "BYTES", False, 0.3),  # empty on lines 0 and 14
        "const": ("left_out", "INT", True, 1.0),
        "empty": ("left_out", "BYTES", True, 1.0),
        "y": ("label", "FLOAT", True, 1.0)}
    assert draft.task == "regression"
    features = schemas.feature_set_from_schema(draft.schema)
    assert {f.name: (f.role, f.required) for f in features.features} == {
        "id": (Role.KEY, True), "n": (Role.NUMERIC, False), "k": (Role.CATEGORICAL, True),
        "c": (Role.CATEGORICAL, False), "f": (Role.NUMERIC, True),
        "text": (Role.CATEGORICAL, False), "y": (Role.LABEL, True)}
    assert "const" not in features.names and "empty" not in features.names


def test_presence_allows_for_the_eval_split_by_chance_holding_more_gaps(tmp_path):
    """A column 90% present may be 0.05 less so in an eval split of 400 of 2,000 rows (4
    standard errors are 0.06: 0.84), but far less in one of 20 of 100 rows, where a fixed 0.05
    stopped Boston prices' scheduled runs (69% present in a 26-row split, 74% seen)."""
    for rows, min_fraction in ((2000, 0.84), (100, 0.63), (20000, 0.85)):
        lines = ["x,y"] + [f"{'' if i % 10 == 0 else i},{i}" for i in range(rows)]
        draft = draft_of(tmp_path, "\n".join(lines) + "\n")
        assert decisions(draft)["x"] == ("numeric", "INT", False, min_fraction), rows


def test_few_integers_in_few_rows_are_a_measurement_not_a_category(tmp_path):
    """linnerud's 20 waists hold 9 distinct integers: drafted a category, a new span's 47 stopped
    the run as out of its domain. A category takes 5 rows per value on average."""
    waists = [36, 37, 38, 35, 35, 36, 38, 34, 31, 33, 34, 33, 34, 46, 36, 37, 32, 33, 36, 38]
    lines = ["waist,doors,y"] + [f"{w},{i % 3},{i}.5" for i, w in enumerate(waists)]
    kinds = {d.name: (d.kind, d.note) for d in draft_of(tmp_path, "\n".join(lines) + "\n")
             .decisions}
    assert kinds["waist"] == ("numeric", "9 distinct integers in 20 rows: a measurement (a "
                              "category takes >= 5 rows per value; if it is one, draft from "
                              "more rows)")
    assert kinds["doors"] == ("categorical", "3 distinct integers (<= 10)")


def test_free_text_with_a_distinct_value_per_row_is_not_an_id(tmp_path):
    rows = [f"id{i},note number {i},{i % 3},{i}.5" for i in range(schema_infer.MIN_KEY_VALUES)]
    draft = draft_of(tmp_path, "id,note,k,y\n" + "\n".join(rows) + "\n")
    kinds = {d.name: (d.kind, d.note) for d in draft.decisions}
    assert kinds["id"] == ("key", "a distinct value in every row: an id")
    assert kinds["note"] == ("left_out", "free text (a distinct value in every row, with "
                                         "spaces): not an id")


def test_more_distinct_texts_than_the_threshold_are_left_out(tmp_path):
    count = schema_infer.MAX_STRING_CATEGORIES + 1
    rows = [f"w{i % count},{i},{i % 2}.5" for i in range(count * 2)]
    draft = draft_of(tmp_path, "word,x,y\n" + "\n".join(rows) + "\n")
    [word] = [d for d in draft.decisions if d.name == "word"]
    assert (word.kind, word.note) == ("left_out", f"{count} distinct text values (> 100): too "
                                                  "many categories, not an id")


@pytest.mark.parametrize("labels, task, classes, majority", [
    (["a", "b", "a", "c"], "multiclass", ("a", "b", "c"), 0.5),
    (["1", "0", "1", "1"], "binary", ("0", "1"), 0.75),
    (["1.5", "2", "3", "4"], "regression", (), 0.0)])
def test_label_task(tmp_path, labels, task, classes, majority):
    draft = draft_of(tmp_path, "x,y\n" + "".join(f"{i},{v}\n" for i, v in enumerate(labels)))
    assert (draft.task, draft.classes, draft.majority_share) == (task, classes, majority)
    assert task in draft_text.task_line(draft)


def test_image_paths_under_the_data_root_are_an_image_feature(tiny_demo_data, tmp_path):
    table = csv_table.read_table(str(tiny_demo_data / demo_data.CSV_NAME), "y")
    draft = schema_infer.infer_draft(table, "y", str(tiny_demo_data))
    assert decisions(draft)["image"][0] == "image"
    with pytest.raises(schema_infer.InferError, match="none of its first 20 are files under"):
        schema_infer.infer_draft(table, "y", str(tmp_path))


def test_draft_runs_through_cli_and_is_not_overwritten(tiny_demo_data, tmp_path, capsys):
    out = tmp_path / "draft" / "schema.pbtxt"
    argv = ["schema", "infer", "--csv", str(tiny_demo_data / demo_data.CSV_NAME),
            "--label", "y", "--out", str(out)]
    assert cli.main(argv) == 0
    features = schemas.load_feature_set(str(out))
    assert {f.name: f.role for f in features.features} == {
        "image": Role.IMAGE, "z": Role.NUMERIC, "pen": Role.CATEGORICAL, "y": Role.LABEL}
    printed = capsys.readouterr().out
    assert "Task: regression (label std" in printed
    assert "  pen                      categorical" in printed

    curated = out.read_text() + "# curated by hand\n"
    out.write_text(curated)
    assert cli.main(argv) == 1
    assert "exists and may be curated: not overwritten" in capsys.readouterr().err
    assert out.read_text() == curated
    assert cli.main(argv + ["--force"]) == 0
    assert "# curated by hand" not in out.read_text()


@pytest.mark.parametrize("folder", ["existing", "new/"])
def test_out_may_name_a_folder_as_init_takes(tiny_demo_data, tmp_path, capsys, folder):
    (tmp_path / "existing").mkdir()
    out = os.path.join(str(tmp_path), folder)  # keeps the trailing slash
    assert cli.main(["schema", "infer", "--csv", str(tiny_demo_data / demo_data.CSV_NAME),
                     "--label", "y", "--out", out]) == 0
    written = os.path.join(out, schemas.SCHEMA_FILE_NAME)
    assert f"Wrote a draft schema to {written}" in capsys.readouterr().out
    assert schemas.load_feature_set(written).label.name == "y"
    assert sorted(os.listdir(os.path.dirname(written))) == [schemas.SCHEMA_FILE_NAME]


BAD_CSVS = [
    ("", "y", 1, "is empty: expected a header line"),
    ("1,2,3\n4,5,6\n", "y", 1, "has no header line: its first line (1,2,3) holds values"),
    ("x,y,x\n1,2,3\n", "y", 1, "column names appear more than once: ['x']"),
    ("x,,y\n1,,2\n", "y", 1, "column 2 of the header has no name"),
    ("x,y,\n1,2,\n3,4, 5\n", "y", 1,
     "column 3 of the header has no name, but holds values (first: line 3: ' 5'): name it"),
    ("x,y\n", "y", 1, "has a header but no data rows"),
    ("x,y\n1,2\n", "price", 2, "--label 'price' is not a column of"),
    ("x,y\n1,\n2,\n", "y", 1, "the label 'y' is empty in every row (2): nothing to learn from"),
]


def test_rows_without_a_label_are_noted(tmp_path, capsys):
    path = write(tmp_path / "gaps.csv", "x,y\n1,2\n2,\n3,4\n5,6\n")
    assert cli.main(["schema", "infer", "--csv", path, "--label", "y", "--out",
                     str(tmp_path / "out") + "/"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        "note: the label 'y' is empty in 1 of 4 rows (first: line 3): drafted from the others; a "
        "run quarantines them; that is 25.0% of the rows, over max_quarantine_fraction (1%), "
        "which fails the run: fix them or raise the limit in the config")


@pytest.mark.parametrize("text, label, code, message", BAD_CSVS)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, text, label, code, message):
    path = write(tmp_path / "bad.csv", text)
    out = tmp_path / "out"
    assert cli.main(["schema", "infer", "--csv", path, "--label", label,
                     "--out", str(out / "schema.pbtxt")]) == code
    assert cli.main(["init", "--csv", path, "--label", label, "--out", str(out)]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(message in line and line.startswith("error: ") for line in err)
    assert not out.exists()


def test_missing_csv_is_a_config_error(tmp_path, capsys):
    assert cli.main(["schema", "infer", "--csv", str(tmp_path / "none.csv"), "--label", "y",
                     "--out", str(tmp_path / "s.pbtxt")]) == 2
    assert "is not a file" in capsys.readouterr().err


SKLEARN = os.path.join(os.path.dirname(__import__("sklearn").__file__), "datasets", "data")


def test_sklearn_layouts_are_read_with_a_standard_header():
    boston = csv_table.read_table(os.path.join(SKLEARN, "boston_house_prices.csv"), "MEDV")
    assert (boston.header[:2], boston.header[-1], len(boston.rows)) == (["CRIM", "ZN"], "MEDV",
                                                                       506)
    assert boston.rows[0] == (3, dict(zip(boston.header, [
        "0.00632", "18", "2.31", "0", "0.538", "6.575", "65.2", "4.09", "1", "296", "15.3",
        "396.9", "4.98", "24"])))
    iris = csv_table.read_table(os.path.join(SKLEARN, "iris.csv"), "species")
    assert iris.header == ["feature_1", "feature_2", "feature_3", "feature_4", "species"]
    assert iris.rows[0] == (2, {"feature_1": "5.1", "feature_2": "3.5", "feature_3": "1.4",
                                "feature_4": "0.2", "species": "setosa"})
    assert sorted({row["species"] for _, row in iris.rows}) == ["setosa", "versicolor",
                                                                 "virginica"]
    assert "scikit-learn's CSV layout (no header" in iris.converted


def test_a_distinct_integer_per_row_stays_numeric_with_a_note_to_tag_it_key(tmp_path):
    count = max(schema_infer.MIN_KEY_VALUES, schema_infer.MAX_INT_CATEGORIES + 1)
    rows = [f"{1000 + i},{i % 3},{i}.5" for i in range(count)]
    draft = draft_of(tmp_path, "row_id,k,y\n" + "\n".join(rows) + "\n")
    kinds = {d.name: (d.kind, d.note) for d in draft.decisions}
    assert kinds["row_id"] == ("numeric", "a distinct integer in every row: if it is a row id, "
                                          "tag it key (as a model input it can leak how rows "
                                          "were ordered)")


def test_ids_with_empty_cells_are_described_as_distinct_in_the_non_empty_rows(tmp_path):
    """scikit-learn's iris rows with an id, a row number and a remark per row, a few of each
    empty: each note says how many rows are empty, and the key is optional."""
    iris = csv_table.read_table(os.path.join(SKLEARN, "iris.csv"), "species")
    lines = ["plant_id,plant_no,remark," + ",".join(iris.header)]
    for index, (_, row) in enumerate(iris.rows):
        lines.append(",".join(["" if index in (4, 40, 90) else f"p{index:03d}",
                               "" if index in (7, 8) else str(index + 1),
                               "" if index == 100 else f"seen on day {index}",
                               *(row[name] for name in iris.header)]))
    draft = draft_of(tmp_path, "\n".join(lines) + "\n", label="species")
    notes = {d.name: (d.kind, d.required, d.note) for d in draft.decisions[:3]}
    assert notes == {
        "plant_id": ("key", False, "a distinct value in every non-empty row (3 of 150 rows "
                                   "empty): an id"),
        "plant_no": ("numeric", False, "a distinct integer in every non-empty row (2 of 150 "
                                       "rows empty): if it is a row id, tag it key (as a model "
                                       "input it can leak how rows were ordered)"),
        "remark": ("left_out", False, "free text (a distinct value in every non-empty row (1 of "
                                      "150 rows empty), with spaces): not an id")}
    assert draft_text.describe(draft).splitlines()[0] == (
        "  plant_id                 key          BYTES  optional (>= 87% present)  a distinct "
        "value in every non-empty row (3 of 150 rows empty): an id")


def test_a_text_column_of_nearly_all_numbers_names_the_values_that_are_not(tmp_path):
    """scikit-learn's iris with one typo in a feature, and its boston prices with an `n/a`
    label: the feature's note and the label's error count the non-numbers and name the
    first, rather than only calling the column categorical or its label values too many
    classes."""
    iris = csv_table.read_table(os.path.join(SKLEARN, "iris.csv"), "species")
    lines = [",".join(iris.header)] + [",".join("5.x" if index == 3 and name == "feature_1"
                                                else row[name] for name in iris.header)
                                       for index, (_, row) in enumerate(iris.rows)]
    draft = draft_of(tmp_path, "\n".join(lines) + "\n", label="species")
    feature = draft.decisions[0]
    assert (feature.kind, feature.note) == (
        "categorical", "1 of 150 values not numbers (first: '5.x'): fix or empty them to make "
                       "it numeric; 36 distinct values (<= 100)")
    boston = csv_table.read_table(os.path.join(SKLEARN, "boston_house_prices.csv"), "MEDV")
    rows = [dict(row, MEDV="n/a" if index == 6 else row["MEDV"])
            for index, (_, row) in enumerate(boston.rows)]
    text = "\n".join([",".join(boston.header)] + [",".join(r[n] for n in boston.header)
                                                   for r in rows]) + "\n"
    with pytest.raises(schema_infer.InferError) as raised:
        draft_of(tmp_path, text, label="MEDV")
    assert str(raised.value) == (
        "the label 'MEDV' holds 230 distinct text values: too many classes (at most 100); 1 of "
        "506 values not numbers (first: 'n/a'): a regression label needs a number in every row")


def test_integer_classes_with_gaps_become_a_string_domain(tmp_path):
    """scikit-learn's boston RAD (1..8 and 24) as a label: init said `9 classes`, but the
    drafted int_domain 1..24 gave the run 24; labels 0 and 2 were drafted as `binary` and
    trained as 3 classes. Classes with gaps now keep the values they hold, in numeric order."""
    boston = csv_table.read_table(os.path.join(os.path.dirname(
        __import__("sklearn").__file__), "datasets", "data", "boston_house_prices.csv"), "RAD")
    for table, label, task, classes in (
            (boston, "RAD", schemas.Task.MULTICLASS,
             ("1", "2", "3", "4", "5", "6", "7", "8", "24")),
            (csv_table.read_table(write(tmp_path / "gap.csv", "x,y\n1,0\n2,2\n3,2\n"), "y"), "y",
             schemas.Task.BINARY, ("0", "2")),
            (csv_table.read_table(write(tmp_path / "run.csv", "x,y\n1,3\n2,4\n3,5\n"), "y"), "y",
             schemas.Task.MULTICLASS, ("3", "4", "5"))):
        draft = schema_infer.infer_draft(table, label, str(tmp_path))
        features = schemas.feature_set_from_schema(draft.schema)
        assert (draft.classes, features.task, features.class_names) == (classes, task, classes)


def test_integers_beyond_64_bits_are_a_key_when_distinct_else_float(tmp_path):
    """A 20-digit id (each row its own) does not fit INT's 64 bits, which made a run crash:
    it is drafted a key (text); integers that do not fit and repeat are FLOAT; both say why."""
    count = schema_infer.MAX_INT_CATEGORIES + 2
    rows = [f"{12345678901234500000 + i},{9223372036854775808 + i % 11},{i}.5"
            for i in range(count)]
    draft = draft_of(tmp_path, "big_id,wide,y\n" + "\n".join(rows) + "\n")
    kinds = {d.name: (d.kind, d.dtype, d.note) for d in draft.decisions}
    assert kinds["big_id"] == ("key", "BYTES", "a distinct integer in every row, integers "
                                               "beyond INT's 64 bits (first: "
                                               "'12345678901234500000', 20 digits): an id, kept "
                                               "as text")
    assert kinds["wide"] == ("numeric", "FLOAT", "integers beyond INT's 64 bits (first: "
                                                 "'9223372036854775808', 19 digits): FLOAT (a "
                                                 "32-bit float keeps about 7 digits)")
    edge = [f"{9223372036854775807 - i},{-9223372036854775808 + i},{i}.5" for i in range(count)]
    draft = draft_of(tmp_path, "top,bottom,y\n" + "\n".join(edge) + "\n")
    assert [d.dtype for d in draft.decisions[:2]] == ["INT", "INT"]


@pytest.mark.parametrize("typo", ["1_0", "١٢", "0x1A", "1.2.3"])
def test_only_plain_ascii_numbers_are_numbers(tmp_path, typo):
    """Python's float() reads `1_0` as 10 and `١٢` as 12; ingestion does not, so init counts
    them as not numbers, as it does `0x1A`."""
    rows = [f"{typo if i == 3 else i % 5 * 7},{i}.5" for i in range(20)]
    draft = draft_of(tmp_path, "n,y\n" + "\n".join(rows) + "\n")
    assert (draft.decisions[0].dtype, draft.decisions[0].note) == (
        "BYTES", f"1 of 20 values not numbers (first: {typo!r}): fix or empty them to make it "
                 "numeric; 6 distinct values (<= 100)")


@pytest.mark.parametrize("rows, over", [
    (20, "; that is 10.0% of the rows, over max_quarantine_fraction (1%), which fails the run: "
         "fix them or raise the limit in the config"),
    (400, "")])
def test_floats_beyond_a_32_bit_float_are_counted_with_what_a_run_does(tmp_path, rows, over):
    """`1e39` was counted a number, and a run quarantined its row as infinite: a FLOAT column's
    note (and the label's) counts them, names the first and says whether the run fails on them;
    the label's std (the config's RMSE bar) leaves them out, as the run does."""
    big = {3: "1e39", 5: "-3.5e38"}
    lines = [f"{big.get(i, '3.4e38' if i == 4 else f'{i}.5')},{'1e39' if i in big else i * 1.5}"
             for i in range(rows)]
    draft = draft_of(tmp_path, "f,y\n" + "\n".join(lines) + "\n")
    beyond = ("2 of {} values beyond a 32-bit float's range (first: '1e39'): a run quarantines "
              "their rows as infinite").format(rows)
    assert [(d.kind, d.dtype, d.note) for d in draft.decisions] == [
        ("numeric", "FLOAT", beyond + over), ("label", "FLOAT", f"{beyond}{over}; regression")]
    kept = [i * 1.5 for i in range(rows) if i not in big]
    assert draft.task == "regression"
    assert draft.label_std == pytest.approx(statistics.pstdev(kept), rel=1e-9)
