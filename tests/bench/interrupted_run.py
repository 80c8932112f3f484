"""A run to be killed: ``python -m bench.interrupted_run DB`` (from tests/).

Prints ``stored <n>`` after each cell is committed, so a test knows when to kill it.
"""

from __future__ import annotations

import sys

from fairpool.bench import parse_config, run_experiment

from .fakes import fake_registry, slow_fake_cell

#: 4 strategies × 8 seeds = 32 cells of 301 rounds each (long enough to be killed mid-run).
KILL_CONFIG = """
title = "to be killed"
datasets = ["toy"]
learners = ["logreg"]
strategies = ["random", "entropy", "facagen", {name = "facagen", tuner = "ppo"}]
budget = 300
batch_size = 1
seeds = 8
"""


class PrintProgress:
    """Prints one line per stored cell, flushed at once."""

    def __init__(self) -> None:
        self.stored = 0

    def start(self, total: int, already_done: int, *, pending=None) -> None:
        print(f"start {total} {already_done}", flush=True)

    def cell_done(self, cell, outcome) -> None:
        self.stored += 1
        print(f"stored {self.stored}", flush=True)

    def stop(self) -> None:
        print("stop", flush=True)


def main() -> None:
    config = parse_config(KILL_CONFIG, registry=fake_registry())
    run_experiment(config, database=sys.argv[1], workers=int(sys.argv[2]),
                   cell_runner=slow_fake_cell, progress=PrintProgress())


if __name__ == "__main__":
    main()
