"""The Pareto front (F1 against the DP gap) of the strategy x mitigation grid, as Markdown.

Reads the final-budget rows of ``benchmarks/mitigation_grid.toml`` (exported by
``fairpool results DIR/fairpool.duckdb --export FILE.csv --table final``, then cut to
the columns kept in ``benchmarks/results/mitigation_grid.csv`` with ``--cut FILE.csv``)
and prints, for every dataset, the (strategy, learner) pairs that no other pair beats
on both F1 and the DP gap (``fp.bench.pareto_front``), with the plain pair (random,
logreg) for reference.
docs/mitigation.md quotes this output; ``tests/benchmarks/test_mitigation_benchmark.py``
keeps the two equal.

Run:  .venv/bin/python benchmarks/mitigation_grid_summary.py
      [--results benchmarks/results/mitigation_grid.csv] [--cut EXPORTED.csv]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

import fairpool as fp

RESULTS = Path(__file__).resolve().parent / "results" / "mitigation_grid.csv"
#: The columns kept from the runner's export (the rest are per-round diagnostics).
COLUMNS = ["dataset", "strategy", "learner", "seed", "n_labelled", "f1", "accuracy",
           "demographic_parity", "equalized_odds"]


def cut_export(exported: pd.DataFrame) -> pd.DataFrame:
    """The runner's final-budget export cut to :data:`COLUMNS`, sorted, 4 digits."""
    return (exported[COLUMNS].sort_values(["dataset", "strategy", "learner", "seed"])
            .round(4).reset_index(drop=True))


def pareto_table(results: pd.DataFrame) -> str:
    """Markdown: per dataset, the Pareto pairs by increasing DP gap, then random + logreg."""
    means = (results.groupby(["dataset", "strategy", "learner"], sort=True)
             [["f1", "demographic_parity"]].mean().reset_index())
    lines = ["| dataset | strategy | learner | F1 | DP gap | on the front |", "|---" * 6 + "|"]
    for dataset, part in means.groupby("dataset", sort=True):
        part = part.reset_index(drop=True)
        front = fp.bench.pareto_front(part["f1"].to_numpy(), part["demographic_parity"]
                                      .to_numpy())
        plain = part.index[(part["strategy"] == "random") & (part["learner"] == "logreg")]
        for i in [*front, *[j for j in plain if j not in set(front)]]:
            row = part.loc[i]
            lines.append(f"| {dataset} | {row['strategy']} | {row['learner']} | "
                         f"{row['f1']:.3f} | {row['demographic_parity']:.3f} | "
                         f"{'yes' if i in set(front) else 'no'} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(RESULTS))
    parser.add_argument("--cut", metavar="EXPORTED_CSV",
                        help="first write --results from the runner's export (the kept columns, "
                             "sorted, rounded to 4 digits)")
    args = parser.parse_args(argv)
    if args.cut:
        cut_export(pd.read_csv(args.cut)).to_csv(args.results, index=False)
    print(pareto_table(pd.read_csv(args.results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
