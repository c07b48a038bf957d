"""`schema infer`: a draft schema with image, numeric, categorical and label roles; no silent
overwrite of a curated schema."""

import pytest

import schemas
from pipeline import cli
from pipeline.datasets import demo_data
from schemas import Role


def test_draft_schema_roles_from_demo_csv(tiny_demo_data, tmp_path, capsys):
    out = tmp_path / "draft" / "schema.pbtxt"
    argv = ["schema", "infer", "--csv", str(tiny_demo_data / demo_data.CSV_NAME),
            "--label", "y", "--out", str(out)]
    assert cli.main(argv) == 0
    features = schemas.load_feature_set(str(out))
    assert {f.name: f.role for f in features.features} == {
        "image": Role.IMAGE, "z": Role.NUMERIC, "pen": Role.CATEGORICAL, "y": Role.LABEL}
    assert "image                image" in capsys.readouterr().out

    curated = out.read_text() + "# curated by hand\n"
    out.write_text(curated)
    assert cli.main(argv) == 1
    assert "exists and may be curated: not overwritten" in capsys.readouterr().err
    assert out.read_text() == curated
    assert cli.main(argv + ["--force"]) == 0
    assert "# curated by hand" not in out.read_text()


def test_unknown_label_column(tiny_demo_data, tmp_path, capsys):
    assert cli.main(["schema", "infer", "--csv", str(tiny_demo_data / demo_data.CSV_NAME),
                     "--label", "price", "--out", str(tmp_path / "s.pbtxt")]) == 1
    assert "label 'price' is not a column" in capsys.readouterr().err


def test_missing_csv_is_a_config_error(tmp_path, capsys):
    assert cli.main(["schema", "infer", "--csv", str(tmp_path / "none.csv"), "--label", "y",
                     "--out", str(tmp_path / "s.pbtxt")]) == 2
    assert "is not a file" in capsys.readouterr().err


@pytest.mark.parametrize("value, expected", [("a/b.PNG", True), ("x.jpeg", True),
                                             ("x.gif", False)])
def test_image_column_detection(value, expected):
    from pipeline.datasets.schema_infer import image_columns

    assert (image_columns([{"c": value}]) == ["c"]) is expected
