"""`deploy` against a loopback KFP (fake_kfp) that keeps state and refuses what KFP's API server
refuses: every call's path, query and body is asserted, for a first deploy, a second deploy of
the same pipeline, a multi-user namespace, a schedule, and the refusals."""

import json
import re
import socket

import pytest
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from fake_kfp import API, ApiError, FakeKfp, FakeKfpServer, validate_upload
from pipeline import cli
from pipeline.runners.kubeflow_deploy import kfp_cron

NAME = "tfx-multimodal-demo"
PIPELINE_ROOT = "gs://bucket/root"
VERSION = re.compile(rf"{NAME}-\d{{8}}-\d{{6}}-\d{{6}}")


def name_filter(name, operation):
    return json.dumps({"predicates": [{"operation": operation, "key": "display_name",
                                       "stringValue": name}]})


PIPELINES = ("GET", "/pipelines", {"page_size": "10", "filter": name_filter(NAME, "EQUALS")})
EXPERIMENTS = ("GET", "/experiments", {"filter": name_filter("tfx-multimodal", 1)})


def compile_to(path, spec="2.1"):
    config = path.parent / "config.yaml"
    config.write_text(f"kubeflow_pipeline_root: {PIPELINE_ROOT}\n")
    assert cli.main(["compile", "--config", str(config), "--target", "kubeflow", "--image",
                     "registry.example/tm:1", "--output", str(path), "--spec", spec,
                     "--data-root", "gs://bucket/data"]) == 0
    return str(path)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return compile_to(tmp_path_factory.mktemp("kfp") / "pipeline.json")


@pytest.fixture()
def kfp():
    """(fake, its loopback URL); the fake is single-user unless a test sets multi_user."""
    fake = FakeKfp()
    server = FakeKfpServer(fake)
    yield fake, server.host
    server.close()


def calls(fake, start=0):
    """The requests as (method, path under the API, query) with bodies set aside."""
    return [(r.method, r.path[len(API):], r.query) for r in fake.requests[start:]]


def bodies(fake, path):
    return [r.body for r in fake.requests if r.path == API + path]


def run_body(version, parameters, experiment="experiment-1"):
    return {"experiment_id": experiment, "display_name": NAME,
            "pipeline_version_reference": {"pipeline_id": "pipeline-1",
                                           "pipeline_version_id": version},
            "runtime_config": {"parameters": parameters,
                               "pipeline_root": PIPELINE_ROOT}}


def compiled_values(compiled):
    with open(compiled) as handle:
        return json.load(handle)["runtimeConfig"]["parameterValues"]


def test_first_deploy_uploads_the_spec_and_starts_a_run(kfp, compiled, capsys):
    fake, host = kfp
    assert cli.main(["deploy", "--host", host, "--pipeline", compiled,
                     "--param", "data-root=gs://bucket/drop", "--learning-rate", "0.01",
                     "--max-eval-rmse", "0.8"]) == 0
    assert "Started run run-1 (pipeline pipeline-1, version version-2)" in capsys.readouterr().out
    [upload, upload_version] = calls(fake)[3:5]
    assert calls(fake) == [("GET", "/healthz", {}), ("GET", "/healthz", {}), PIPELINES,
                           ("POST", "/pipelines/upload", {"name": NAME}), upload_version,
                           EXPERIMENTS, ("POST", "/experiments", {}), ("POST", "/runs", {})]
    assert upload_version[:2] == ("POST", "/pipelines/upload_version")
    assert upload_version[2]["pipelineid"] == "pipeline-1"
    assert VERSION.fullmatch(upload_version[2]["name"])
    with open(compiled) as handle:  # the PipelineSpec alone, unchanged, is uploaded
        expected = json_format.ParseDict(json.load(handle)["pipelineSpec"],
                                         pipeline_spec_pb2.PipelineSpec())
    assert [validate_upload(text) for text in bodies(fake, "/pipelines/upload")
            + bodies(fake, "/pipelines/upload_version")] == [expected, expected]
    assert bodies(fake, "/experiments") == [None, {"display_name": "tfx-multimodal",
                                                   "namespace": ""}]
    values = compiled_values(compiled)
    trainer = json.loads(values["trainer-config"])
    eval_config = values["eval-config"].replace('"upperBound": 1.0', '"upperBound": 0.8')
    [run] = bodies(fake, "/runs")
    parameters = run["runtime_config"]["parameters"]
    assert json.loads(parameters.pop("trainer-config")) == {**trainer, "learning_rate": 0.01}
    assert json.loads(parameters.pop("eval-config")) == json.loads(eval_config)
    assert run == run_body("version-2", {"data-root": "gs://bucket/drop",
                                         "train-args": '{"num_steps": 1500}'})


def test_second_deploy_adds_a_version_and_reuses_the_experiment(kfp, compiled):
    fake, host = kfp
    assert cli.main(["deploy", "--host", host, "--pipeline", compiled]) == 0
    first = len(fake.requests)
    assert cli.main(["deploy", "--host", host, "--pipeline", compiled]) == 0
    second = calls(fake, first)
    assert second[:3] == [("GET", "/healthz", {}), ("GET", "/healthz", {}), PIPELINES]
    assert second[3][:2] == ("POST", "/pipelines/upload_version")
    assert second[4:] == [EXPERIMENTS, ("POST", "/runs", {})]
    versions = [r.query["name"] for r in fake.requests if r.path.endswith("/upload_version")]
    assert len(set(versions)) == 2  # a version name is unique within its pipeline
    assert sorted(fake.versions) == ["version-1", "version-2", "version-3"]
    assert bodies(fake, "/runs")[1] == run_body("version-3", compiled_values(compiled))


def test_multi_user_deploy_works_in_the_namespace(kfp, compiled):
    fake, host = kfp
    fake.multi_user = True
    for _ in range(2):
        assert cli.main(["deploy", "--host", host, "--pipeline", compiled,
                         "--namespace", "team-a"]) == 0
    in_namespace = {"namespace": "team-a"}
    assert calls(fake)[:3] == [  # with a namespace the SDK asks no health check of its own
        ("GET", "/healthz", {}), ("GET", "/pipelines", {**PIPELINES[2], **in_namespace}),
        ("POST", "/pipelines/upload", {"name": NAME, **in_namespace})]
    assert [c for c in calls(fake) if c[1] == "/experiments"] == [
        ("GET", "/experiments", {**EXPERIMENTS[2], **in_namespace}),
        ("POST", "/experiments", {}),
        ("GET", "/experiments", {**EXPERIMENTS[2], **in_namespace})]
    assert bodies(fake, "/experiments")[1] == {"display_name": "tfx-multimodal",
                                               "namespace": "team-a"}
    assert fake.pipelines == {"pipeline-1": {"pipeline_id": "pipeline-1", "display_name": NAME,
                                             "namespace": "team-a"}}
    assert len(fake.runs) == 2


def test_multi_user_deploy_without_a_namespace_is_refused(kfp, compiled, capsys):
    fake, host = kfp
    fake.multi_user = True
    assert cli.main(["deploy", "--host", host, "--pipeline", compiled]) == 1
    assert (f"error: Kubeflow at {host} refused the request: HTTP 400 Bad Request: "
            '{"code": 400, "message": "Invalid input error: An experiment cannot have an empty '
            'namespace in multi-user mode"}') in capsys.readouterr().err


def test_spec_2_0_runs_are_refused_for_untyped_parameters(kfp, tmp_path, capsys):
    """Why 2.1 is the default: a 2.0 root declares no parameter types, which KFP 2 refuses."""
    fake, host = kfp
    assert cli.main(["deploy", "--host", host, "--pipeline",
                     compile_to(tmp_path / "v20.json", "2.0")]) == 1
    assert ('"Invalid input error: input parameter data-root has unspecified type"'
            in capsys.readouterr().err)
    assert fake.runs == {}


def test_an_upload_without_a_dag_is_refused(kfp, tmp_path, capsys):
    fake, host = kfp
    path = tmp_path / "bare.json"
    path.write_text(json.dumps({"pipelineSpec": {"pipelineInfo": {"name": "x"}}}))
    assert cli.main(["deploy", "--host", host, "--pipeline", str(path)]) == 1
    assert ("HTTP 400 Bad Request: {\"code\": 400, \"message\": \"Invalid input error: invalid "
            "v2 pipeline spec: root component is empty\"}") in capsys.readouterr().err
    assert fake.pipelines == {}


@pytest.mark.parametrize("spec, message", [
    ({"pipelineInfo": {"name": "x"}, "root": {"dag": {"tasks": {}}}, "bogus": 1},
     "invalid v2 pipeline spec: Message type \"ml_pipelines.PipelineSpec\" has no field named "
     "\"bogus\""),
    ({"root": {"dag": {"tasks": {"t": {"componentRef": {"name": "c"}}}}}},
     "invalid v2 pipeline spec: name is empty"),
    ({"pipelineInfo": {"name": "x"}, "root": {"dag": {"tasks": {"t": {
        "componentRef": {"name": "c"}}}}}, "components": {"c": {"executorLabel": "e"}}},
     "task t has no component or executor in the deployment spec"),
])
def test_upload_validation(spec, message):
    with pytest.raises(ApiError, match=re.escape(message)) as refused:
        validate_upload(json.dumps(spec))
    assert refused.value.status == 400


def test_deploy_schedule_creates_a_recurring_run(kfp, compiled, capsys):
    fake, host = kfp
    assert cli.main(["deploy", "--host", host, "--pipeline", compiled,
                     "--schedule", "0 3 * * *"]) == 0
    assert "Created recurring run recurring-run-1" in capsys.readouterr().out
    assert calls(fake)[-1] == ("POST", "/recurringruns", {})
    [recurring] = bodies(fake, "/recurringruns")
    assert recurring["trigger"] == {"cron_schedule": {"cron": "0 0 3 * * *"}}
    assert recurring["mode"] == "ENABLE"
    assert recurring["max_concurrency"] == 1  # runs never overlap
    assert recurring["pipeline_version_reference"] == {"pipeline_id": "pipeline-1",
                                                       "pipeline_version_id": "version-2"}
    assert recurring["runtime_config"]["parameters"] == compiled_values(compiled)


def test_unreachable_host_fails_clearly(compiled, capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once closed
    assert cli.main(["deploy", "--host", f"http://127.0.0.1:{port}", "--pipeline",
                     compiled]) == 1
    assert f"error: cannot reach Kubeflow at http://127.0.0.1:{port}" in capsys.readouterr().err


def test_rejected_request_fails_clearly(kfp, compiled, capsys, monkeypatch):
    fake, host = kfp

    def refuse(body):
        raise ApiError(403, "quota exceeded")

    monkeypatch.setattr(fake, "_create_experiment", refuse)
    assert cli.main(["deploy", "--host", host, "--pipeline", compiled]) == 1
    assert (f'error: Kubeflow at {host} refused the request: HTTP 403 Forbidden: '
            '{"code": 403, "message": "quota exceeded"}') in capsys.readouterr().err


@pytest.mark.parametrize("expression, expected", [
    ("0 3 * * *", "0 0 3 * * *"), ("30 0 3 * * 1-5", "30 0 3 * * 1-5")])
def test_kfp_cron(expression, expected):
    assert kfp_cron(expression) == expected


@pytest.mark.parametrize("expression", ["0 3 * *", "99 0 3 * * *", "every day"])
def test_bad_cron_is_explained(expression):
    with pytest.raises(ValueError, match="six fields, seconds first"):
        kfp_cron(expression)


def test_a_bound_for_another_task_is_refused_before_contacting_kubeflow(compiled, capsys):
    assert cli.main(["deploy", "--host", "http://127.0.0.1:9", "--pipeline", compiled,
                     "--min-eval-auc", "0.8"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--min-eval-auc: the compiled eval config has no 'auc' metric" in err


def test_classifier_bounds_are_patched_by_metric_name():
    from google.protobuf import json_format

    from pipeline.evaluation import eval_config
    from pipeline.runners.kubeflow_deploy import patch_thresholds
    from schemas import DType, Feature, FeatureSet, Role

    features = FeatureSet((Feature("x", Role.NUMERIC, DType.FLOAT),
                           Feature("y", Role.LABEL, DType.BYTES, classes=("no", "yes"))))
    compiled = json_format.MessageToJson(eval_config(features, 1.0, 0.5, 0.6))
    patched = json.loads(patch_thresholds(compiled, min_eval_accuracy=0.7, min_eval_auc=0.9,
                                          max_eval_rmse=None))
    bounds = {json.loads(m["config"])["name"]: m["threshold"]["valueThreshold"]
              for m in patched["metricsSpecs"][0]["metrics"] if "threshold" in m}
    assert bounds == {"accuracy": {"lowerBound": 0.7}, "auc": {"lowerBound": 0.9},
                      "accuracy_over_majority_class": {"lowerBound": 0.0}}  # not a setting
