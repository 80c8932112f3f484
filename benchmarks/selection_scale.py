"""How long does one selection round take as the pool grows to a million rows?

Synthetic pools of 1e4, 1e5 and 1e6 rows x 100 float32 features (two groups, a
logistic ground truth with a group effect); the learner is fairpool's ``logreg``
fitted on 500 labelled rows, and ``fal_fast`` measures disparity on a fixed
reference set of 2,000 rows. For each pool size and strategy (``entropy``,
``margin``, ``fal_fast`` with ``newton_steps`` 1 and its default), one
``select(state, k=50)`` on a fresh state, so the round includes the model's
``predict_proba`` over the pool; training time (best of ``--repeats`` after one
warm-up fit) is reported on its own line.
Prints a Markdown table of wall seconds (best of ``--repeats``) and the growth
ratio to the previous size (10x more rows: a ratio near 10 is linear).

Threads: BLAS and OpenMP get ``--threads`` (default 2, the target machine's
cores), set before numpy loads when run as a script::

    python benchmarks/selection_scale.py [--sizes 1e4 1e5 1e6] [--threads 2] [--out DIR]

``--out DIR`` also writes ``DIR/selection_scale.csv``: one row per (pool size,
strategy) with the best wall seconds, plus one row ``strategy = "train logreg"`` for
the training time, and the settings (k, features, labelled, reference, repeats, threads)
in every row; ``benchmarks/doc_figures.py`` quotes it.
"""

from __future__ import annotations

import os
import sys


def _threads_from_argv(argv: list[str]) -> str:
    if "--threads" in argv:
        return argv[argv.index("--threads") + 1]
    return "2"


if __name__ == "__main__":  # as a script only: importing it must not change the caller's env
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _threads_from_argv(sys.argv)

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from fairpool.active import LabelledSet, Pool, QueryState, make_learner, make_strategy  # noqa: E402  # noqa: E402

N_FEATURES = 100
N_LABELLED = 500
N_REFERENCE = 2000


def synthetic_rows(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` rows: float32 features, 0/1 labels from a logistic model, two groups."""
    groups = (rng.random(n) < 0.4).astype(np.int64)
    X = rng.standard_normal((n, N_FEATURES), dtype=np.float32)
    X[:, 0] += 0.7 * groups
    weights = np.linspace(1.0, -1.0, N_FEATURES) / np.sqrt(N_FEATURES) * 3.0
    logits = X @ weights + 0.8 * groups - 0.3
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logits))).astype(np.int64)
    return X, y, groups


def fresh_state(model, labelled, pool, reference) -> QueryState:  # noqa: ANN001
    """A new state (so ``pool_proba`` is recomputed inside the timed round)."""
    return QueryState(
        model=model,
        labelled=labelled,
        pool=pool,
        validation=reference,
        group_names=("a", "b"),
        feature_names=tuple(f"x{j}" for j in range(N_FEATURES)),
        make_learner=lambda: make_learner("logreg"),
    )


def best_time(run, repeats: int) -> float:  # noqa: ANN001
    """Smallest wall time of ``repeats`` calls of ``run()``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6])
    parser.add_argument("--threads", default="2")
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fal-repeats", type=int, default=1)
    parser.add_argument(
        "--uncertainty-only", action="store_true", help="time entropy and margin only"
    )
    parser.add_argument("--out", type=Path, help="also write selection_scale.csv there")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    X_lab, y_lab, g_lab = synthetic_rows(N_LABELLED, rng)
    X_ref, y_ref, g_ref = synthetic_rows(N_REFERENCE, rng)
    make_learner("logreg").fit(X_lab, y_lab)  # the first fit pays one-off import costs
    train_s = best_time(lambda: make_learner("logreg").fit(X_lab, y_lab), args.repeats)
    model = make_learner("logreg").fit(X_lab, y_lab)
    labelled = LabelledSet(X_lab, y_lab, g_lab)
    reference = LabelledSet(X_ref, y_ref, g_ref)
    default_steps = make_strategy("fal_fast").newton_steps
    strategies = {
        "entropy": (make_strategy("entropy"), args.repeats),
        "margin": (make_strategy("margin"), args.repeats),
        "fal_fast (newton_steps=1)": (make_strategy("fal_fast", newton_steps=1), args.fal_repeats),
        f"fal_fast (newton_steps={default_steps})": (make_strategy("fal_fast"), args.fal_repeats),
    }
    if args.uncertainty_only:
        strategies = {name: strategies[name] for name in ("entropy", "margin")}
    # One untimed round of each strategy on a small pool: first calls pay one-off costs.
    X_warm, _, g_warm = synthetic_rows(1000, np.random.default_rng(1))
    for strategy, _ in strategies.values():
        warm = fresh_state(model, labelled, Pool(X_warm, g_warm), reference)
        strategy.select(warm, args.k, np.random.default_rng(0))
    rows = []
    for size in (int(s) for s in args.sizes):
        X_pool, _, g_pool = synthetic_rows(size, np.random.default_rng(size))
        pool = Pool(X_pool, g_pool)
        row: dict[str, object] = {"pool rows": f"{size:.0e}"}
        for name, (strategy, repeats) in strategies.items():

            def one_round(strategy=strategy, pool=pool) -> None:  # noqa: ANN001
                state = fresh_state(model, labelled, pool, reference)
                strategy.select(state, args.k, np.random.default_rng(0))

            row[name] = best_time(one_round, repeats)
            print(f"  {size:.0e} {name}: {row[name]:.3f} s", file=sys.stderr, flush=True)
        rows.append(row)
    table = pd.DataFrame(rows).set_index("pool rows")
    growth = table / table.shift(1)
    print(
        f"One selection round (k={args.k}, incl. predict_proba over the pool), wall seconds, "
        f"best of {args.repeats} (fal_fast: {args.fal_repeats}); {N_FEATURES} features, "
        f"{N_LABELLED} labelled, reference {N_REFERENCE}; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs visible, "
        f"threads={args.threads}. Training the logreg (best of {args.repeats}): {train_s:.3f} s.\n"
    )
    header = "| pool rows | " + " | ".join(f"{c} s | growth" for c in table.columns) + " |"
    lines = [header, "|---" * (1 + 2 * len(table.columns)) + "|"]
    for index in table.index:
        cells = []
        for column in table.columns:
            ratio = growth.loc[index, column]
            cells.append(f"{table.loc[index, column]:.3g}")
            cells.append("-" if np.isnan(ratio) else f"{ratio:.1f}x")
        lines.append(f"| {index} | " + " | ".join(cells) + " |")
    print("\n".join(lines))
    if args.out is not None:
        write_results(args, table, train_s)
    return table


def write_results(args: argparse.Namespace, table: pd.DataFrame, train_s: float) -> Path:
    """``args.out/selection_scale.csv``: the table in long form, with the settings."""
    settings = {"k": args.k, "n_features": N_FEATURES, "n_labelled": N_LABELLED,
                "n_reference": N_REFERENCE, "repeats": args.repeats,
                "fal_repeats": args.fal_repeats, "threads": args.threads}
    rows = [{"pool_rows": 0, "strategy": "train logreg", "seconds": train_s, **settings}]
    for index in table.index:
        for column in table.columns:
            rows.append({"pool_rows": int(float(index)), "strategy": column,
                         "seconds": float(table.loc[index, column]), **settings})
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "selection_scale.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


if __name__ == "__main__":
    main()
