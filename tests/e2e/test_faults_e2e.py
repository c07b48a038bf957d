"""Faults: a pipeline killed during Transform completes on the next run without reusing the
partial artifact; a full disk, a read-only output directory and a concurrent run each fail
with a clear message naming the path."""

import glob
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

import schemas
from pipeline import cli
from pipeline.datasets import demo_data
from pipeline.config import load_config
from pipeline.runners.run_lock import RunLock
from pipeline.reporting.summary import open_store, summarize_latest_run

pytestmark = pytest.mark.slow
ROOT = os.path.dirname(schemas.SCHEMAS_DIR)  # the repository


def write_config(tmp_path, **values):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "data_root": str(tmp_path / "data"), "output_dir": str(tmp_path / "out"),
        "train_steps": 30, "eval_steps": 2, "batch_size": 16, "image_height": 12,
        "image_width": 12, "max_eval_rmse": 100.0, **values}))
    return str(path)


@pytest.fixture()
def tmpfs(tmp_path):
    """Mounts small tmpfs file systems under tmp_path (the tests run as root, as CI does)."""
    mounted = []

    def mount(name, options):
        target = tmp_path / name
        target.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
                       check=True)
        mounted.append(target)
        return target

    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", str(target)], check=False)


def written_outputs(component_dir):
    """Files under a component's output directories (hidden ones included, its `.system`
    working directory not) that already hold bytes."""
    found = []
    for key in os.listdir(component_dir) if os.path.isdir(component_dir) else []:
        if key.startswith("."):
            continue
        for folder, _, names in os.walk(os.path.join(component_dir, key)):
            for name in names:
                try:
                    if os.path.getsize(os.path.join(folder, name)) > 0:
                        found.append(os.path.join(folder, name))
                except OSError:  # renamed or removed while we looked
                    pass
    return found


def inside(path, directories):
    """Whether `path` is one of `directories` or lies under one."""
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in directories)


def test_killed_during_transform_completes_without_the_partial_artifact(tmp_path,
                                                                         digits_features):
    demo_data.generate(str(tmp_path / "data"), digits_features, rows=80)
    config_path = write_config(tmp_path)
    config = load_config(config_path)
    transform_dir = os.path.join(config.pipeline_root, "Transform")
    process = subprocess.Popen([sys.executable, "pipeline_runner.py", "run", "--config",
                                config_path], cwd=ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not written_outputs(transform_dir):  # Transform has started writing its outputs
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    # output key -> the killed execution's output directory, which holds written bytes
    partial = {os.path.basename(os.path.dirname(path)): path
               for path in glob.glob(os.path.join(transform_dir, "*", "*"))}
    assert written_outputs(transform_dir)
    assert all(inside(path, partial.values()) for path in written_outputs(transform_dir))

    assert cli.main(["run", "--config", config_path]) == 0
    summary = summarize_latest_run(config)
    for name in ("CsvImageExampleGen", "ImportSchemaGen", "StatisticsGen", "ExampleValidator",
                 "DataGate"):
        assert summary.states[name] == "CACHED", name
    assert summary.states["Transform"] == summary.states["Trainer"] == "COMPLETE"
    [graph] = {n.node_id: n for n in summary.nodes}["Transform"].outputs["TransformGraph"]
    assert graph.uri != partial["transform_graph"]  # the killed execution's output is not reused

    store = open_store(config.metadata_path)
    transforms = [e for e in store.get_executions() if e.type.endswith("Transform")]
    assert len(transforms) == 2
    killed = min(transforms, key=lambda e: e.id)
    assert killed.last_known_state not in (3, 5)  # neither COMPLETE nor CACHED
    live = [a.uri for a in store.get_artifacts() if a.state == 2]  # LIVE
    assert not [uri for uri in live if inside(uri, partial.values())]
    trainer = [e for e in store.get_executions() if e.type.endswith("Trainer")][-1]
    read = store.get_artifacts_by_id([event.artifact_id for event in
                                      store.get_events_by_execution_ids([trainer.id])
                                      if event.type == 3])  # INPUT
    assert graph.uri in {a.uri for a in read}
    assert not [a.uri for a in read if inside(a.uri, partial.values())]


def test_full_disk_fails_with_a_clear_message(tmp_path, digits_features, tmpfs, capsys):
    demo_data.generate(str(tmp_path / "data"), digits_features, rows=80)
    out = tmpfs("full", "size=600k")
    config_path = write_config(tmp_path, output_dir=str(out), min_free_disk_mb=0)
    assert cli.main(["run", "--config", config_path]) == 1
    err = capsys.readouterr().err
    assert "error: no space left on device while writing" in err
    assert str(out) in err


def test_low_free_space_is_refused_before_starting(tmp_path, tmpfs, capsys):
    (tmp_path / "data").mkdir()
    out = tmpfs("small", "size=1m")
    assert cli.main(["run", "--config", write_config(tmp_path, output_dir=str(out))]) == 2
    err = capsys.readouterr().err
    assert f"output directory {out} has" in err and "MB needed (min_free_disk_mb)" in err


def test_read_only_output_directory(tmp_path, tmpfs, capsys):
    (tmp_path / "data").mkdir()
    out = tmpfs("readonly", "ro,size=1m")
    assert cli.main(["run", "--config", write_config(tmp_path, output_dir=str(out))]) == 2
    assert f"output directory {out} is not writable: Read-only file system" in (
        capsys.readouterr().err)


def test_second_concurrent_run_is_refused(tmp_path, digits_features, capsys):
    demo_data.generate(str(tmp_path / "data"), digits_features, rows=60)
    config_path = write_config(tmp_path)
    with RunLock(str(tmp_path / "out")):  # a run in progress
        assert cli.main(["run", "--config", config_path]) == 1
        assert "another run is in progress on" in capsys.readouterr().err
        assert not os.path.exists(tmp_path / "out" / "metadata.sqlite")
    assert cli.main(["run", "--config", config_path]) == 0  # the store is usable afterwards
