"""Cost of one train step in steady state: the custom loop, `model.fit`'s graph call and the
compute floor, paired in one process.

    .venv/bin/python -m benchmarks.step_cost --rounds 48

`benchmarks.training` runs each variant in its own process, over the whole run; from process to
process this machine's speed moves by 5-15%, more than anything that separates the loop from
`fit`. Here the variants run in one process, each on its own copy of the demo model (same initial
weights), each warmed up first (`--warmup-calls` graph calls: tracing, filling the reader's
cache), then in rounds: each variant makes `--calls` graph calls of `--steps-per-execution`
train steps, in a different order each round (every order in turn, so each variant follows
each other one equally often), and the round's time per step is recorded. A slow
moment of the machine then hits the variants of one round alike, and each round gives a paired
ratio. Start-up is not measured here (`benchmarks.training` has it).

Variants (batch size, optimizer, loss and the Trainer's reader as in `benchmarks.training`):
- `loop`: `loop.make_step_functions(...).train_steps`, the graph call the Trainer's loop makes,
  over the Trainer's reader (cached), several steps' batches per read as the Trainer reads them
  (`loop.steps_per_read`), the host reading the train loss after each call;
- `loop_1`: the same, reading one step's batch at a time, as `fit` does (the read's share);
- `fit`: the graph call `model.fit` makes (`model.make_train_function()`, compiled with the same
  optimizer, loss, metric and `steps_per_execution`) over the same reader batched one step's
  batch at a time (its own `train_step` takes one batch per step; a `train_step` written to
  slice reads could copy the loop's), the host reading its logs after each call. `fit`'s own
  Python between calls (callbacks, progress) is left out, which can only favour `fit`;
- `floor`: the loop's graph call on one batch staged in memory: no input pipeline.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from typing import Callable, Dict, List

from benchmarks.common import load_average, machine

VARIANTS = ("loop", "loop_1", "fit", "floor")
LABELS = {
    "loop": "custom loop's graph call (the Trainer's reader, cached; as the Trainer reads it)",
    "loop_1": "custom loop's graph call, one step's batch per read (as fit reads)",
    "fit": "model.fit's graph call, same steps per call (same reader, one batch per step)",
    "floor": "pure compute floor (the loop's graph call on one staged batch)",
}
RATIOS = (("loop", "fit", "custom loop / model.fit, same steps per call"),
          ("loop_1", "fit", "custom loop reading one step's batch at a time / model.fit, same "
                            "steps per call"),
          ("loop", "floor", "custom loop / pure compute floor"))


def time_rounds(calls: Dict[str, Callable[[], object]], rounds: int, calls_per_round: int,
                steps_per_call: int, clock: Callable[[], float] = time.perf_counter
                ) -> Dict[str, List[float]]:
    """Microseconds per step of each variant in each round: every round runs each variant's
    `calls_per_round` calls in turn, in every order of the variants in turn (round 0: as given),
    so none always runs right after the same other one."""
    orders = list(itertools.permutations(calls))
    per_step: Dict[str, List[float]] = {name: [] for name in calls}
    for round_index in range(rounds):
        for name in orders[round_index % len(orders)]:
            started = clock()
            for _ in range(calls_per_round):
                calls[name]()
            per_step[name].append(1e6 * (clock() - started) / (calls_per_round * steps_per_call))
    return per_step


def quartiles(values: List[float]) -> List[float]:
    """The lower quartile, the median and the upper quartile."""
    return statistics.quantiles(values, n=4, method="inclusive")


def speed_ratios(per_step: Dict[str, List[float]], faster: str, slower: str) -> List[float]:
    """Per round, the speed of `faster` over the speed of `slower` (their time per step,
    inverted): above 1 when `faster` took less time."""
    return [b / a for a, b in zip(per_step[faster], per_step[slower])]


def make_calls(output_dir: str, steps_per_call: int, batch_size: int) -> Dict[str, Callable]:
    """The variants' graph calls, each on its own copy of the demo model."""
    import tensorflow as tf
    import tf_keras as keras

    from benchmarks.training import DemoTraining, StagedBatch
    from components.trainer import data, loop

    parts = DemoTraining(output_dir)
    settings = loop.LoopSettings(train_steps=10**9, eval_steps=1, global_batch_size=batch_size,
                                 learning_rate=parts.config.learning_rate,
                                 steps_per_execution=steps_per_call)
    strategy = tf.distribute.get_strategy()

    def batches(steps_per_read=1):
        reader = data.make_dataset(parts.train_files, parts.spec, parts.label,
                                   batch_size * steps_per_read, shuffle=True, seed=0, repeat=True)
        return iter(strategy.experimental_distribute_dataset(reader))

    steps = tf.constant(steps_per_call, tf.int64)
    per_read = loop.steps_per_read(settings, data.example_bytes(parts.spec))
    loop_steps = loop.make_step_functions(parts.build_model(), loop.make_optimizer(settings),
                                          batch_size, head=parts.head, steps_per_read=per_read)
    loop_batches = batches(per_read)
    single_steps = loop.make_step_functions(parts.build_model(), loop.make_optimizer(settings),
                                            batch_size, head=parts.head)
    single_batches = batches()
    floor_steps = loop.make_step_functions(parts.build_model(), loop.make_optimizer(settings),
                                           batch_size, head=parts.head)
    staged = StagedBatch(next(batches()))
    fit_model = parts.build_model()
    fit_model.compile(optimizer=loop.make_optimizer(settings), loss=parts.head.per_example_loss,
                      metrics=[keras.metrics.RootMeanSquaredError()],
                      steps_per_execution=steps_per_call)
    fit_call = fit_model.make_train_function()
    fit_batches = batches()
    return {
        "loop": lambda: (loop_steps.train_steps(loop_batches, steps),
                         loop_steps.metrics["train_loss"].result().numpy()),
        "loop_1": lambda: (single_steps.train_steps(single_batches, steps),
                           single_steps.metrics["train_loss"].result().numpy()),
        "fit": lambda: {name: value.numpy() for name, value in fit_call(fit_batches).items()},
        "floor": lambda: (floor_steps.train_steps(staged, steps),
                          floor_steps.metrics["train_loss"].result().numpy()),
    }


def main() -> None:
    from pipeline.config import PipelineConfig

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=48, help="a multiple of 24 runs every "
                        "order of the four variants equally often")
    parser.add_argument("--calls", type=int, default=4, help="graph calls per variant per round")
    parser.add_argument("--warmup-calls", type=int, default=20)
    parser.add_argument("--steps-per-execution", type=int,
                        default=PipelineConfig.model_fields["steps_per_execution"].default)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--output-dir", default="outputs/demo")
    args = parser.parse_args()
    if not os.path.isfile(os.path.join(args.output_dir, "metadata.sqlite")):
        from pipeline import cli

        cli.main(["run", "--demo", "--output-dir", args.output_dir])
    calls = make_calls(args.output_dir, args.steps_per_execution, args.batch_size)
    load_before = load_average()
    time_rounds(calls, 1, args.warmup_calls, args.steps_per_execution)  # warm-up, not kept
    per_step = time_rounds(calls, args.rounds, args.calls, args.steps_per_execution)
    print(f"\nOne train step of the demo model in steady state, one process: batch "
          f"{args.batch_size}, {args.steps_per_execution} steps per call, {args.calls} calls per "
          f"variant per round, {args.rounds} rounds after {args.warmup_calls} warm-up calls "
          f"each; {machine()}; load average {load_before} before, {load_average()} after\n")
    print("| variant | us per step: median | lower-upper quartile | min-max |")
    print("|---|---:|---:|---:|")
    for name in VARIANTS:
        low, mid, high = quartiles(per_step[name])
        print(f"| {LABELS[name]} | {mid:.0f} | {low:.0f}-{high:.0f} | "
              f"{min(per_step[name]):.0f}-{max(per_step[name]):.0f} |")
    print()
    for faster, slower, text in RATIOS:
        ratios = speed_ratios(per_step, faster, slower)
        low, mid, high = quartiles(ratios)
        print(f"- {text}: {mid:.3f}x (paired per round; quartiles {low:.3f}-{high:.3f}x, "
              f"min-max {min(ratios):.3f}-{max(ratios):.3f}x)")


if __name__ == "__main__":
    main()
