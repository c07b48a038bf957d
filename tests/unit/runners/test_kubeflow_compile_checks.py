"""`compile --target kubeflow` refuses, in one line and with exit code 2 before writing anything,
a config whose spec could not run on a cluster: paths on this machine, a pipeline name Kubeflow
refuses, the placeholder pipeline root, a schema or model builder the image does not hold, a
span window above 1."""

import shutil

import pytest
import yaml

import schemas
from pipeline import cli
from pipeline.config import load_config
from pipeline.runners import kubeflow

CLUSTER_SETTINGS = {"data_root": "gs://bucket/data", "kubeflow_pipeline_root": "gs://bucket/root"}
PLACEHOLDER = ("kubeflow_pipeline_root is the placeholder gs://YOUR-BUCKET/tfx-multimodal: set it "
               "in the config to a gs:// folder the cluster can write (the runs' artifacts and "
               "the pushed model go there)")


def compile_with(tmp_path, settings, *flags):
    """(exit code, whether a spec was written) of compiling `settings`."""
    config, spec = tmp_path / "config.yaml", tmp_path / "pipeline.json"
    config.write_text(yaml.safe_dump(settings))
    code = cli.main(["compile", "--config", str(config), "--target", "kubeflow", "--image",
                     "registry.example/tfx-multimodal:1", "--output", str(spec), *flags])
    return code, spec.exists()


def copy_schema(folder):
    folder.mkdir(parents=True)
    schema = folder / "schema.pbtxt"
    shutil.copy(schemas.dataset_schema_path("digits"), schema)
    return schema


def refusal(tmp_path, capsys, settings, *flags):
    code, written = compile_with(tmp_path, settings, *flags)
    assert (code, written) == (2, False)
    return capsys.readouterr().err


def test_a_data_root_on_this_machine(tmp_path, capsys):
    settings = dict(CLUSTER_SETTINGS, data_root=str(tmp_path))
    assert refusal(tmp_path, capsys, settings) == (
        f"error: data_root {tmp_path} is a path on this machine, but a Kubeflow run reads it "
        "from the cluster: pass --data-root gs://BUCKET/DATA (deploy --param data-root=... sets "
        "it per run)\n")


def test_the_data_root_flag_overrides_the_configs(tmp_path):
    settings = dict(CLUSTER_SETTINGS, data_root=str(tmp_path))
    assert compile_with(tmp_path, settings, "--data-root", "gs://bucket/drops") == (0, True)


def test_a_pipeline_root_on_this_machine(tmp_path, capsys):
    settings = dict(CLUSTER_SETTINGS, kubeflow_pipeline_root=str(tmp_path))
    assert refusal(tmp_path, capsys, settings) == (
        f"error: kubeflow_pipeline_root {tmp_path} is a path on this machine, but Kubeflow tasks "
        "write there from the cluster: set it in the config to a gs:// folder the cluster can "
        "write\n")


def test_the_placeholder_pipeline_root(tmp_path, capsys):
    settings = {"data_root": "gs://bucket/data"}
    assert refusal(tmp_path, capsys, settings) == f"error: {PLACEHOLDER}\n"
    # accepting local paths (tasks run here) does not accept the placeholder
    assert refusal(tmp_path, capsys, settings, "--allow-local-paths") == f"error: {PLACEHOLDER}\n"


@pytest.mark.parametrize("name, suggestion", [
    ("taxi_data", "taxi-data"), ("Boston.Prices", "boston-prices"), ("9_Lives", "9-lives")])
def test_a_pipeline_name_kubeflow_refuses(name, suggestion, tmp_path, capsys):
    """`init` names a pipeline after its data folder or CSV, which may hold `_`, `.` or capitals:
    TFX's Kubeflow compiler refused them with a traceback."""
    settings = dict(CLUSTER_SETTINGS, pipeline_name=name)
    assert refusal(tmp_path, capsys, settings) == (
        f"error: pipeline_name {name!r} is not a Kubeflow pipeline name (lowercase letters, "
        "digits and '-', starting with a letter or digit, at most 128 characters): set e.g. "
        f"pipeline_name: {suggestion} in the config, or pass --pipeline-name {suggestion}\n")
    assert compile_with(tmp_path, dict(settings, pipeline_name=suggestion)) == (0, True)


def test_local_paths_on_request(tmp_path):
    settings = {"data_root": str(tmp_path), "kubeflow_pipeline_root": str(tmp_path / "root")}
    assert compile_with(tmp_path, settings, "--allow-local-paths") == (0, True)


@pytest.mark.parametrize("folder", ["elsewhere", "repo/trial/mm"])
def test_a_schema_the_image_does_not_hold(folder, tmp_path, capsys, monkeypatch):
    """In the repository but outside the folders the Dockerfile copies (where `init` puts a
    project made inside the repository) is not in the image either."""
    monkeypatch.setattr(kubeflow, "REPO_ROOT", str(tmp_path / "repo"))
    schema = copy_schema(tmp_path / folder)
    settings = dict(CLUSTER_SETTINGS, schema_path=str(schema))
    assert refusal(tmp_path, capsys, settings) == (
        f"error: schema_path {schema} is not in the image, which holds only pipeline/, "
        "components/, schemas/ of this repository: copy it to schemas/NAME/schema.pbtxt, set "
        "dataset: NAME instead of schema_path, and rebuild the image\n")


def test_a_schema_under_schemas_is_in_the_image(tmp_path, monkeypatch):
    monkeypatch.setattr(kubeflow, "REPO_ROOT", str(tmp_path / "repo"))
    schema = copy_schema(tmp_path / "repo" / "schemas" / "mm")
    assert kubeflow.path_in_image(str(schema)) == "/tfx-multimodal/schemas/mm/schema.pbtxt"
    config = load_config(overrides=dict(CLUSTER_SETTINGS, schema_path=str(schema)))
    assert kubeflow.cluster_problems(config) == []


def test_a_model_builder_the_image_does_not_hold(tmp_path, capsys, monkeypatch):
    (tmp_path / "my_models.py").write_text("def build(inputs, head):\n    return head\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    settings = dict(CLUSTER_SETTINGS, model_builder="my_models.build")
    assert refusal(tmp_path, capsys, settings) == (
        "error: model_builder 'my_models.build': the image does not hold module my_models (it "
        "installs only the packages pipeline, components, schemas): move the module into one "
        "of them, e.g. components/, and rebuild the image\n")


def test_a_model_builder_in_the_image_is_accepted():
    config = load_config(overrides=dict(CLUSTER_SETTINGS,
                                        model_builder="components.trainer.run.run_fn"))
    assert kubeflow.cluster_problems(config) == []


def test_every_problem_in_one_line(tmp_path, capsys):
    err = refusal(tmp_path, capsys, {"data_root": "demo_data"})
    assert err.count("\n") == 1
    assert err == ("error: data_root demo_data is a path on this machine, but a Kubeflow run "
                   "reads it from the cluster: pass --data-root gs://BUCKET/DATA (deploy --param "
                   f"data-root=... sets it per run); {PLACEHOLDER}\n")


def test_a_span_window(tmp_path, capsys):
    settings = dict(CLUSTER_SETTINGS, span_window=2, input_pattern="span-{SPAN}/*.csv")
    assert refusal(tmp_path, capsys, settings) == (
        "error: invalid config: span_window: 2 needs the local orchestrator's span resolver; "
        "Kubeflow runs train on the newest span (span_window 1): remove it for compile\n")


@pytest.mark.parametrize("path, remote", [
    ("gs://bucket/data", True), ("s3://bucket/data", True), ("file:///data", False),
    ("/data", False), ("data", False), ("gs:/bucket", False)])
def test_only_urls_other_than_file_are_cluster_readable(path, remote):
    assert kubeflow.cluster_readable(path) is remote
