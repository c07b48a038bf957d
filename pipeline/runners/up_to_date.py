"""Skipping a local run when nothing it reads has changed since the last successful run.

TFX's cache makes such a run cheap in work but not in time: going through `LocalDagRunner`
imports TensorFlow, Beam and every TFX component (about 14 s on two cores) before it finds each
component in its cache. So `run` first fingerprints what a run reads, with no heavy import:

- the settings (the whole validated config) and the schema file's bytes;
- the source of this package and of a user's model builder;
- the installed distributions (names and versions) and the Python version, and `TF_CONFIG`;
- every file under the data root, by relative path, size and modification time (images too,
  although TFX's ExampleGen fingerprints only the CSV files: a stricter test than TFX's cache).

A run is skipped, and the earlier run's summary printed again, only when all of that equals
what the last successful run recorded, that run is still the newest of the pipeline in the
metadata store, every artifact it produced or read is LIVE with its files in place, and its
report is still there. Anything else goes through TFX, whose cache decides per component; so
does `run --recheck`. The record is deleted before every run through TFX and written only after
one succeeds, so a failed or interrupted run never leaves a stale one.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import sys
from typing import Dict, Optional

from pipeline.config import PipelineConfig
from pipeline.data_files import data_files

RECORD_FILE = "last_successful_run.json"
STARTED_FILE = "unfinished_run_started.txt"  # when a run through TFX started that has not succeeded
_LIVE = 2  # ml_metadata.proto.metadata_store_pb2.Artifact.State.LIVE


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def data_fingerprint(data_root: str, output_dir: Optional[str] = None) -> str:
    """(relative path, size, mtime) of every file under `data_root`, hashed (the files of
    `pipeline.data_files`: symbolic links to folders followed, each real folder once; the output
    directory left out when it lies inside the data root, since every run changes it). A
    dangling link counts by its name."""
    entries = []
    for path, stat in data_files(data_root, output_dir):
        size, mtime = (None, None) if stat is None else (stat.st_size, stat.st_mtime_ns)
        entries.append((os.path.relpath(path, data_root), size, mtime))
    return _digest(entries)


def environment_fingerprint() -> str:
    """The Python version, the installed distributions (their metadata folders' names carry
    name and version) and TF_CONFIG."""
    installed = sorted({name for entry in sys.path if os.path.isdir(entry)
                        for name in os.listdir(entry)
                        if name.endswith((".dist-info", ".egg-info", ".egg-link"))})
    return _digest([sys.version, installed, os.environ.get("TF_CONFIG")])


def run_inputs(config: PipelineConfig) -> Dict[str, str]:
    """A fingerprint of each kind of thing a run reads, by kind (see the module docstring)."""
    from pipeline.fingerprint import code_fingerprint, file_fingerprint

    schema = file_fingerprint(config.resolved_schema_path)
    code = ["components", "pipeline", "schemas"]
    if config.model_builder:
        code.append(config.model_builder.rpartition(".")[0])
    return {"settings": _digest(config.model_dump(mode="json")), "schema": schema,
            "code": code_fingerprint(code), "installed packages": environment_fingerprint(),
            "data": data_fingerprint(config.data_root, config.output_dir)}


@dataclasses.dataclass
class SuccessfulRun:
    """What `record_success` writes: the run's inputs, id and console summary."""

    run_id: str
    finished_at: str
    inputs: Dict[str, str]
    summary: str
    report: str

    def skip_message(self) -> str:
        return (f"Nothing changed since run {self.run_id} (finished {self.finished_at}): the "
                "same settings, schema, code, installed packages and data files, and its "
                "artifacts are in place, so nothing ran (`run --recheck` goes through TFX's "
                "cache anyway). That run:\n" + self.summary)


def _record_path(config: PipelineConfig) -> str:
    return os.path.join(config.output_dir, RECORD_FILE)


def _now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def forget_success(config: PipelineConfig) -> None:
    """Deletes the record and notes when this run started: called before every run through
    TFX."""
    _remove(_record_path(config))
    os.makedirs(config.output_dir, exist_ok=True)
    with open(os.path.join(config.output_dir, STARTED_FILE), "w", encoding="utf-8") as handle:
        handle.write(_now() + "\n")


def record_success(config: PipelineConfig, inputs: Dict[str, str], run_id: str, summary: str,
                   report: str) -> None:
    """Writes the record of a run that succeeded with `inputs` (as read before it started)."""
    record = SuccessfulRun(run_id, _now(), inputs, summary, report)
    temporary = _record_path(config) + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(dataclasses.asdict(record), handle, indent=1)
    os.replace(temporary, _record_path(config))
    _remove(os.path.join(config.output_dir, STARTED_FILE))


def read_record(config: PipelineConfig) -> Optional[SuccessfulRun]:
    try:
        with open(_record_path(config), encoding="utf-8") as handle:
            return SuccessfulRun(**json.load(handle))
    except (OSError, ValueError, TypeError):
        return None


def _unfinished_run(config: PipelineConfig) -> Optional[str]:
    """What the note of a run through TFX that never succeeded says, if there is one."""
    try:
        with open(os.path.join(config.output_dir, STARTED_FILE), encoding="utf-8") as handle:
            started = handle.read().strip()
    except OSError:
        return None
    return f"the last run (started {started}) did not succeed" if started else None


def why_not_skipped(config: PipelineConfig, inputs: Dict[str, str]) -> Optional[str]:
    """None when the last successful run had these inputs and its outputs are intact; else
    why a run is needed, e.g. "changed since the last successful run: data"."""
    if "://" in config.data_root:
        return "the data root is remote, so its files are not fingerprinted"
    record = read_record(config)
    if record is None:
        return _unfinished_run(config) or "no successful run is recorded"
    changed = sorted(kind for kind in set(inputs) | set(record.inputs)
                     if inputs.get(kind) != record.inputs.get(kind))
    if changed:
        return "changed since the last successful run: " + ", ".join(changed)
    if not os.path.isfile(record.report):
        return f"its report {record.report} is gone"
    from pipeline.reporting.summary import open_store

    try:
        store = open_store(config.metadata_path)
    except FileNotFoundError:
        return f"the metadata store {config.metadata_path} is gone"
    return artifacts_missing(store, config.pipeline_name, record.run_id)


def artifacts_missing(store, pipeline_name: str, run_id: str) -> Optional[str]:
    """None when `run_id` is the pipeline's newest run in the MLMD `store` and every artifact
    it produced or read is LIVE with its files in place; else what is wrong."""
    from pipeline.reporting.summary import pipeline_runs

    try:
        newest = pipeline_runs(store, pipeline_name)[-1]
    except (LookupError, IndexError):
        return "the metadata store holds no run of this pipeline"
    if newest.name != run_id:
        return f"run {newest.name} came after it"
    executions = store.get_executions_by_context(newest.id)
    events = store.get_events_by_execution_ids([e.id for e in executions])
    for artifact in store.get_artifacts_by_id(sorted({e.artifact_id for e in events})):
        paths = [artifact.uri]
        if "pushed_destination" in artifact.custom_properties:
            paths.append(artifact.custom_properties["pushed_destination"].string_value)
        if artifact.state != _LIVE or not all(os.path.exists(path) for path in paths if path):
            return f"artifact {artifact.uri} ({artifact.type}) is no longer in place"
    return None
