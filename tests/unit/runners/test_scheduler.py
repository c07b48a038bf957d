"""The local scheduler: cron parsing, no overlapping runs, failures logged, clean SIGTERM."""

import logging
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import schemas
from pipeline.runners.run_lock import AlreadyRunning, RunLock
from pipeline.runners.scheduler import CronError, RunFailed, Scheduler, parse_cron

ROOT = os.path.dirname(schemas.SCHEMAS_DIR)  # the repository


@pytest.mark.parametrize("expression", ["0 3 * *", "61 * * * *", "0 3 * * * *", "daily"])
def test_invalid_cron_is_explained(expression):
    with pytest.raises(CronError, match="use five fields"):
        parse_cron(expression)


def test_next_tick_follows_the_expression():
    times = parse_cron("30 3 * * *")
    import datetime

    due = times.get_next(datetime.datetime)
    assert (due.hour, due.minute) == (3, 30)


def test_failed_run_is_logged_and_the_schedule_goes_on(tmp_path, caplog):
    calls = []

    def job():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk on fire")

    scheduler = Scheduler("* * * * *", str(tmp_path), job)
    with caplog.at_level(logging.INFO, logger="tfx_multimodal.scheduler"):
        assert scheduler.tick() == "failed"
        assert scheduler.tick() == "ran"
    assert len(calls) == 2
    assert "run failed: RuntimeError: disk on fire" in caplog.text


def test_a_run_that_reported_its_error_is_logged_in_one_line_an_unexpected_one_in_full(
        tmp_path, caplog):
    def reported():
        raise RunFailed("the run stopped on a data error (see above)")

    def unexpected():
        raise KeyError("surprise")

    with caplog.at_level(logging.INFO, logger="tfx_multimodal.scheduler"):
        assert Scheduler("* * * * *", str(tmp_path), reported).tick() == "failed"
        assert Scheduler("* * * * *", str(tmp_path), unexpected).tick() == "failed"
    assert [(r.getMessage(), r.exc_info is not None) for r in caplog.records] == [
        ("run failed: the run stopped on a data error (see above)", False),
        ("run failed: KeyError: 'surprise'", True)]


def test_a_scheduler_without_cron_only_ticks(tmp_path):
    runs = []
    scheduler = Scheduler(None, str(tmp_path), job=lambda: runs.append(1))
    assert scheduler.tick() == "ran" and runs == [1]
    with pytest.raises(ValueError, match="^a scheduler without a cron expression runs only "
                       "single ticks$"):
        scheduler.run_forever()


def test_a_tick_during_a_run_is_skipped(tmp_path, caplog):
    ran = []
    scheduler = Scheduler("* * * * *", str(tmp_path), lambda: ran.append(1))
    with RunLock(str(tmp_path)):
        with caplog.at_level(logging.WARNING, logger="tfx_multimodal.scheduler"):
            assert scheduler.tick() == "skipped"
    assert ran == []
    assert "another run is in progress" in caplog.text
    assert scheduler.tick() == "ran"


def test_run_lock_refuses_a_second_holder_and_frees_on_exit(tmp_path):
    with RunLock(str(tmp_path)):
        with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()}"):
            with RunLock(str(tmp_path)):
                pass
    with RunLock(str(tmp_path)):
        pass


@pytest.fixture
def signal_handlers():
    """Restores SIGTERM's and SIGINT's handlers after the test."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def test_sigterm_during_a_run_lets_it_finish_then_stops(tmp_path, signal_handlers):
    events = []
    # Stands for SIGTERM's default action (death): it must be replaced by the scheduler's.
    signal.signal(signal.SIGTERM, lambda *_: events.append("terminated"))

    def job():
        events.append("run started")
        os.kill(os.getpid(), signal.SIGTERM)  # arrives in the middle of the run
        time.sleep(0.2)  # the handler runs here, in this (the main) thread
        events.append("run finished")

    scheduler = Scheduler("* * * * *", str(tmp_path), job)
    scheduler.stop_on_signals()
    assert scheduler.tick() == "ran"
    assert scheduler.stop.is_set()
    stopping = threading.Thread(target=scheduler.run_forever)
    stopping.start()
    stopping.join(timeout=10)
    running = stopping.is_alive()
    scheduler.stop.set()  # ends a wrongly waiting scheduler, so the test cannot hang
    assert not running, "the scheduler went on waiting for the next tick"
    assert events == ["run started", "run finished"]  # not cut short, no second run


def test_sigterm_stops_the_schedule_command(tmp_path):
    data_root = tmp_path / "data"
    data_root.mkdir()
    process = subprocess.Popen(
        [sys.executable, "pipeline_runner.py", "schedule", "--cron", "0 3 * * *",
         "--data-root", str(data_root), "--output-dir", str(tmp_path / "out")],
        cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    lines = []
    while not any("next run at" in line for line in lines):
        assert time.monotonic() < deadline and process.poll() is None
        lines.append(process.stderr.readline())
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "scheduler stopped" in rest
