"""Tests for the paired step-cost benchmark's timing and ratios (benchmarks/step_cost.py), on a
fake clock that each variant's call advances by a known cost."""

import itertools

import pytest

from benchmarks import step_cost


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_time_rounds_gives_each_variants_time_per_step_in_every_order_in_turn():
    clock, order = FakeClock(), []

    def call(name, seconds):
        def run():
            order.append(name)
            clock.now += seconds
        return run

    per_step = step_cost.time_rounds(
        {"loop": call("loop", 0.1), "fit": call("fit", 0.2), "floor": call("floor", 0.05)},
        rounds=7, calls_per_round=2, steps_per_call=50, clock=clock)
    assert per_step == {"loop": [pytest.approx(2000)] * 7, "fit": [pytest.approx(4000)] * 7,
                        "floor": [pytest.approx(1000)] * 7}
    rounds = [tuple(order[i:i + 6:2]) for i in range(0, len(order), 6)]
    assert order[:2] == ["loop", "loop"]  # each call of a round's variant runs back to back
    assert sorted(rounds[:6]) == sorted(itertools.permutations(["loop", "fit", "floor"]))
    assert rounds[0] == rounds[6] == ("loop", "fit", "floor")


def test_speed_ratios_pair_the_rounds_and_say_how_much_faster():
    per_step = {"loop": [2000.0, 1000.0, 3000.0], "fit": [4000.0, 1000.0, 1500.0]}
    assert step_cost.speed_ratios(per_step, "loop", "fit") == [2.0, 1.0, 0.5]


def test_quartiles_of_an_odd_and_an_even_count():
    assert step_cost.quartiles([1.0, 2.0, 3.0, 4.0, 5.0]) == [2.0, 3.0, 4.0]
    assert step_cost.quartiles([4.0, 1.0, 3.0, 2.0]) == [1.75, 2.5, 3.25]
