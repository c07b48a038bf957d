"""The data components run unchanged on Beam's portable runner: ingestion, statistics and
Transform are submitted to Beam's own job service, a separate process, whose work runs on an
external SDK worker pool (`--environment_type=EXTERNAL`), the protocol Flink, Spark and Dataflow
Runner v2 speak. The rest of the pipeline stays on the DirectRunner (`component_beam_args`)."""

import os
import socket
import subprocess
import sys
import time

import grpc
import pytest
import yaml
from apache_beam.portability.api import beam_job_api_pb2, beam_job_api_pb2_grpc

from pipeline import cli
from pipeline.config import load_config
from pipeline.reporting.summary import summarize_latest_run

pytestmark = pytest.mark.slow

PORTABLE = ["CsvImageExampleGen", "StatisticsGen", "Transform"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{process.args} exited {process.returncode}"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


@pytest.fixture(scope="module")
def beam_services(tmp_path_factory):
    """(job endpoint, worker pool address): Beam's job service and SDK worker pool, each in
    its own process; the pool starts `python` from PATH, so this venv's comes first."""
    logs = tmp_path_factory.mktemp("beam-services")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    job_port, pool_port = free_port(), free_port()
    commands = {
        "job_service": ["apache_beam.runners.portability.local_job_service_main",
                        f"--port={job_port}", f"--staging_dir={logs / 'staging'}"],
        "worker_pool": ["apache_beam.runners.worker.worker_pool_main",
                        f"--service_port={pool_port}"]}
    processes = []
    try:
        for (name, args), port in zip(commands.items(), (job_port, pool_port)):
            with open(logs / f"{name}.log", "w") as log:
                processes.append(subprocess.Popen([sys.executable, "-m", *args], env=env,
                                                  stdout=log, stderr=subprocess.STDOUT))
            wait_for_port(port, processes[-1])
        yield f"localhost:{job_port}", f"localhost:{pool_port}"
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def test_data_components_run_on_the_portable_runner(beam_services, tmp_path, tiny_demo_data):
    job_endpoint, worker_pool = beam_services
    portable = ["--runner=PortableRunner", f"--job_endpoint={job_endpoint}",
                "--environment_type=EXTERNAL", f"--environment_config={worker_pool}"]
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump({
        "data_root": str(tiny_demo_data), "output_dir": str(tmp_path / "out"),
        "train_steps": 10, "eval_steps": 2, "batch_size": 16, "image_height": 16,
        "image_width": 16, "max_eval_rmse": 100.0,
        "component_beam_args": {name: portable for name in PORTABLE}}))
    assert cli.main(["run", "--config", str(config_path)]) == 0

    summary = summarize_latest_run(load_config(str(config_path)))
    assert set(summary.states.values()) == {"COMPLETE"}
    assert (summary.rows_read, summary.rows_ingested) == (60, 60)
    with grpc.insecure_channel(job_endpoint) as channel:
        jobs = beam_job_api_pb2_grpc.JobServiceStub(channel).GetJobs(
            beam_job_api_pb2.GetJobsRequest(), timeout=30).job_info
    # one Beam job per portable component, each finished on the job service
    assert len(jobs) == len(PORTABLE)
    assert {job.state for job in jobs} == {beam_job_api_pb2.JobState.DONE}
