"""Shared benchmark plumbing: run variants in child processes, interleaved, and sample the peak
resident memory of each child's whole process tree (every SAMPLE_SECONDS)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from typing import Dict, List, Sequence

# Seconds between memory samples. Sampling every 50 ms slowed the measured runs (the Trainer of
# the pipeline benchmark took 45 s instead of 25 s on 2 cores); 0.5 s does not.
SAMPLE_SECONDS = 0.5


def _tree_rss(process) -> int:
    import psutil

    total = 0
    for member in [process] + process.children(recursive=True):
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_child(argv: Sequence[str]) -> Dict[str, float]:
    """Runs `python argv...`, which prints one JSON line; adds the tree's peak RSS (MiB) and the
    process's wall time from start to exit (`process_seconds`).

    The wall time stops when the child is reaped, not when the memory sampler notices; the peak
    is the larger of the sampled tree and the child's own peak from the kernel (`wait4`), so a
    child that exits between two samples still counts.
    """
    import psutil

    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, text=True)
    watched = psutil.Process(child.pid)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                peak[0] = max(peak[0], _tree_rss(watched))
            except psutil.Error:
                pass
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    process_seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise RuntimeError(f"benchmark child {argv} failed with exit code {child.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_mib"] = max(peak[0], usage.ru_maxrss * 1024) / 2**20  # ru_maxrss is in KiB
    result["process_seconds"] = process_seconds  # the whole process: start-up, imports, exit
    return result


def interleave(variants: Dict[str, List[str]], rounds: int) -> Dict[str, List[Dict[str, float]]]:
    """Runs every variant once per round, in turn, so machine noise hits all of them alike.

    The order rotates by one variant per round (round 2 starts with the second variant), so
    each variant's place in the round changes: a fixed place (say, always first, or always
    last after the others have warmed the machine) would bias a variant the same way in every
    round.
    """
    names = list(variants)
    results: Dict[str, List[Dict[str, float]]] = {name: [] for name in names}
    for round_index in range(rounds):
        for name in rotated(names, round_index):
            argv = variants[name]
            result = run_child(argv)
            results[name].append(result)
            print(f"  round {round_index + 1} {name}: {result['seconds']:.1f} s, "
                  f"{result['peak_mib']:.0f} MiB", file=sys.stderr)
    return results


def rotated(names: Sequence[str], round_index: int) -> List[str]:
    """The order of a round: `names` shifted left by one per round (round 0: as given)."""
    shift = round_index % len(names)
    return list(names[shift:]) + list(names[:shift])


def median(values: List[float]) -> float:
    return statistics.median(values)


def spread(values: List[float], fmt: str) -> str:
    """"median (min-max)" of a benchmark's values over rounds."""
    return (f"{format(median(values), fmt)} ({format(min(values), fmt)}-"
            f"{format(max(values), fmt)})")


def machine() -> str:
    """The core count and CPU, for table headings: figures from different CPUs differ."""
    fields: Dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    cpu = fields.get("model name", "unknown CPU")
    if "cpu family" in fields:
        cpu += f", family {fields['cpu family']} model {fields.get('model', '?')}"
    return f"{os.cpu_count()} cores ({cpu})"


def load_average() -> str:
    """The 1-minute load average, to print next to timings (this machine is shared)."""
    return f"{os.getloadavg()[0]:.1f}"
