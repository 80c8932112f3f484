"""The bias signature of genomes1000: what a model trained on the recorded labels misses.

For each seed, ``fairpool.datasets.load("genomes1000", seed=seed)`` (data seed = split
seed = model seed), the FACA-GEN split (80/20: 2,003 training rows, 501 test rows) and
XGBoost (``tree_method="hist"``, default parameters, one thread) fitted on the
*recorded* labels of the training part. On the test part: the demographic-parity gap
(max − min positive-prediction rate over the five superpopulations) and the
true-positive rate against the true status ``y_true`` and against the recorded ``y``,
pooled over the under-diagnosed groups (AFR, SAS) and over the others
(docs/datasets.md, "The bias signature").

Writes ``DIR/genomes1000_signature.csv`` (one row per seed) with ``--out DIR``::

    nice -n 10 python benchmarks/genomes1000_signature.py --seeds 10 --out DIR
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # as a script only: importing it must not change the caller's env
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from xgboost import XGBClassifier  # noqa: E402

import fairpool as fp  # noqa: E402

#: The groups whose true cases the generator under-records (datasets.md, step 5).
UNDER_DIAGNOSED = ("AFR", "SAS")


def signature(seed: int) -> dict[str, float]:
    """The bias signature of one seed.

    Returns ``seed``, ``demographic_parity`` (max − min over the five groups of the
    test positive-prediction rate, via ``fairpool.metrics``), ``tpr_true_afr_sas`` /
    ``tpr_true_others`` (share of true cases, ``y_true = 1``, predicted positive, pooled
    over AFR and SAS / over AMR, EAS and EUR), ``tpr_recorded_afr_sas`` /
    ``tpr_recorded_others`` (the same against the recorded ``y``), and the smallest and
    largest per-group TPR against ``y_true`` within each side
    (``tpr_true_min_afr_sas``, ``tpr_true_max_afr_sas``, ``tpr_true_min_others``,
    ``tpr_true_max_others``).
    """
    ds = fp.datasets.load("genomes1000", seed=seed)
    parts = fp.datasets.split(ds, "facagen", seed=seed)
    train, test = parts["train"], parts["test"]
    model = XGBClassifier(tree_method="hist", n_jobs=1, random_state=seed)
    pred = model.fit(train.X, train.y).predict(test.X)
    codes = [test.group_names.index(name) for name in UNDER_DIAGNOSED]
    under = np.isin(test.groups, codes)
    true_case, recorded_case = test.y_true == 1, test.y == 1
    per_group = {g: float(pred[(test.groups == g) & true_case].mean())
                 for g in range(len(test.group_names))}
    under_tpr = [per_group[g] for g in codes]
    other_tpr = [v for g, v in per_group.items() if g not in codes]
    return {
        "seed": seed,
        "n_train": len(train.y), "n_test": len(test.y),
        "demographic_parity": fp.metrics.demographic_parity_difference(
            test.y, pred, sensitive_features=test.groups),
        "tpr_true_afr_sas": float(pred[under & true_case].mean()),
        "tpr_true_others": float(pred[~under & true_case].mean()),
        "tpr_recorded_afr_sas": float(pred[under & recorded_case].mean()),
        "tpr_recorded_others": float(pred[~under & recorded_case].mean()),
        "tpr_true_min_afr_sas": min(under_tpr), "tpr_true_max_afr_sas": max(under_tpr),
        "tpr_true_min_others": min(other_tpr), "tpr_true_max_others": max(other_tpr),
    }


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Run the seeds, print them and write them with ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0 .. N-1")
    parser.add_argument("--out", type=Path, help="write genomes1000_signature.csv there")
    args = parser.parse_args(argv)
    frame = pd.DataFrame([signature(seed) for seed in range(args.seeds)])
    print(frame.round(3).to_string(index=False))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        frame.to_csv(args.out / "genomes1000_signature.csv", index=False)
    return frame


if __name__ == "__main__":
    main()
