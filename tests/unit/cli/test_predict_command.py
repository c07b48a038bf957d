"""`predict` refusals: one line each, before any model is loaded; nothing written."""

import pytest
import yaml

from pipeline import cli


def write_config(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out")}))
    return str(path)


def test_no_pushed_model_or_input_is_one_line(tmp_path, tiny_demo_data, capsys):
    config = write_config(tmp_path)
    output = tmp_path / "predictions.csv"
    csv_path = str(tiny_demo_data / "data.csv")
    assert cli.main(["predict", "--config", config, "--csv", csv_path,
                     "--output", str(output)]) == 1
    assert capsys.readouterr().err == (f"error: no pushed model under {tmp_path}/out/serving_model:"
                                       " run the pipeline until a model is blessed and pushed, or "
                                       "pass --model DIR\n")
    assert cli.main(["predict", "--config", config, "--csv", str(tmp_path / "none.csv"),
                     "--output", str(output)]) == 2
    assert "--csv" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("image,pen\nx.png,a\n")
    assert cli.main(["predict", "--config", config, "--csv", str(bad), "--output", str(output),
                     "--model", str(tmp_path)]) == 1
    assert "columns of the schema missing from the file: ['z']" in capsys.readouterr().err
    assert not output.exists()


def test_an_output_that_is_the_input_or_a_folder_is_refused(tmp_path, tiny_demo_data, capsys):
    config = write_config(tmp_path)
    csv_path = str(tiny_demo_data / "data.csv")
    before = open(csv_path).read()
    for output, message in ((csv_path, "is the --csv input: name another file"),
                            (str(tmp_path), "is a folder: name the file to write")):
        assert cli.main(["predict", "--config", config, "--csv", csv_path,
                         "--output", output]) == 2
        assert capsys.readouterr().err == f"error: --output {output} {message}\n"
    assert open(csv_path).read() == before


def test_a_file_in_scikit_learns_layout_is_named_as_such(tmp_path, capsys):
    """`init` reads scikit-learn's CSVs (a first line of counts) and scores its standard copy;
    `predict` on the original named only the missing columns and the counts as a header."""
    config = write_config(tmp_path)
    raw = tmp_path / "raw.csv"
    raw.write_text("3,2,cat,dog\n0.5,1.5,0\n2.5,3.5,1\n4.5,5.5,1\n")
    assert cli.main(["predict", "--config", config, "--csv", str(raw), "--output",
                     str(tmp_path / "p.csv"), "--model", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"error: {raw}: columns of the schema missing from the file: ['image', 'z', 'pen'] (the "
        "file has ['3', '2', 'cat', 'dog']); its first line counts rows and columns "
        "(scikit-learn's CSV layout): score the standard copy `init` wrote of it (<out>/data/), "
        "or a CSV with a header line\n")


def test_a_folder_of_images_is_refused_before_any_model_loads(tmp_path, tiny_demo_data, capsys):
    """The demo's schema reads z and pen beside the image: a folder cannot be its rows."""
    config = write_config(tmp_path)
    output = str(tmp_path / "p.csv")
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        (["--images", str(tmp_path / "none")], f"--images {tmp_path}/none is not a folder"),
        (["--images", str(tiny_demo_data), "--data-root", str(tmp_path)],
         "--data-root does not apply to --images: paths are relative to the folder"),
        (["--images", str(tiny_demo_data)],
         "--images: a folder of images can be scored when the model's only input is one image; "
         "this schema's inputs are ['image', 'z', 'pen']: pass a --csv of rows"),
    ]
    for arguments, message in cases:
        assert cli.main(["predict", "--config", config, *arguments, "--output", output]) == 2
        assert capsys.readouterr().err == f"error: {message}\n"
    classes = tmp_path / "classes.yaml"
    classes.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out"),
                                       "dataset": "digit_classes"}))
    assert cli.main(["predict", "--config", str(classes), "--images", str(empty),
                     "--output", output]) == 2
    assert capsys.readouterr().err == f"error: --images {empty} holds no PNG/JPEG file\n"
    with pytest.raises(SystemExit):  # argparse: one of --csv and --images, not both
        cli.main(["predict", "--config", config, "--images", str(empty), "--csv",
                  str(tiny_demo_data / "data.csv"), "--output", output])
    assert "not allowed with argument" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()


def test_a_model_folder_without_a_saved_model_names_the_one_inside(tmp_path, tiny_demo_data,
                                                                   capsys):
    """A Trainer's model artifact keeps its SavedModel in Format-Serving/: `--model` on the
    artifact's folder printed `error: None: None` (TensorFlow's OSError has no file name)."""
    config = write_config(tmp_path)
    csv_path = str(tiny_demo_data / "data.csv")
    artifact = tmp_path / "Trainer" / "model" / "8"
    (artifact / "Format-Serving").mkdir(parents=True)
    (artifact / "Format-Serving" / "saved_model.pb").write_bytes(b"")
    output = tmp_path / "p.csv"
    for model, hint in (
            (artifact, f"pass --model {artifact}/Format-Serving"),
            (tmp_path / "Trainer", "pass a serving model folder (a version under the config's "
                                   "serving_model/, or a Trainer model's Format-Serving/)")):
        assert cli.main(["predict", "--config", config, "--csv", csv_path, "--output",
                         str(output), "--model", str(model)]) == 1
        assert capsys.readouterr().err == (f"error: --model {model} holds no saved_model.pb: "
                                           f"{hint}\n")
    assert not output.exists()
