"""CPU time per epoch of Fair MEDL against the plain MLP, on Adult (occupation clusters).

Fair MEDL on Adult trains eight fairness adversaries (age, race, sex and marital status,
each on the FE and on the ME head) besides the cluster adversary. fairpool runs them as
one batched module (``StackedAdversaries``); this script times a fit per model on the
benchmark's seed-0 training rows (benchmarks/medl.py: 8 000 rows subsampled, 70 % seen
split, standardised), after one untimed warm-up fit, ``--repeats`` times, and reports
the median CPU seconds (``time.process_time``, one torch thread: the shared machine's
load inflates wall time, not CPU time) and wall seconds per epoch, and the ratio to the
plain MLP's CPU time.

Run (the current code, then the code before batching from its commit)::

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/medl_speed.py --label batched
    git archive 161b2c8 src | tar -x -C /tmp/medl_unbatched
    OMP_NUM_THREADS=1 PYTHONPATH=/tmp/medl_unbatched/src nice -n 10 .venv/bin/python \\
        benchmarks/medl_speed.py --label unbatched

Each run replaces its label's rows in benchmarks/results/medl_speed.csv.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.preprocessing import StandardScaler

import fairpool as fp

try:  # run as a script (benchmarks/ on sys.path) or imported as benchmarks.medl_speed
    import medl
except ImportError:  # pragma: no cover - the package import path
    from benchmarks import medl

RESULTS = Path(__file__).parent / "results"
MODELS = {
    "plain_mlp": {"mixed_effects": False, "cluster_adversary_weight": 0.0},
    "medl": {},
    "fair_medl": {"fairness": True},
}


def time_models(repeats: int = 3, adult_rows: int = 8000) -> pd.DataFrame:
    """Median CPU and wall seconds per epoch of each model; shape (len(MODELS), 5)."""
    X, y, clusters, sensitive = medl.load("adult", adult_rows, seed=0)
    train, _ = medl.splits(clusters, 0)["seen"]
    Xs = StandardScaler().fit_transform(X[train])
    data = {"X": Xs, "y": y[train], "clusters": clusters[train],
            "sensitive_features": sensitive.iloc[train].reset_index(drop=True)}

    def fit(options: dict) -> tuple[float, float, int]:
        model = fp.learners.MEDLClassifier(hidden_layer_sizes=medl.HIDDEN, random_state=0,
                                           device="cpu", **options)
        cpu, wall = time.process_time(), time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            model.fit(data["X"], data["y"], clusters=data["clusters"],
                      sensitive_features=data["sensitive_features"])
        return time.process_time() - cpu, time.perf_counter() - wall, model.n_epochs_

    fit(MODELS["fair_medl"])  # warm-up: torch's first calls are slow
    rows = []
    for name, options in MODELS.items():
        runs = [fit(options) for _ in range(repeats)]
        rows.append({"model": name, "rows": Xs.shape[0], "epochs": runs[0][2],
                     "cpu_s_per_epoch": float(np.median([r[0] / r[2] for r in runs])),
                     "wall_s_per_epoch": float(np.median([r[1] / r[2] for r in runs]))})
    table = pd.DataFrame(rows)
    plain = table.loc[table["model"] == "plain_mlp", "cpu_s_per_epoch"].iloc[0]
    return table.assign(cpu_ratio=table["cpu_s_per_epoch"] / plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", required=True, help="e.g. batched / unbatched")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    table = time_models(args.repeats).assign(label=args.label)
    path = RESULTS / "medl_speed.csv"
    if path.exists():
        old = pd.read_csv(path)
        table = pd.concat([old[old["label"] != args.label], table], ignore_index=True)
    RESULTS.mkdir(exist_ok=True)
    table.to_csv(path, index=False)
    print(table.round(4).to_string(index=False))


if __name__ == "__main__":
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
