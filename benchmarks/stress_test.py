"""Stress tests of the three sources of bias on Adult and 1000 Genomes, plain and by strategy.

Each source of bias (sampling, measurement, historical, and the prediction-side flip)
is injected into one group at 0 to 50 % (step 10 %) with :func:`fairpool.audit.stress_test`,
for a plain logistic regression fitted on the whole training part and for
active-learning campaigns that collect their labels from the biased pool with
entropy, falcon and fal_fast. Every model is scored on an uncorrupted test split
(30 % of the rows, stratified by group and label, drawn per seed).

Settings (chosen so that the whole run stays under about 25 minutes on the shared
two-core machine, ``nice -n 10``, two worker processes): Adult subsampled to 4,000
rows (seeded), group ``Female``; genomes1000 (2,504 rows), group ``EUR`` (not among
the groups whose labels the phenotype already under-records); seeds 0, 1 and 2;
rates 0, 0.1, ..., 0.5; campaigns of budget 200 in batches of 50 after an initial
batch of 50; learner ``logreg`` everywhere::

    nice -n 10 python benchmarks/stress_test.py --jobs 2   # the run (writes the CSV and PNGs)
    python benchmarks/stress_test.py --plot-only           # redraw the PNGs from the CSV

Writes ``benchmarks/results/stress_test/stress_test.csv`` (one row per dataset, source, rate,
seed and strategy) and ``docs/figures/stress_<dataset>.png``, and prints, for each
dataset, source and strategy, the mean change from rate 0 to rate 0.5 of accuracy,
DP and EO differences and the group's TPR.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

if __name__ == "__main__":  # as a script only: importing it must not change the caller's env
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd

import fairpool as fp

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "stress_test" / "stress_test.csv"
FIGURES = ROOT / "docs" / "figures"
SETTINGS = {
    "adult": {"rows": 4000, "group": "Female"},
    "genomes1000": {"rows": None, "group": "EUR"},
}
SOURCES = ("sampling", "measurement", "historical", "prediction")
RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
STRATEGIES = ("entropy", "falcon", "fal_fast")


def _dataset(name: str) -> fp.datasets.Dataset:
    ds = fp.datasets.load(name)
    rows = SETTINGS[name]["rows"]
    return ds if rows is None else fp.datasets.subsample(ds, rows, seed=0)


def _unit(name: str, seed: int, budget: int, batch_size: int) -> pd.DataFrame:
    """One dataset and seed: the plain fit and the campaigns at every rate."""
    start = time.perf_counter()
    ds, group = _dataset(name), SETTINGS[name]["group"]
    common = {"source": SOURCES, "group": group, "seeds": [seed], "model": "logreg"}
    table = fp.audit.stress_test(ds, rates=RATES, strategy=[None, *STRATEGIES], budget=budget,
                                 batch_size=batch_size, **common)
    table.insert(0, "group", group)
    table.insert(0, "dataset", name)
    print(f"{name} seed {seed}: {len(table)} rows in {time.perf_counter() - start:.0f} s",
          flush=True)
    return table


def run(seeds: list[int], budget: int, batch_size: int, datasets: list[str],
        jobs: int) -> pd.DataFrame:
    """The stress tests of every dataset and seed, one table (``jobs`` worker processes)."""
    from concurrent.futures import ProcessPoolExecutor

    units = [(name, seed, budget, batch_size) for name in datasets for seed in seeds]
    if jobs <= 1:
        parts = [_unit(*unit) for unit in units]
    else:
        with ProcessPoolExecutor(jobs) as pool:
            parts = list(pool.map(_unit, *zip(*units, strict=True)))
    table = pd.concat(parts, ignore_index=True)
    order = {"dataset": datasets, "source": SOURCES, "strategy": ("none", *STRATEGIES)}
    return table.sort_values(
        ["dataset", "source", "strategy", "rate", "seed"],
        key=lambda c: c.map({v: i for i, v in enumerate(order[c.name])}) if c.name in order
        else c, kind="stable").reset_index(drop=True)


def plot(table: pd.DataFrame) -> list[Path]:
    """One PNG per dataset: each metric against the injected rate, mean ± sd over seeds."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    written = []
    for name, part in table.groupby("dataset", sort=False):
        group = part["group"].iloc[0]
        path = FIGURES / f"stress_{name}.png"
        fig = fp.audit.plot_stress_test(
            part, metrics=("accuracy", "demographic_parity", "equalized_odds", f"tpr[{group}]"),
            path=path, title=f"{name}: bias injected into {group}; test split uncorrupted",
        )
        import matplotlib.pyplot as plt

        plt.close(fig)
        written.append(path)
    return written


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds at rate 0 and at the largest rate, and the change."""
    rows = []
    for (name, src, strat), part in table.groupby(["dataset", "source", "strategy"], sort=False):
        group = part["group"].iloc[0]
        lo, hi = part["rate"].min(), part["rate"].max()
        for metric in ("accuracy", "demographic_parity", "equalized_odds", f"tpr[{group}]"):
            a = part.loc[part["rate"] == lo, metric].mean()
            b = part.loc[part["rate"] == hi, metric].mean()
            rows.append({"dataset": name, "source": src, "strategy": strat,
                         "metric": metric.replace(f"[{group}]", "[group]"),
                         f"at {lo:g}": a, f"at {hi:g}": b, "change": b - a})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1")
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--datasets", nargs="+", default=list(SETTINGS))
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--plot-only", action="store_true", help="redraw from the CSV")
    args = parser.parse_args()
    if args.plot_only:
        table = pd.read_csv(RESULTS)
    else:
        start = time.perf_counter()
        table = run(list(range(args.seeds)), args.budget, args.batch_size, args.datasets,
                    args.jobs)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(RESULTS, index=False)
        print(f"wrote {RESULTS} ({len(table)} rows) in {time.perf_counter() - start:.0f} s")
    for path in plot(table):
        print(f"wrote {path}")
    with pd.option_context("display.width", 160, "display.max_rows", 500):
        print(summary(table).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
