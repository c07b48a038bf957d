"""Skipping a run when nothing changed: what the fingerprint sees, and every reason the last
successful run's record is not enough (checked against a real SQLite ML Metadata store)."""

import os
import shutil

import pytest

from pipeline.config import load_config
from pipeline.runners import up_to_date

PIPELINE = "up-to-date-test"


@pytest.fixture
def data_root(tmp_path):
    root = tmp_path / "data"
    (root / "img").mkdir(parents=True)
    (root / "rows.csv").write_text("image,y\nimg/a.png,1\n")
    (root / "img" / "a.png").write_bytes(b"\x89PNG fake")
    return root


def test_data_fingerprint_sees_a_touch_an_edit_and_a_new_file(data_root):
    first = up_to_date.data_fingerprint(str(data_root))
    assert up_to_date.data_fingerprint(str(data_root)) == first
    image = data_root / "img" / "a.png"
    stat = os.stat(image)
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert up_to_date.data_fingerprint(str(data_root)) != first  # an image alone, not the CSV
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert up_to_date.data_fingerprint(str(data_root)) == first
    (data_root / "img" / "b.png").write_bytes(b"")
    assert up_to_date.data_fingerprint(str(data_root)) != first


def test_data_fingerprint_leaves_out_an_output_dir_inside_the_data_root(data_root):
    before = up_to_date.data_fingerprint(str(data_root), str(data_root / "out"))
    (data_root / "out").mkdir()
    (data_root / "out" / "metadata.sqlite").write_bytes(b"changes every run")
    assert up_to_date.data_fingerprint(str(data_root), str(data_root / "out")) == before
    assert up_to_date.data_fingerprint(str(data_root)) != before


def test_data_fingerprint_follows_linked_folders_once(data_root, tmp_path):
    outside = tmp_path / "drops"
    outside.mkdir()
    (outside / "span-1.csv").write_text("image,y\n")
    (data_root / "drops").symlink_to(outside)
    (data_root / "img" / "loop").symlink_to(data_root)  # a cycle: walked once, no hang
    before = up_to_date.data_fingerprint(str(data_root))
    (outside / "span-1.csv").write_text("image,y\nimg/a.png,2\n")
    assert up_to_date.data_fingerprint(str(data_root)) != before


def test_run_inputs_name_the_kind_that_changed(data_root, tmp_path):
    schema = tmp_path / "schema.pbtxt"
    shutil.copy(load_config().resolved_schema_path, schema)
    base = {"data_root": str(data_root), "output_dir": str(tmp_path / "out"),
            "schema_path": str(schema)}
    inputs = up_to_date.run_inputs(load_config(overrides=base))
    assert set(inputs) == {"settings", "schema", "code", "installed packages", "data"}

    more_steps = up_to_date.run_inputs(load_config(overrides={**base, "train_steps": 7}))
    assert {k for k in inputs if inputs[k] != more_steps[k]} == {"settings"}
    schema.write_text(schema.read_text() + "\n# a comment\n")
    edited = up_to_date.run_inputs(load_config(overrides=base))
    assert {k for k in inputs if inputs[k] != edited[k]} == {"schema"}


def _sqlite_store(path):
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    config.sqlite.connection_mode = (
        metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE)
    return metadata_store.MetadataStore(config)


def record_tfx_run(store, run_id, uris, pushed_destination=None):
    """A pipeline run as TFX's launcher records it: an execution in the `pipeline` and
    `pipeline_run` contexts that output one LIVE artifact per uri (the last one a
    PushedModel when `pushed_destination` is given)."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    def context(type_name, name):
        type_id = store.put_context_type(pb.ContextType(name=type_name))
        found = store.get_context_by_type_and_name(type_name, name)
        if found is not None:
            return found
        [context_id] = store.put_contexts([pb.Context(type_id=type_id, name=name)])
        return store.get_contexts_by_id([context_id])[0]

    contexts = [context("pipeline", PIPELINE), context("pipeline_run", run_id)]
    execution = pb.Execution(type_id=store.put_execution_type(pb.ExecutionType(name="Trainer")),
                             last_known_state=pb.Execution.COMPLETE)
    events = []
    for i, uri in enumerate(uris):
        pushed = pushed_destination is not None and i == len(uris) - 1
        artifact = pb.Artifact(
            type_id=store.put_artifact_type(pb.ArtifactType(
                name="PushedModel" if pushed else "Model")),
            uri=str(uri), state=pb.Artifact.LIVE)
        if pushed:
            artifact.custom_properties["pushed_destination"].string_value = pushed_destination
        events.append((artifact, pb.Event(type=pb.Event.OUTPUT)))
    store.put_execution(execution, events, contexts)


@pytest.fixture
def succeeded(data_root, tmp_path):
    """A config whose last run, r1, succeeded and was recorded; (config, inputs, paths)."""
    config = load_config(overrides={"data_root": str(data_root),
                                    "output_dir": str(tmp_path / "out"),
                                    "pipeline_name": PIPELINE})
    paths = {name: tmp_path / "out" / name for name in ("model", "pushed", "served", "report")}
    for name in ("model", "pushed", "served"):
        paths[name].mkdir(parents=True)
    paths["report"].write_text("<html></html>")
    record_tfx_run(_sqlite_store(config.metadata_path), "r1",
                   [paths["model"], paths["pushed"]], str(paths["served"]))
    inputs = up_to_date.run_inputs(config)
    up_to_date.record_success(config, inputs, "r1", "Run r1: 9 components", str(paths["report"]))
    return config, inputs, paths


def test_an_unchanged_run_with_its_outputs_in_place_is_skipped(succeeded):
    config, inputs, _ = succeeded
    assert up_to_date.why_not_skipped(config, up_to_date.run_inputs(config)) is None
    message = up_to_date.read_record(config).skip_message()
    assert message.startswith("Nothing changed since run r1 (finished ")
    assert message.endswith("That run:\nRun r1: 9 components")
    assert inputs == up_to_date.read_record(config).inputs


def test_changed_inputs_are_named(succeeded):
    config, inputs, _ = succeeded
    changed = {**inputs, "data": "0" * 16, "code": "1" * 16}
    assert (up_to_date.why_not_skipped(config, changed)
            == "changed since the last successful run: code, data")


@pytest.mark.parametrize("remove, reason", [
    ("model", "artifact {model} (Model) is no longer in place"),
    ("served", "artifact {pushed} (PushedModel) is no longer in place"),
    ("report", "its report {report} is gone"),
])
def test_a_run_whose_outputs_are_gone_is_not_skipped(succeeded, remove, reason):
    config, inputs, paths = succeeded
    path = paths[remove]
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    assert up_to_date.why_not_skipped(config, inputs) == reason.format(**paths)


def test_a_later_run_or_a_lost_store_is_not_skipped(succeeded):
    config, inputs, paths = succeeded
    record_tfx_run(_sqlite_store(config.metadata_path), "r2", [paths["model"]])
    assert up_to_date.why_not_skipped(config, inputs) == "run r2 came after it"
    os.remove(config.metadata_path)
    assert (up_to_date.why_not_skipped(config, inputs)
            == f"the metadata store {config.metadata_path} is gone")


def test_a_remote_data_root_is_never_skipped(succeeded):
    config, inputs, _ = succeeded
    remote = config.model_copy(update={"data_root": "gs://bucket/data"})
    assert (up_to_date.why_not_skipped(remote, inputs)
            == "the data root is remote, so its files are not fingerprinted")


def test_a_forgotten_or_unreadable_record_is_not_skipped(succeeded):
    config, inputs, _ = succeeded
    os.remove(os.path.join(config.output_dir, up_to_date.RECORD_FILE))
    assert up_to_date.why_not_skipped(config, inputs) == "no successful run is recorded"
    with open(os.path.join(config.output_dir, up_to_date.RECORD_FILE), "w") as handle:
        handle.write("{truncated")
    assert up_to_date.why_not_skipped(config, inputs) == "no successful run is recorded"


def test_after_a_run_that_did_not_succeed_the_next_one_says_so(succeeded, monkeypatch):
    """The record's absence after a failed run read "no successful run is recorded", although
    runs were recorded; the note of the failed run's start is gone once a run succeeds."""
    config, inputs, paths = succeeded
    monkeypatch.setattr(up_to_date, "_now", lambda: "2026-11-30T06:00:00+00:00")
    up_to_date.forget_success(config)
    up_to_date.forget_success(config)  # twice is fine: every run through TFX forgets first
    assert (up_to_date.why_not_skipped(config, inputs)
            == "the last run (started 2026-11-30T06:00:00+00:00) did not succeed")
    up_to_date.record_success(config, inputs, "r1", "Run r1: 9 components", str(paths["report"]))
    assert not os.path.exists(os.path.join(config.output_dir, up_to_date.STARTED_FILE))
    assert up_to_date.why_not_skipped(config, inputs) is None
