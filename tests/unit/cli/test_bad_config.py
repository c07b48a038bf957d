"""Bad configuration: one readable line with the fix, exit code 2, before TensorFlow, TFX or Beam
are even imported."""

import os
import subprocess
import sys

import pytest
import yaml

import schemas

ROOT = os.path.dirname(schemas.SCHEMAS_DIR)  # the repository
SCHEMA = open(os.path.join(ROOT, "schemas", "digits", "schema.pbtxt")).read()

PROBE = """
import sys
from pipeline import cli
code = cli.main(sys.argv[1:])
heavy = [m for m in ("tensorflow", "tfx", "apache_beam") if m in sys.modules]
print("EXIT", code, "HEAVY", heavy)
"""


def run_cli(*argv):
    result = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    return result.stdout, result.stderr


CASES = {
    "unknown feature": ({"split_key": "patient"}, None,
                        "split_key: 'patient' is not a feature of the schema (image, z, pen, y)"),
    "label missing from the schema": ({}, SCHEMA.replace('annotation { tag: "label" }', ""),
                                      "exactly one feature must carry annotation"),
    "image feature typed as float": (
        {}, SCHEMA.replace('name: "image"\n  type: BYTES', 'name: "image"\n  type: FLOAT'),
        "image feature 'image' must have type BYTES"),
    "non-existent data root": ({"data_root": "/no/such/data"}, None,
                               "data_root '/no/such/data' does not exist"),
    "BYTES label with no domain": (
        {}, SCHEMA.replace('name: "y"\n  type: FLOAT', 'name: "y"\n  type: BYTES'),
        "label 'y' is BYTES but has no string domain: list its classes"),
    "label with one class only": (
        {}, SCHEMA.replace('name: "y"\n  type: FLOAT', 'name: "y"\n  type: BYTES\n  domain: "one"')
        + 'string_domain { name: "one" value: "only" }',
        "label 'y' has 1 class in its domain (['only']); classification needs at least two"),
    "custom model that does not import": ({"model_builder": "my_models.nope.build"}, None,
                                          "module 'my_models.nope' cannot be imported"),
    "blessing bound of another task": (
        {"min_eval_accuracy": 0.9}, None, "invalid config: min_eval_accuracy: the schema's task "
        "is regression, whose blessing bound is max_eval_rmse; remove it"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_config_is_one_line_before_heavy_work(case, tmp_path):
    settings, schema_text, message = CASES[case]
    data_root = tmp_path / "data"
    data_root.mkdir()
    values = {"data_root": str(data_root), "output_dir": str(tmp_path / "out"), **settings}
    if schema_text is not None:
        (tmp_path / "schema.pbtxt").write_text(schema_text)
        values["schema_path"] = str(tmp_path / "schema.pbtxt")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(values))
    out, err = run_cli("run", "--config", str(tmp_path / "c.yaml"))
    assert "EXIT 2 HEAVY []" in out
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert message in err


def test_relative_paths_beside_the_config_say_where_they_are_read_from(tmp_path, capsys,
                                                                        monkeypatch):
    """A project folder (iris: config.yaml, schema.pbtxt, data/) whose config names its files
    relative to itself, run from the folder above: `schema_path 'schema.pbtxt' is not a file`,
    then `data_root 'data' does not exist (pass --demo ...)`, with no word of why."""
    from pipeline import cli

    project = tmp_path / "iris"
    (project / "data").mkdir(parents=True)
    (project / "schema.pbtxt").write_text(SCHEMA)
    config = project / "config.yaml"
    hint = (f"; relative paths are read from the working directory ({tmp_path}), not the "
            f"config's folder ({project}): run from there, or write the path absolute\n")
    monkeypatch.chdir(tmp_path)
    for values, message in (
            ({"schema_path": "schema.pbtxt"},
             "invalid config: schema_path 'schema.pbtxt' is not a file"),
            ({"schema_path": str(project / "schema.pbtxt")}, "data_root 'data' does not exist")):
        config.write_text(yaml.safe_dump({**values, "data_root": "data", "output_dir": "outputs"}))
        assert cli.main(["run", "--config", "iris/config.yaml"]) == 2
        assert capsys.readouterr().err == f"error: {message}{hint}"


@pytest.mark.parametrize("command", [
    ["schedule", "--cron", "0 3 * * *", "--once"], ["predict", "--csv", "rows.csv",
                                                   "--output", "p.csv"]])
def test_schedule_and_predict_refuse_a_bound_of_another_task(command, tmp_path):
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "data_root": str(tmp_path), "output_dir": str(tmp_path / "out"), "min_eval_auc": 0.8}))
    out, err = run_cli(command[0], "--config", str(tmp_path / "c.yaml"), *command[1:])
    assert "EXIT 2 HEAVY []" in out
    assert err == ("error: invalid config: min_eval_auc: the schema's task is regression, whose "
                   "blessing bound is max_eval_rmse; remove it\n")


@pytest.mark.parametrize("command, code, message", [
    (["runs"], 1, "error: no metadata store at {out}/metadata.sqlite: nothing has run yet"),
    (["predict", "--csv", "{tmp}/rows.csv", "--output", "p.csv"], 2,
     "error: --csv {tmp}/rows.csv is not a file"),
])
def test_commands_that_do_not_train_do_not_import_the_model_builder(command, code, message,
                                                                    tmp_path, capsys):
    from pipeline import cli

    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "data_root": str(tmp_path), "output_dir": str(tmp_path / "out"),
        "model_builder": "my_models.build"}))
    argv = [part.format(tmp=tmp_path) for part in command]
    assert cli.main([argv[0], "--config", str(tmp_path / "c.yaml"), *argv[1:]]) == code
    assert capsys.readouterr().err.splitlines()[-1] == message.format(out=tmp_path / "out",
                                                                      tmp=tmp_path)


def test_a_data_file_name_that_is_not_utf8_is_one_line_before_heavy_work(tmp_path):
    """TensorFlow's file listing, which TFX finds the input files with, raised a
    UnicodeDecodeError traceback from inside the runner on such a name."""
    data_root = tmp_path / "data"
    data_root.mkdir()
    os.close(os.open(os.path.join(os.fsencode(data_root), b"\xe9t\xe9.csv"), os.O_CREAT))
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(
        {"data_root": str(data_root), "output_dir": str(tmp_path / "out")}))
    out, err = run_cli("run", "--config", str(tmp_path / "c.yaml"))
    assert "EXIT 2 HEAVY []" in out
    assert err == (f"error: data_root {data_root} holds a file whose name is not UTF-8 text "
                   "(\\xe9t\\xe9.csv), which TFX cannot list: rename or move it\n")
