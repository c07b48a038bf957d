"""Tests for the paired step-cost benchmark's timing and ratios (benchmarks/step_cost.py), on a
fake clock that each variant's call advances by a known cost."""

import pytest

from benchmarks import common, step_cost


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_time_rounds_gives_each_variants_time_per_step_and_rotates_the_order():
    clock, order = FakeClock(), []

    def call(name, seconds):
        def run():
            order.append(name)
            clock.now += seconds
        return run

    per_step = step_cost.time_rounds(
        {"loop": call("loop", 0.1), "fit": call("fit", 0.2), "floor": call("floor", 0.05)},
        rounds=3, calls_per_round=2, steps_per_call=50, clock=clock)
    assert per_step == {"loop": [pytest.approx(2000)] * 3, "fit": [pytest.approx(4000)] * 3,
                        "floor": [pytest.approx(1000)] * 3}
    assert order == ["loop", "loop", "fit", "fit", "floor", "floor",
                     "fit", "fit", "floor", "floor", "loop", "loop",
                     "floor", "floor", "loop", "loop", "fit", "fit"]


def test_speed_ratios_pair_the_rounds_and_say_how_much_faster():
    per_step = {"loop": [2000.0, 1000.0, 3000.0], "fit": [4000.0, 1000.0, 1500.0]}
    assert step_cost.speed_ratios(per_step, "loop", "fit") == [2.0, 1.0, 0.5]


def test_quartiles_of_an_odd_and_an_even_count():
    assert step_cost.quartiles([1.0, 2.0, 3.0, 4.0, 5.0]) == [2.0, 3.0, 4.0]
    assert step_cost.quartiles([4.0, 1.0, 3.0, 2.0]) == [1.75, 2.5, 3.25]


def test_rotated_shifts_one_name_per_round_and_wraps():
    names = ["a", "b", "c"]
    assert [common.rotated(names, r) for r in range(4)] == [
        ["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"], ["a", "b", "c"]]
