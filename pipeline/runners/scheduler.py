"""The local scheduler: run the pipeline on a cron schedule until stopped.

Cron expressions are parsed by `croniter`. Runs never overlap (the output directory's
`RunLock`: a tick that finds a run in progress is skipped and logged), a failed run is logged
with its error (and a traceback when the error was unexpected) and the schedule goes on, and
SIGTERM/SIGINT stop the scheduler between runs.
"""

from __future__ import annotations

import datetime
import logging
import signal
import threading
from typing import Callable, Optional

from pipeline.runners.run_lock import AlreadyRunning, RunLock

log = logging.getLogger("tfx_multimodal.scheduler")


class CronError(ValueError):
    """An invalid cron expression."""


def parse_cron(expression: str):
    """A croniter for a five-field cron expression (minute hour day month weekday)."""
    from croniter import croniter

    fields = expression.split()
    if len(fields) != 5 or not croniter.is_valid(expression):
        raise CronError(f"invalid cron expression {expression!r}: use five fields, "
                        "'minute hour day-of-month month day-of-week', e.g. '0 3 * * *'")
    return croniter(expression, datetime.datetime.now().astimezone())


class RunFailed(RuntimeError):
    """A run that stopped for a reason it already reported in one line (e.g. a data error):
    logged without a traceback, which is kept for unexpected errors."""


class Scheduler:
    """Calls `job` at each cron tick under the output directory's lock; without a cron
    expression (`schedule --once`), only at the `tick` its caller asks for."""

    def __init__(self, cron: Optional[str], output_dir: str, job: Callable[[], object],
                 stop: Optional[threading.Event] = None):
        self._times = parse_cron(cron) if cron is not None else None
        self._output_dir = output_dir
        self._job = job
        self.stop = stop or threading.Event()

    def tick(self) -> str:
        """One run now: "ran", "failed" or "skipped" (another run holds the lock)."""
        try:
            with RunLock(self._output_dir):
                self._job()
        except AlreadyRunning as err:
            log.warning("skipped this tick: %s", err)
            return "skipped"
        except RunFailed as err:
            log.error("run failed: %s", err)
            return "failed"
        except Exception as err:  # pylint: disable=broad-except  # a failed run must not end the schedule
            log.error("run failed: %s: %s", type(err).__name__, err, exc_info=True)
            return "failed"
        log.info("run finished")
        return "ran"

    def run_forever(self) -> None:
        """Waits for each tick and runs; returns when `stop` is set (between runs)."""
        if self._times is None:
            raise ValueError("a scheduler without a cron expression runs only single ticks")
        while not self.stop.is_set():
            due = self._times.get_next(datetime.datetime)
            wait = (due - datetime.datetime.now().astimezone()).total_seconds()
            log.info("next run at %s", due.isoformat(timespec="seconds"))
            if self.stop.wait(max(0.0, wait)):
                break
            self.tick()
        log.info("scheduler stopped")

    def stop_on_signals(self) -> None:
        """SIGTERM and SIGINT set `stop`: a run in progress finishes first."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop.set())
