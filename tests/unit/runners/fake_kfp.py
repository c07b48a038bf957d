"""A loopback stand-in for the KFP v2beta1 REST API that `deploy` calls, refusing what KFP's API
server refuses: an upload that does not parse into a `PipelineSpec` (strictly, as KFP's protojson
does) with a name, a root DAG whose tasks reach executors of a deployment spec (400); a pipeline
name already taken in its namespace, or a version name taken in its pipeline (409); unknown
pipeline, version or experiment ids (404); filters it cannot read (400); and, in multi-user
mode, an experiment without a namespace (400). It keeps state, so list filters answer from what
was created, and records every request (method, path, query, body) for the tests to assert.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, NamedTuple, Optional

import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

API = "/apis/v2beta1"
EQUALS = (1, "EQUALS")  # the filter operation, as a number (the SDK) or its name


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Request(NamedTuple):
    method: str
    path: str
    query: Dict[str, str]
    body: object  # JSON body, the uploaded file's text, or None


def validate_upload(text: str) -> pipeline_spec_pb2.PipelineSpec:
    """The PipelineSpec of an uploaded YAML/JSON file, or ApiError(400) saying what is wrong."""
    try:
        document = yaml.safe_load(text)
        spec = json_format.ParseDict(document, pipeline_spec_pb2.PipelineSpec())
        deployment = json_format.ParseDict(json_format.MessageToDict(spec.deployment_spec),
                                           pipeline_spec_pb2.PipelineDeploymentConfig())
    except (yaml.YAMLError, json_format.ParseError, TypeError, AttributeError) as err:
        raise ApiError(400, f"Invalid input error: invalid v2 pipeline spec: {err}") from None
    if not spec.pipeline_info.name:
        raise ApiError(400, "Invalid input error: invalid v2 pipeline spec: name is empty")
    if not spec.root.dag.tasks:
        raise ApiError(400, "Invalid input error: invalid v2 pipeline spec: root component is "
                            "empty")
    for name, task in spec.root.dag.tasks.items():
        component = spec.components.get(task.component_ref.name)
        if component is None or component.executor_label not in deployment.executors:
            raise ApiError(400, f"Invalid input error: task {name} has no component or executor "
                                "in the deployment spec")
    return spec


_JSON_TYPES = {
    pipeline_spec_pb2.ParameterType.STRING: (str, "string"),
    pipeline_spec_pb2.ParameterType.NUMBER_INTEGER: ((int, float), "double or integer"),
    pipeline_spec_pb2.ParameterType.NUMBER_DOUBLE: ((int, float), "double or integer"),
    pipeline_spec_pb2.ParameterType.BOOLEAN: (bool, "bool"),
    pipeline_spec_pb2.ParameterType.LIST: (list, "list"),
    pipeline_spec_pb2.ParameterType.STRUCT: (dict, "struct"),
}


def check_parameters(spec: pipeline_spec_pb2.PipelineSpec, values: dict) -> None:
    """KFP's check of a run's parameters against the root's inputs: each required one given,
    of its declared type (a spec 2.0 root declares none: refused), and no others."""
    declared = spec.root.input_definitions.parameters
    for name, parameter in sorted(declared.items()):
        if name not in values:
            if not parameter.is_optional and not parameter.HasField("default_value"):
                raise ApiError(400, f"Invalid input error: parameter {name} is not optional, yet "
                                    "has neither default value nor user provided value")
            continue
        if parameter.parameter_type not in _JSON_TYPES:
            raise ApiError(400, f"Invalid input error: input parameter {name} has unspecified "
                                "type")
        python_type, described = _JSON_TYPES[parameter.parameter_type]
        if not isinstance(values[name], python_type) or isinstance(values[name], bool) != (
                python_type is bool):
            raise ApiError(400, f"Invalid input error: input parameter {name} requires type "
                                f"{described}")
    extra = sorted(set(values) - set(declared))
    if extra:
        raise ApiError(400, "Invalid input error: parameter(s) provided are not required by "
                            f"pipeline: {', '.join(extra)}")


def filter_name(raw: Optional[str]) -> Optional[str]:
    """The display name a list filter asks for (None: no filter); ApiError(400) otherwise."""
    if raw is None:
        return None
    try:
        [predicate] = json.loads(raw)["predicates"]
        assert predicate["key"] in ("display_name", "name")
        assert predicate["operation"] in EQUALS
        return predicate["stringValue"]
    except (ValueError, KeyError, TypeError, AssertionError):
        raise ApiError(400, f"Invalid input error: cannot read filter {raw!r}") from None


class FakeKfp:
    """State of one fake KFP: pipelines, versions, experiments, runs and the request log."""

    def __init__(self, multi_user: bool = False):
        self.multi_user = multi_user
        self.requests: List[Request] = []
        self.pipelines: Dict[str, dict] = {}
        self.versions: Dict[str, dict] = {}
        self.experiments: Dict[str, dict] = {}
        self.runs: Dict[str, dict] = {}
        self._lock = threading.Lock()

    def _new_id(self, kind: str, table: dict) -> str:
        return f"{kind}-{len(table) + 1}"

    def handle(self, method: str, path: str, query: Dict[str, str], body) -> dict:
        with self._lock:
            self.requests.append(Request(method, path, query, body))
            route = (method, path[len(API):] if path.startswith(API) else path)
            if route == ("GET", "/healthz"):
                return {"multi_user": self.multi_user}
            if route == ("GET", "/pipelines"):
                return self._list(self.pipelines, "pipelines", query)
            if route == ("POST", "/pipelines/upload"):
                return self._upload(query, body)
            if route == ("POST", "/pipelines/upload_version"):
                return self._upload_version(query, body)
            if route == ("GET", "/experiments"):
                self._require_namespace(query.get("namespace"))
                return self._list(self.experiments, "experiments", query)
            if route == ("POST", "/experiments"):
                return self._create_experiment(body)
            if route in (("POST", "/runs"), ("POST", "/recurringruns")):
                return self._create_run(route[1], body)
            raise ApiError(404, f"Not Found: {method} {path}")

    def _require_namespace(self, namespace: Optional[str]) -> None:
        if self.multi_user and not namespace:
            raise ApiError(400, "Invalid input error: An experiment cannot have an empty "
                                "namespace in multi-user mode")

    def _list(self, table: dict, key: str, query: Dict[str, str]) -> dict:
        name = filter_name(query.get("filter"))
        namespace = query.get("namespace", "")
        found = [item for item in table.values() if item.get("namespace", "") == namespace
                 and name in (None, item["display_name"])]
        return {key: found, "total_size": len(found)} if found else {}

    def _upload(self, query: Dict[str, str], body: str) -> dict:
        spec = validate_upload(body)
        name = query.get("name") or spec.pipeline_info.name
        namespace = query.get("namespace", "")
        if any(p["display_name"] == name and p["namespace"] == namespace
               for p in self.pipelines.values()):
            raise ApiError(409, f"Already exist error: Failed to create a new pipeline. The name "
                                f"{name} already exists. Please specify a new name")
        pipeline_id = self._new_id("pipeline", self.pipelines)
        self.pipelines[pipeline_id] = {"pipeline_id": pipeline_id, "display_name": name,
                                       "namespace": namespace}
        self._add_version(pipeline_id, name, spec)  # KFP makes a first version of the same name
        return dict(self.pipelines[pipeline_id])

    def _upload_version(self, query: Dict[str, str], body: str) -> dict:
        spec = validate_upload(body)
        pipeline_id = query.get("pipelineid")
        if pipeline_id not in self.pipelines:
            raise ApiError(404, f"Not found: pipeline {pipeline_id}")
        name = query.get("name") or spec.pipeline_info.name
        if any(v["display_name"] == name and v["pipeline_id"] == pipeline_id
               for v in self.versions.values()):
            raise ApiError(409, f"Already exist error: Failed to create a pipeline version. The "
                                f"name {name} already exists in pipeline {pipeline_id}")
        return self._add_version(pipeline_id, name, spec)

    def _add_version(self, pipeline_id: str, name: str, spec) -> dict:
        version_id = self._new_id("version", self.versions)
        self.versions[version_id] = {"pipeline_id": pipeline_id, "pipeline_version_id": version_id,
                                     "display_name": name, "spec": spec}
        return {key: value for key, value in self.versions[version_id].items() if key != "spec"}

    def _create_experiment(self, body: dict) -> dict:
        namespace = body.get("namespace") or ""
        self._require_namespace(namespace)
        if any(e["display_name"] == body["display_name"] and e["namespace"] == namespace
               for e in self.experiments.values()):
            raise ApiError(409, f"Already exist error: experiment {body['display_name']}")
        experiment_id = self._new_id("experiment", self.experiments)
        self.experiments[experiment_id] = {"experiment_id": experiment_id, "namespace": namespace,
                                           "display_name": body["display_name"]}
        return dict(self.experiments[experiment_id])

    def _create_run(self, kind: str, body: dict) -> dict:
        if body.get("experiment_id") not in self.experiments:
            raise ApiError(404, f"Not found: experiment {body.get('experiment_id')}")
        reference = body.get("pipeline_version_reference", {})
        version = self.versions.get(reference.get("pipeline_version_id"))
        if version is None or version["pipeline_id"] != reference.get("pipeline_id"):
            raise ApiError(404, f"Not found: pipeline version {reference}")
        check_parameters(version["spec"], body.get("runtime_config", {}).get("parameters", {}))
        key = "run_id" if kind == "/runs" else "recurring_run_id"
        run_id = self._new_id(key.split("_id")[0].replace("_", "-"), self.runs)
        self.runs[run_id] = dict(body)
        return {key: run_id, "display_name": body.get("display_name")}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeKfp

    def log_message(self, *args):  # keep test output quiet
        pass

    def _serve(self, body):
        url = urllib.parse.urlparse(self.path)
        query = {key: values[-1] for key, values in urllib.parse.parse_qs(url.query).items()}
        try:
            status, reply = 200, self.fake.handle(self.command, url.path, query, body)
        except ApiError as err:
            status, reply = err.status, {"code": err.status, "message": str(err)}
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._serve(None)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
            [upload] = [part for part in message.iter_parts()
                        if part.get_param("name", header="content-disposition") == "uploadfile"]
            self._serve(upload.get_payload(decode=True).decode())
        else:
            self._serve(json.loads(raw or b"{}"))


class FakeKfpServer:
    """Serves a FakeKfp on a loopback port until `close()`."""

    def __init__(self, fake: FakeKfp):
        handler = type("Handler", (_Handler,), {"fake": fake})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.host = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
