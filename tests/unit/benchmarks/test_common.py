"""Tests for the benchmarks' child-process plumbing (benchmarks/common.py)."""

import pytest

from benchmarks import common


def test_run_child_counts_the_peak_of_a_child_that_exits_between_memory_samples():
    # 300 MB held for a moment, far shorter than the sampler's period: only the kernel's
    # record of the child's peak (wait4) can see it
    code = ("import json; block = bytearray(300 * 2**20);"
            " block[::4096] = b'x' * len(block[::4096]); print(json.dumps({'seconds': 0.0}))")
    result = common.run_child(["-c", code])
    assert result["seconds"] == 0.0
    assert result["peak_mib"] >= 300


def test_run_child_names_the_child_that_failed():
    with pytest.raises(RuntimeError, match="failed with exit code 3"):
        common.run_child(["-c", "import sys; sys.exit(3)"])


def test_machine_names_cores_and_cpu():
    text = common.machine()
    assert text.split()[1] == "cores" and "(" in text


def test_rotated_shifts_one_name_per_round_and_wraps():
    names = ["a", "b", "c"]
    assert [common.rotated(names, r) for r in range(4)] == [
        ["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"], ["a", "b", "c"]]
