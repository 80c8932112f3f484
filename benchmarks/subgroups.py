"""How fast is the subgroup analysis (and the worst-slice search) at 10^6 rows, on 2 cores?

The target (issue 14): ``fairpool.audit.subgroups`` with 3 sensitive columns
(string values, as a user's CSV gives them) and bootstrap intervals on 10^6 rows
within 10 s. Measured in the same run, each against a reference:

- ``subgroups`` (bootstrap, 1000 resamples) against a plain loop bootstrap that
  draws row indices with replacement and recounts every group with ``np.bincount``
  per resample (already faster than a pandas ``groupby``); the loop runs
  ``--loop-resamples`` resamples and its time is scaled to 1000;
- ``subgroups`` (Wilson) against fairlearn's ``MetricFrame`` over the same 7
  groupings (each column, each pair, all three) and 8 rates without intervals; fairlearn
  runs on ``--fairlearn-n`` rows and its time is scaled linearly to n (it takes tens
  of seconds per call at 10^6 rows);
- ``worst_slices`` (3 sensitive columns plus 2 numeric ones cut into 4 quantile bins,
  depth 3) against the ``sliceline`` package's ``Slicefinder`` on the same codes, both
  at ``--slice-n`` rows (sliceline takes ~40 s at 10^6), and fairpool also at n.

Usage::

    python benchmarks/subgroups.py [--n 1000000] [--out benchmarks/results/subgroups/subgroups.csv]

Prints a Markdown table (wall seconds, reference seconds, ratio = reference /
fairpool, the machine's 1-minute load average at the end) and writes it to
``--out``. Threads are capped at 2 (BLAS, OpenMP) and, where the platform allows,
the process is pinned to 2 cores.
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # as a script only: importing it must not change the caller's env
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "NUMBA_NUM_THREADS"):
        os.environ.setdefault(_var, "2")

import argparse  # noqa: E402
import gc  # noqa: E402
import itertools  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from fairpool.audit import SUBGROUP_METRICS, subgroups, worst_slices  # noqa: E402

COLUMNS = {"sex": ["F", "M"], "race": ["a", "b", "c", "d", "e"],
           "age_band": ["<25", "25-44", "45-64", "65+"]}
TARGET_S = 10.0
N_BOOT = 1000


def make_table(n: int, seed: int = 0) -> pd.DataFrame:
    """Three string sensitive columns, two numeric ones, labels and predictions (int8)."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({c: rng.choice(np.array(v, dtype=object), n) for c, v in COLUMNS.items()})
    df["income"] = rng.lognormal(10, 1, n)
    df["tenure"] = rng.integers(0, 40, n)
    df["y"] = (rng.random(n) < 0.4).astype(np.int8)
    wrong = rng.random(n) < np.where((df["sex"] == "F") & (df["race"] == "c"), 0.3, 0.15)
    df["p"] = np.where(wrong, 1 - df["y"], df["y"]).astype(np.int8)
    return df


def timed(call: Callable[[], Any], repeats: int = 1) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def loop_bootstrap(df: pd.DataFrame, n_boot: int, seed: int) -> np.ndarray:
    """Reference: resample rows in a Python loop; every rate of every group of every grouping."""
    rng = np.random.default_rng(seed)
    codes = [pd.factorize(df[c], sort=True)[0] for c in COLUMNS]
    y, p = df["y"].to_numpy(), df["p"].to_numpy()
    groupings = [s for r in range(1, 4) for s in itertools.combinations(range(3), r)]
    keys = []
    for subset in groupings:
        key = np.zeros(len(df), dtype=np.int64)
        for j in subset:
            key = key * len(COLUMNS[list(COLUMNS)[j]]) + codes[j]
        keys.append(key)
    out = []
    for _ in range(n_boot):
        i = rng.integers(0, len(df), len(df))
        yy, pp = y[i], p[i]
        cell = yy * 2 + pp
        rates = []
        for key in keys:
            k = int(key.max()) + 1
            table = np.bincount(key[i] * 4 + cell, minlength=4 * k).reshape(k, 2, 2)
            rates.append(table[:, 0, 1] / table[:, 0].sum(axis=1))  # FPR, say
        out.append(np.concatenate(rates))
    return np.array(out)


def fairlearn_metricframe(df: pd.DataFrame) -> None:
    """Reference: fairlearn's MetricFrame over the 7 groupings with the 8 rates."""
    from fairlearn.metrics import (
        MetricFrame,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
    )
    from sklearn.metrics import accuracy_score, precision_score, recall_score

    metrics = {"base_rate": lambda y, p: float(np.mean(y)), "selection_rate": selection_rate,
               "accuracy": accuracy_score, "precision": precision_score,
               "recall": recall_score, "fpr": false_positive_rate, "fnr": false_negative_rate,
               "error_rate": lambda y, p: 1 - accuracy_score(y, p)}
    assert set(metrics) == set(SUBGROUP_METRICS)
    for r in range(1, 4):
        for subset in itertools.combinations(list(COLUMNS), r):
            MetricFrame(metrics=metrics, y_true=df["y"], y_pred=df["p"],
                        sensitive_features=df[list(subset)])


def sliceline_search(df: pd.DataFrame, features: pd.DataFrame) -> None:
    from sliceline import Slicefinder

    codes = np.column_stack([pd.factorize(features[c], sort=True)[0] + 1
                             for c in features.columns])
    Slicefinder(alpha=0.95, k=10, max_l=3, min_sup=30, verbose=False).fit(
        codes, (df["y"] != df["p"]).to_numpy().astype(float))


def markdown(frame: pd.DataFrame) -> str:
    """A Markdown table (numbers to 3 significant digits, empty cells for missing)."""
    def cell(v: Any) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, float | np.floating):
            return f"{v:.3g}"
        return f"{v:,}" if isinstance(v, int | np.integer) else str(v)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |",
             "|" + "---|" * frame.shape[1]]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in frame.astype(object).itertuples(index=False)]
    return "\n".join(lines)


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=float, default=1e6)
    parser.add_argument("--loop-resamples", type=int, default=20)
    parser.add_argument("--fairlearn-n", type=float, default=1e5)
    parser.add_argument("--slice-n", type=float, default=1e5)
    parser.add_argument("--out", default="benchmarks/results/subgroups/subgroups.csv")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 2:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
    n, fl_n, slice_n = int(args.n), int(args.fairlearn_n), int(args.slice_n)
    df = make_table(n)
    sf = df[list(COLUMNS)]
    rows: list[dict[str, Any]] = []

    def add(task: str, rows_n: int, seconds: float, reference: str, ref_rows: int,
            ref_seconds: float, scaled: str) -> None:
        rows.append({"task": task, "n": rows_n, "fairpool_s": seconds, "reference": reference,
                     "reference_n": ref_rows, "reference_s": ref_seconds,
                     "reference_scaled": scaled, "ratio": ref_seconds / seconds})

    boot = timed(lambda: subgroups(df["y"], df["p"], sensitive_features=sf, ci="bootstrap",
                                   n_boot=N_BOOT, random_state=0), repeats=2)
    loop = timed(lambda: loop_bootstrap(df, args.loop_resamples, seed=0))
    add("subgroups, 3 columns, bootstrap 1000", n, boot, "loop bootstrap (numpy bincount)", n,
        loop * N_BOOT / args.loop_resamples,
        f"{args.loop_resamples} resamples x {N_BOOT // args.loop_resamples}")

    wilson = timed(lambda: subgroups(df["y"], df["p"], sensitive_features=sf), repeats=2)
    small = df.iloc[:fl_n]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fl = timed(lambda: fairlearn_metricframe(small))
    add("subgroups, 3 columns, Wilson", n, wilson, "fairlearn MetricFrame, 7 groupings", fl_n,
        fl * n / fl_n, f"linear from {fl_n:,} rows" if fl_n != n else "measured")

    features = pd.concat([sf, df[["income", "tenure"]]], axis=1)

    def search(rows_n: int) -> None:
        worst_slices(df["y"].iloc[:rows_n], df["p"].iloc[:rows_n],
                     features=features.iloc[:rows_n], max_depth=3, k=10, min_support=30)

    binned = features.iloc[:slice_n].copy()
    for c in ("income", "tenure"):
        binned[c] = pd.qcut(binned[c], 4, labels=False, duplicates="drop")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = timed(lambda: sliceline_search(df.iloc[:slice_n], binned))
        add("worst_slices, 5 columns, depth 3", slice_n, timed(lambda: search(slice_n), 2),
            "sliceline.Slicefinder", slice_n, ref, "measured")
    except ImportError:
        print("sliceline not installed: its row is left out (pip install sliceline)")
    rows.append({"task": "worst_slices, 5 columns, depth 3", "n": n,
                 "fairpool_s": timed(lambda: search(n), 2), "reference": "",
                 "reference_n": None, "reference_s": None, "reference_scaled": "",
                 "ratio": None})

    table = pd.DataFrame(rows)
    table["cores"] = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    # wall times on a shared machine: the load says how much else was running
    table["load_avg_1min"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    table["commit"] = commit()
    print(markdown(table.drop(columns=["commit"])))
    verdict = "PASS" if boot <= TARGET_S else "FAIL"
    print(f"\nsubgroups with bootstrap intervals on {n:,} rows: {boot:.2f} s "
          f"(target {TARGET_S:.0f} s on 2 cores): {verdict}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    print(f"wrote {out}")
    return table


if __name__ == "__main__":
    main()
