"""Summarise the FIS comparison (examples/fis.toml) from its exported rounds table.

Reads the rounds CSV that ``fairpool results <db> --export <csv> --table rounds`` writes
for the run of examples/fis.toml and prints, per dataset, the test accuracy, F1,
demographic parity and equalized odds (max - min over the two groups) at the first
round (the 200 seed labels, shared by every strategy of a seed) and at the last
(B = 400 bought), mean ± sd over seeds, with the median seconds per run (from the
exported runs table, wall time on a shared, loaded 2-core machine) and, for
``fis``, how many of each round's 50 picks had a negative (wanted) score. The
markdown goes to stdout and to ``--out``.

Usage::

    fairpool run examples/fis.toml --out benchmarks/results/fis
    fairpool results benchmarks/results/fis/fairpool.duckdb \\
        --export benchmarks/results/fis_table/fis_rounds.csv --table rounds
    fairpool results benchmarks/results/fis/fairpool.duckdb \\
        --export benchmarks/results/fis_table/fis_runs.csv --table runs
    python benchmarks/fis_summary.py benchmarks/results/fis_table/fis_rounds.csv \\
        --runs benchmarks/results/fis_table/fis_runs.csv \\
        --out benchmarks/results/fis_table/fis_table.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

METRICS = {"accuracy": "accuracy", "f1": "F1", "demographic_parity": "DP",
           "equalized_odds": "EO"}
ORDER = ["random", "fis", "falcon", "fal_fast", "fairlearn"]


def _cell(values: pd.Series) -> str:
    values = pd.to_numeric(values, errors="coerce").dropna()
    if values.empty:
        return ""
    sd = values.std(ddof=1) if len(values) > 1 else 0.0
    return f"{values.mean():.3f} ± {sd:.3f}"


def summarise(rounds: pd.DataFrame, runs: pd.DataFrame | None = None) -> str:
    """Markdown tables, one per dataset, from the exported rounds (and runs) tables."""
    text = []
    for dataset, part in rounds.groupby("dataset_label", sort=False):
        last = part[part["round"] == part.groupby("cell_key")["round"].transform("max")]
        first = part[part["round"] == 0]
        seconds = {}
        if runs is not None:
            mine = runs[runs["dataset_label"] == dataset]
            seconds = mine.groupby("strategy_label")["wall_seconds"].median().to_dict()
        lines = ["| | " + " | ".join(METRICS.values()) + " | labels | seeds | s / run |",
                 "|---" * (len(METRICS) + 4) + "|"]
        # Round 0 is the plain model on the seed labels, the same for every strategy of a
        # seed, except those that change the model (fairlearn's reduction): take random's.
        name = "random" if (first["strategy_label"] == "random").any() else (
            first["strategy_label"].iloc[0])
        reference = first[first["strategy_label"] == name]
        lines.append("| before (seed labels) | "
                     + " | ".join(_cell(reference[c]) for c in METRICS)
                     + f" | {int(reference['n_labelled'].iloc[0])} | {len(reference)} | |")
        labels = sorted(set(last["strategy_label"]),
                        key=lambda s: ORDER.index(s) if s in ORDER else len(ORDER))
        for label in labels:
            rows = last[last["strategy_label"] == label]
            wall = f"{seconds[label]:.0f}" if label in seconds else ""
            lines.append(f"| {label} | " + " | ".join(_cell(rows[c]) for c in METRICS)
                         + f" | {int(rows['n_labelled'].iloc[0])} | {len(rows)} | {wall} |")
        text.append(f"### {dataset}\n\n" + "\n".join(lines))
        if "strategy_n_wanted" in part:
            fis = part[(part["strategy_label"] == "fis") & part["strategy_n_wanted"].notna()]
            if len(fis):
                text.append(
                    f"fis on {dataset}: picks with a negative score per round of 50: "
                    f"mean {fis['strategy_n_wanted'].mean():.1f}, min "
                    f"{int(fis['strategy_n_wanted'].min())}, max "
                    f"{int(fis['strategy_n_wanted'].max())} "
                    f"({len(fis)} rounds); the rest were filled at random."
                )
    return "\n\n".join(text) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", help="rounds CSV exported by `fairpool results`")
    parser.add_argument("--runs", help="runs CSV (`--table runs`): median seconds per run")
    parser.add_argument("--out", help="also write the markdown here")
    args = parser.parse_args(argv)
    text = summarise(pd.read_csv(args.rounds), pd.read_csv(args.runs) if args.runs else None)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
