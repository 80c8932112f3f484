"""Does fal_fast pick what exact FAL picks, and how much faster is it?

On random samples of Adult and COMPAS (200 labelled rows, a pool of 2,000 and a
validation/reference set of 1,000 per seed), each round asks exact ``fal``
(4,000 refits of the learner: 2,000 candidates x 2 labels) and ``fal_fast``
(the closed-form update, for each ``--steps`` value) for one example (k = 1,
alpha = 0.6, demographic parity), then labels exact FAL's pick and refits.
Features are standardised on the labelled set each round, as the loop does.

The learner is fairpool's ``logreg`` model (L2 logistic regression, C = 1) solved
with ``newton-cholesky`` to ``tol=1e-8`` and warm-started for every refit: with
scikit-learn's default tolerance the refits themselves are noisy enough to
change exact FAL's pick (``--noise-floor`` measures how often a default-tolerance
FAL agrees with the tightly solved one).

Prints one Markdown table per dataset: queries, agreement of each fal_fast
variant with fal (same example), how often fal's pick is in fal_fast's top 3,
mean seconds per query of each, and the speed-up. Run single-threaded
(OMP_NUM_THREADS=1 and friends are set before numpy loads) so both methods get
one core each::

    python benchmarks/fal_agreement.py [--seeds 6] [--rounds 5] [--jobs 1]

``--jobs`` runs (dataset, seed) jobs in parallel processes (each still
single-threaded) to cut the wall time on a machine with idle cores. ``--out DIR``
writes the per-query rows to ``DIR/fal_agreement.csv`` (with the run's sizes in
every row), the results file ``benchmarks/doc_figures.py`` quotes.
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # as a script only: importing it must not change the caller's env
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

import fairpool as fp  # noqa: E402
from fairpool.active import (  # noqa: E402
    LabelledScaler,  # noqa: E402
    LabelledSet,
    Pool,
    QueryState,
    make_learner,  # noqa: E402
)
from fairpool.active.strategies import FairActiveLearning, FastFairActiveLearning  # noqa: E402


@dataclass(frozen=True)
class Job:
    """One (dataset, seed) run of several rounds."""

    dataset: str
    seed: int
    rounds: int
    n_labelled: int
    n_pool: int
    n_validation: int
    steps: tuple[int, ...]
    noise_floor: bool


def tight_logreg() -> LogisticRegression:
    """fairpool's logreg model (L2, C=1), solved to a tolerance where refits are reproducible.

    ``newton-cholesky`` reaches ``tol=1e-8`` in a few warm-started iterations, where
    lbfgs (which the ``logreg`` factory fixes) needs dozens.
    """
    return LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-8, max_iter=1000)


def default_logreg():  # noqa: ANN201
    """fairpool's logreg as the loop builds it (lbfgs, scikit-learn's default tolerance)."""
    return make_learner("logreg")


def _state(ds, labelled, pool, validation, model_factory) -> QueryState:  # noqa: ANN001
    scaler = LabelledScaler().fit(ds.X[labelled])
    X_lab = scaler.transform(ds.X, labelled)
    model = model_factory().fit(X_lab, ds.y[labelled])
    return QueryState(
        model=model,
        labelled=LabelledSet(X_lab, ds.y[labelled], ds.groups[labelled]),
        pool=Pool(scaler.transform(ds.X, pool), ds.groups[pool]),
        validation=LabelledSet(
            scaler.transform(ds.X, validation), ds.y[validation], ds.groups[validation]
        ),
        group_names=ds.group_names,
        feature_names=ds.feature_names,
        make_learner=model_factory,
    )


def run_job(job: Job) -> list[dict]:
    """Rounds of one seed; one row per query."""
    ds = fp.datasets.load(job.dataset)
    order = np.random.default_rng(job.seed).permutation(ds.n_samples)
    labelled = order[: job.n_labelled]
    pool = order[job.n_labelled : job.n_labelled + job.n_pool]
    validation = order[job.n_labelled + job.n_pool : job.n_labelled + job.n_pool + job.n_validation]
    rows = []
    # A near-separable refit makes newton-cholesky fall back to lbfgs, with a warning.
    warnings.simplefilter("ignore", ConvergenceWarning)
    for round_ in range(job.rounds):
        state = _state(ds, labelled, pool, validation, tight_logreg)
        everyone = np.arange(len(pool))
        state.pool_proba  # noqa: B018 - computed once, outside both timings
        start = time.process_time()
        exact_scores = FairActiveLearning().scores(state, everyone)
        exact_pick = int(np.argmax(exact_scores))
        row = {
            "dataset": job.dataset,
            "seed": job.seed,
            "round": round_,
            "fal_s": time.process_time() - start,
            "n_features": ds.n_features,
            "n_labelled": job.n_labelled,
            "n_pool": job.n_pool,
            "n_validation": job.n_validation,
        }
        for steps in job.steps:
            start = time.process_time()
            fast_scores = FastFairActiveLearning(newton_steps=steps).scores(state, everyone)
            row[f"fast{steps}_s"] = time.process_time() - start
            order_fast = np.argsort(-fast_scores)
            row[f"fast{steps}_same"] = int(order_fast[0]) == exact_pick
            row[f"fast{steps}_top3"] = exact_pick in order_fast[:3].tolist()
        if job.noise_floor:
            loose = _state(ds, labelled, pool, validation, default_logreg)
            loose_scores = FairActiveLearning().scores(loose, everyone)
            row["default_tol_same"] = int(np.argmax(loose_scores)) == exact_pick
        rows.append(row)
        print(  # progress, one line per query
            f"{job.dataset} seed {job.seed} round {round_}: "
            + ", ".join(f"{key}={value:.3g}" if isinstance(value, float) else f"{key}={value}"
                        for key, value in row.items() if key not in ("dataset", "seed", "round")),
            file=sys.stderr,
            flush=True,
        )
        labelled = np.append(labelled, pool[exact_pick])
        pool = np.delete(pool, exact_pick)
    return rows


def summarise(frame: pd.DataFrame, steps: tuple[int, ...]) -> pd.DataFrame:
    """One row per dataset: agreement and timings."""
    out = []
    for name, part in frame.groupby("dataset", sort=False):
        row = {
            "dataset": name,
            "features": int(part["n_features"].iloc[0]),
            "queries": len(part),
            "fal s/query": part["fal_s"].mean(),
        }
        for s in steps:
            row[f"agree (steps={s})"] = part[f"fast{s}_same"].mean()
            row[f"in top-3 (steps={s})"] = part[f"fast{s}_top3"].mean()
            row[f"fal_fast s/query (steps={s})"] = part[f"fast{s}_s"].mean()
            row[f"speed-up (steps={s})"] = part["fal_s"].mean() / part[f"fast{s}_s"].mean()
        if "default_tol_same" in part:
            row["fal(default tol) agrees"] = part["default_tol_same"].mean()
        out.append(row)
    return pd.DataFrame(out)


def markdown(table: pd.DataFrame) -> str:
    """A Markdown table with one column per dataset (pandas' to_markdown needs tabulate)."""
    columns = [str(c) for c in table["dataset"]]
    lines = ["| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name in table.columns.drop("dataset"):
        cells = []
        for value in table[name]:
            if isinstance(value, float) and "agree" not in name and "top-3" not in name:
                cells.append(f"{value:.3g}")
            elif isinstance(value, float):
                cells.append(f"{100 * value:.0f}%")
            else:
                cells.append(str(value))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["adult", "compas"])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--labelled", type=int, default=200)
    parser.add_argument("--pool", type=int, default=2000)
    parser.add_argument("--validation", type=int, default=1000)
    parser.add_argument("--steps", default="1,2,3", help="fal_fast newton_steps values")
    parser.add_argument("--noise-floor", action="store_true")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--csv", help="also write the per-query rows here")
    parser.add_argument("--out", type=Path,
                        help="also write the per-query rows to DIR/fal_agreement.csv")
    args = parser.parse_args(argv)
    steps = tuple(int(s) for s in args.steps.split(","))
    jobs = [
        Job(name, seed, args.rounds, args.labelled, args.pool, args.validation, steps,
            args.noise_floor)
        for name in args.datasets
        for seed in range(args.seeds)
    ]
    started = time.perf_counter()
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as executor:
            results = list(executor.map(run_job, jobs))
    else:
        results = [run_job(job) for job in jobs]
    frame = pd.DataFrame([row for rows in results for row in rows])
    if args.csv:
        frame.to_csv(args.csv, index=False)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        frame.to_csv(args.out / "fal_agreement.csv", index=False)
    table = summarise(frame, steps)
    print(
        f"FAL vs fal_fast, k=1, alpha=0.6, demographic parity; labelled {args.labelled}, "
        f"pool {args.pool}, reference {args.validation}; {args.seeds} seeds x {args.rounds} "
        f"rounds; {platform.processor() or platform.machine()}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, jobs={args.jobs}; "
        f"total {time.perf_counter() - started:.0f} s\n"
    )
    print(markdown(table))
    return table


if __name__ == "__main__":
    main()
