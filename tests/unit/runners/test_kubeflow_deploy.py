"""`deploy` against a loopback server speaking the few KFP v2beta1 REST endpoints it calls: the
request bodies are what the real API would receive; an unreachable host fails clearly."""

import cgi
import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline import cli
from pipeline.runners.kubeflow_deploy import kfp_cron

API = "/apis/v2beta1"


class FakeKfp(BaseHTTPRequestHandler):
    """Records each request; answers like KFP does for these endpoints."""

    requests = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def _reply(self, body, status=200):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self, body):
        url = urllib.parse.urlparse(self.path)
        self.requests.append((self.command, url.path, urllib.parse.parse_qs(url.query), body))
        return url.path

    def do_GET(self):
        path = self._record(None)
        if path == f"{API}/healthz":
            self._reply({"multi_user": False})
        elif path in (f"{API}/pipelines", f"{API}/experiments"):
            self._reply({})
        else:
            self._reply({"error": "not found"}, 404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": content_type,
                       "CONTENT_LENGTH": str(length)}
            import io
            form = cgi.FieldStorage(fp=io.BytesIO(raw), environ=environ)
            body = form["uploadfile"].file.read().decode()
        else:
            body = json.loads(raw or b"{}")
        path = self._record(body)
        if path == f"{API}/pipelines/upload":
            self._reply({"pipeline_id": "pipeline-1", "display_name": "p"})
        elif path == f"{API}/pipelines/upload_version":
            self._reply({"pipeline_id": "pipeline-1", "pipeline_version_id": "version-1"})
        elif path == f"{API}/experiments":
            self._reply({"experiment_id": "experiment-1", "display_name": body["display_name"]})
        elif path == f"{API}/runs":
            self._reply({"run_id": "run-1"})
        elif path == f"{API}/recurringruns":
            self._reply({"recurring_run_id": "recurring-1"})
        else:
            self._reply({"error": "not found"}, 404)


@pytest.fixture()
def kfp_server():
    FakeKfp.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKfp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", FakeKfp.requests
    server.shutdown()


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    path = tmp_path_factory.mktemp("kfp") / "pipeline.json"
    assert cli.main(["compile", "--target", "kubeflow", "--image", "registry.example/tm:1",
                     "--output", str(path)]) == 0
    return str(path)


def posted(requests, path):
    return [body for method, p, _, body in requests if method == "POST" and p == API + path]


def test_deploy_uploads_and_starts_a_run(kfp_server, compiled, capsys):
    host, requests = kfp_server
    assert cli.main(["deploy", "--host", host, "--pipeline", compiled,
                     "--param", "data-root=gs://bucket/drop", "--learning-rate", "0.01",
                     "--max-eval-rmse", "0.8"]) == 0
    assert "Started run run-1 (pipeline pipeline-1, version version-1)" in capsys.readouterr().out
    [uploaded] = posted(requests, "/pipelines/upload")
    assert "pipelineInfo" in uploaded and "registry.example/tm:1" in uploaded
    assert "runtimeConfig" not in uploaded  # the PipelineSpec alone, as KFP takes it
    [experiment] = posted(requests, "/experiments")
    assert experiment["display_name"] == "tfx-multimodal"
    [run] = posted(requests, "/runs")
    assert run["experiment_id"] == "experiment-1"
    assert run["pipeline_version_reference"] == {"pipeline_id": "pipeline-1",
                                                 "pipeline_version_id": "version-1"}
    parameters = run["runtime_config"]["parameters"]
    assert parameters["data-root"] == "gs://bucket/drop"
    assert json.loads(parameters["train-args"]) == {"num_steps": 1500}
    assert json.loads(parameters["trainer-config"])["learning_rate"] == 0.01
    assert "\"upperBound\": 0.8" in parameters["eval-config"]
    assert run["runtime_config"]["pipeline_root"] == "gs://YOUR-BUCKET/tfx-multimodal"


def test_deploy_schedule_creates_a_recurring_run(kfp_server, compiled, capsys):
    host, requests = kfp_server
    assert cli.main(["deploy", "--host", host, "--pipeline", compiled,
                     "--schedule", "0 3 * * *"]) == 0
    assert "Created recurring run recurring-1" in capsys.readouterr().out
    assert posted(requests, "/runs") == []
    [recurring] = posted(requests, "/recurringruns")
    assert recurring["trigger"]["cron_schedule"]["cron"] == "0 0 3 * * *"
    assert recurring["mode"] == "ENABLE"
    assert int(recurring["max_concurrency"]) == 1  # runs never overlap
    assert recurring["pipeline_version_reference"]["pipeline_version_id"] == "version-1"


def test_unreachable_host_fails_clearly(compiled, capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once closed
    assert cli.main(["deploy", "--host", f"http://127.0.0.1:{port}", "--pipeline",
                     compiled]) == 1
    assert f"error: cannot reach Kubeflow at http://127.0.0.1:{port}" in capsys.readouterr().err


def test_rejected_request_fails_clearly(kfp_server, compiled, capsys, monkeypatch):
    host, _ = kfp_server
    monkeypatch.setattr(FakeKfp, "do_POST", lambda self: (self._record(None), self._reply(
        {"error": "quota exceeded"}, 403)))
    assert cli.main(["deploy", "--host", host, "--pipeline", compiled]) == 1
    err = capsys.readouterr().err
    assert f"Kubeflow at {host} refused the request: HTTP 403" in err and "quota" in err


@pytest.mark.parametrize("expression, expected", [
    ("0 3 * * *", "0 0 3 * * *"), ("30 0 3 * * 1-5", "30 0 3 * * 1-5")])
def test_kfp_cron(expression, expected):
    assert kfp_cron(expression) == expected


@pytest.mark.parametrize("expression", ["0 3 * *", "99 0 3 * * *", "every day"])
def test_bad_cron_is_explained(expression, capsys):
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
    assert bounds == {"accuracy": {"lowerBound": 0.7}, "auc": {"lowerBound": 0.9}}
