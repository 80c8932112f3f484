"""How fast are fairpool's group metrics, next to fairlearn's, and how much memory do they take?

For n = 1e4 .. 1e7 rows and 2, 5, 50 groups plus an intersectional case (two
sensitive columns), times demographic_parity_difference and
equalized_odds_difference of fairpool and of fairlearn in the same run (best
of a few repeats), and the peak memory fairpool allocates on top of its inputs
(tracemalloc), as a ratio to the bytes of the input arrays. Prints one
Markdown table; then a second one: every binary group metric on 5 *string* groups
(an object array, as a user's table gives them) against the floor of any such metric,
pandas' factorize plus one bincount, timed in the same run (the target is 1.5x).

Usage::

    python benchmarks/metrics.py [--max-n 1e7] [--fairlearn-max-n 1e6] [--quick] [--out DIR]

fairlearn takes tens of seconds per call at 1e6 rows with pandas 3, so it is
timed up to ``--fairlearn-max-n`` (once, when a call takes over two seconds);
larger sizes show "-" in its column.

``--out DIR`` also writes the two tables as results files, which
``benchmarks/doc_figures.py`` quotes: ``DIR/metrics_speed.csv`` (one row per size,
grouping and metric: ``fairpool_s``, ``fairlearn_s`` (empty where not timed),
``extra_ratio``, ``repeats``) and ``DIR/metrics_strings.csv`` (one row per metric on
the string groups, plus the floor as ``metric = "floor"``; ``n``, ``seconds``).
Also ``DIR/versions.json``: numpy, pandas, fairlearn and Python versions, CPUs and
OMP_NUM_THREADS.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import fairpool.metrics as fpm

SIZES = (10**4, 10**5, 10**6, 10**7)
#: (label, sizes of the sensitive columns): one column of k groups, or two columns.
GROUPINGS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("2", (2,)),
    ("5", (5,)),
    ("50", (50,)),
    ("5x10 (2 cols)", (5, 10)),
)
METRICS = ("demographic_parity_difference", "equalized_odds_difference")
SLOW_CALL_S = 2.0


def make_inputs(n: int, columns: tuple[int, ...], rng: np.random.Generator) -> dict[str, Any]:
    """0/1 labels and predictions as int8, group codes as int64 (a DataFrame for two columns)."""
    y_true = rng.integers(0, 2, n, dtype=np.int8)
    y_pred = rng.integers(0, 2, n, dtype=np.int8)
    if len(columns) == 1:
        groups: Any = rng.integers(0, columns[0], n)
        group_bytes = groups.nbytes
    else:
        groups = pd.DataFrame({f"a{j}": rng.integers(0, k, n) for j, k in enumerate(columns)})
        group_bytes = int(groups.memory_usage(index=False).sum())
    return {
        "y_true": y_true,
        "y_pred": y_pred,
        "sensitive_features": groups,
        "input_bytes": y_true.nbytes + y_pred.nbytes + group_bytes,
    }


def best_time(call: Callable[[], float], repeats: int) -> tuple[float, float]:
    """Best wall time of ``repeats`` calls (one call if it is slow) and the value returned."""
    best, value = float("inf"), float("nan")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        value = call()
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        if elapsed > SLOW_CALL_S:
            break
    return best, value


def peak_extra_bytes(call: Callable[[], float]) -> int:
    """Peak bytes allocated during ``call`` beyond what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return max(0, peak - before)


def fmt_ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    ms = seconds * 1e3
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.2f}"


def run(max_n: int, fairlearn_max_n: int, repeats: int) -> list[dict[str, Any]]:
    """Measure every (size, grouping, metric) cell; return one dict per table row."""
    import fairlearn.metrics as flm

    rng = np.random.default_rng(0)
    rows = []
    for n in (s for s in SIZES if s <= max_n):
        for label, columns in GROUPINGS:
            inputs = make_inputs(n, columns, rng)
            args = (inputs["y_true"], inputs["y_pred"])
            kwargs = {"sensitive_features": inputs["sensitive_features"]}
            for metric in METRICS:
                ours = partial(getattr(fpm, metric), *args, **kwargs)
                ours_s, ours_value = best_time(ours, repeats)
                extra = peak_extra_bytes(ours)
                theirs_s = None
                if n <= fairlearn_max_n:
                    theirs = partial(getattr(flm, metric), *args, **kwargs)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        theirs_s, theirs_value = best_time(theirs, repeats)
                    if abs(theirs_value - ours_value) > 1e-12:
                        raise AssertionError(
                            f"{metric} n={n} groups={label}: fairpool {ours_value!r} "
                            f"!= fairlearn {theirs_value!r}"
                        )
                rows.append({
                    "n": n, "groups": label, "metric": metric,
                    "fairpool_s": ours_s, "fairlearn_s": theirs_s,
                    "extra_ratio": extra / inputs["input_bytes"],
                })
                print(f"  measured n={n:.0e} groups={label} {metric}", file=sys.stderr)
    return rows


STRING_METRICS = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equal_opportunity_difference",
    "error_rate_balance",
    "error_rate_difference",
    "disparate_impact_ratio",
)


def run_string_groups(n: int, repeats: int) -> tuple[float, list[tuple[str, float]]]:
    """The floor and each metric's best time on ``n`` rows of 5 string groups."""
    rng = np.random.default_rng(1)
    names = np.array(["alpha", "beta", "gamma", "delta", "epsilon"], dtype=object)
    groups = rng.choice(names, n)
    y_true = rng.integers(0, 2, n, dtype=np.int8)
    y_pred = rng.integers(0, 2, n, dtype=np.int8)

    def floor() -> float:
        codes, uniques = pd.factorize(groups)
        return float(np.bincount(codes, minlength=len(uniques))[0])

    floor_s, _ = best_time(floor, repeats)
    timed = []
    for metric in STRING_METRICS:
        call = partial(getattr(fpm, metric), y_true, y_pred, sensitive_features=groups)
        timed.append((metric, best_time(call, repeats)[0]))
    return floor_s, timed


def render_string_groups(n: int, floor_s: float, timed: list[tuple[str, float]]) -> str:
    """Markdown table of :func:`run_string_groups`."""
    lines = [
        f"| metric (n = {n:.0e}, 5 string groups) | ms | / floor (factorize + bincount, "
        f"{fmt_ms(floor_s)} ms) |",
        "|:---|---:|---:|",
    ]
    for metric, seconds in timed:
        lines.append(f"| {metric} | {fmt_ms(seconds)} | {seconds / floor_s:.2f}x |")
    return "\n".join(lines)


def render(rows: list[dict[str, Any]]) -> str:
    """One Markdown table of the measurements."""
    short = {"demographic_parity_difference": "DP diff", "equalized_odds_difference": "EO diff"}
    lines = [
        "| n | groups | metric | fairpool ms | fairlearn ms | speed-up | "
        "fairpool peak extra memory / input |",
        "|---:|:---|:---|---:|---:|---:|---:|",
    ]
    for r in rows:
        speedup = "-" if r["fairlearn_s"] is None else f"{r['fairlearn_s'] / r['fairpool_s']:,.0f}x"
        lines.append(
            f"| {r['n']:.0e} | {r['groups']} | {short[r['metric']]} | {fmt_ms(r['fairpool_s'])} | "
            f"{fmt_ms(r['fairlearn_s'])} | {speedup} | {r['extra_ratio']:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse the options, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-n", type=float, default=1e7, help="largest row count (1e4..1e7)")
    parser.add_argument("--fairlearn-max-n", type=float, default=1e6,
                        help="largest row count at which fairlearn is timed")
    parser.add_argument("--repeats", type=int, default=5, help="repeats per timing (best kept)")
    parser.add_argument("--quick", action="store_true",
                        help="up to 1e5 rows, 3 repeats: a smoke run in seconds")
    parser.add_argument("--out", type=Path, help="also write the tables there as CSV")
    options = parser.parse_args(argv)
    max_n, fl_max_n, repeats = int(options.max_n), int(options.fairlearn_max_n), options.repeats
    if options.quick:
        max_n, fl_max_n, repeats = min(max_n, 10**5), min(fl_max_n, 10**5), 3
    import fairlearn

    versions = {"numpy": np.__version__, "pandas": pd.__version__,
                "fairlearn": fairlearn.__version__, "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"),
                "repeats": repeats, "fairlearn_max_n": fl_max_n, "max_n": max_n}
    print(
        f"fairpool metrics benchmark: numpy {np.__version__}, pandas {pd.__version__}, "
        f"fairlearn {fairlearn.__version__}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; "
        f"best of {repeats} (1 when a call exceeds {SLOW_CALL_S:.0f} s); "
        f"fairlearn timed up to n={fl_max_n:.0e}. Inputs: int8 labels, int64 group codes."
    )
    print()
    rows = run(max_n, fl_max_n, repeats)
    print(render(rows))
    print()
    n_strings = min(max_n, 10**6)
    floor_s, timed = run_string_groups(n_strings, repeats)
    print(render_string_groups(n_strings, floor_s, timed))
    if options.out is not None:
        write_results(options.out, rows, n_strings, floor_s, timed, versions, repeats)


def write_results(out: Path, rows: list[dict[str, Any]], n_strings: int, floor_s: float,
                  timed: list[tuple[str, float]], versions: dict[str, Any],
                  repeats: int) -> None:
    """Write ``metrics_speed.csv``, ``metrics_strings.csv`` and ``versions.json`` to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    speed = pd.DataFrame(rows)
    speed["repeats"] = repeats
    speed.to_csv(out / "metrics_speed.csv", index=False)
    strings = [{"metric": "floor", "n": n_strings, "seconds": floor_s}]
    strings += [{"metric": m, "n": n_strings, "seconds": s} for m, s in timed]
    pd.DataFrame(strings).to_csv(out / "metrics_strings.csv", index=False)
    (out / "versions.json").write_text(json.dumps(versions, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
