"""`predict` refusals: one line each, before any model is loaded; nothing written."""

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
