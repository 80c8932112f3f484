"""SHAP explanations per group on Adult and 1000 Genomes, and what the explainers cost.

For each dataset a logistic regression (standardised, scikit-learn) and XGBoost
(fairpool's ``xgboost`` learner) are fitted on 70 % of the rows (split stratified by
group and label, seed 0) and explained on the other 30 % with
:func:`fairpool.audit.explain_by_group`: mean ``|SHAP|`` per feature per group and the
share of it on the sensitive attribute's own columns and on its proxies (the
dataset's causal graph: on Adult marital status, relationship, occupation and hours
worked; on genomes1000 every SNP but the causal ones).

The cost: seconds to explain the test rows with LinearExplainer / TreeExplainer,
against shap's model-agnostic KernelExplainer on the same model measured in the same
run on a few rows (50 k-means background rows, shap's default number of coalitions),
reported per 1,000 rows, with the ratio::

    nice -n 10 python benchmarks/explain_by_group.py

Writes ``benchmarks/results/explain_by_group/explain_by_group.csv`` (shares per
dataset, model and group), ``benchmarks/results/explain_by_group/explain_timing.csv`` and
``docs/figures/explain_<dataset>_<model>.png``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

if __name__ == "__main__":  # as a script only: importing it must not change the caller's env
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fairpool as fp

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "explain_by_group"
FIGURES = ROOT / "docs" / "figures"
KERNEL_ROWS = 5


def _models() -> dict[str, object]:
    return {
        "logreg": make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        "xgboost": fp.learners.make_learner("xgboost", random_state=0),
    }


def _kernel_seconds_per_row(model: object, X_train: np.ndarray, X_test: np.ndarray) -> float:
    import shap

    background = shap.kmeans(X_train, 50)
    explainer = shap.KernelExplainer(lambda rows: model.predict_proba(rows)[:, 1], background)
    start = time.perf_counter()
    explainer.shap_values(X_test[:KERNEL_ROWS], silent=True)
    return (time.perf_counter() - start) / KERNEL_ROWS


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shares, timing = [], []
    FIGURES.mkdir(parents=True, exist_ok=True)
    for name in ("adult", "genomes1000"):
        ds = fp.datasets.load(name)
        train, test = fp.audit.mitigation_split(ds.groups, ds.y, test_size=0.3, seed=0)
        for model_name, model in _models().items():
            model.fit(ds.X[train], ds.y[train])
            start = time.perf_counter()
            ex = fp.audit.explain_by_group(model, ds.subset(test))
            seconds = time.perf_counter() - start
            kernel = _kernel_seconds_per_row(model, ds.X[train], ds.X[test])
            timing.append({"dataset": name, "model": model_name, "explainer": ex.explainer,
                           "rows": len(test), "seconds": seconds,
                           "seconds_per_1000_rows": 1000 * seconds / len(test),
                           "kernel_seconds_per_1000_rows": 1000 * kernel,
                           "kernel_over_fairpool": kernel * len(test) / seconds})
            table = ex.shares.reset_index()
            table.insert(0, "model", model_name)
            table.insert(0, "dataset", name)
            table["top_feature"] = [ex.importance[g].idxmax() for g in table["group"]]
            shares.append(table)
            fig = ex.plot(top=12, path=FIGURES / f"explain_{name}_{model_name}.png")
            plt.close(fig)
            print(f"{name} {model_name}: explained {len(test)} rows in {seconds:.2f} s", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    shares_frame = pd.concat(shares, ignore_index=True)
    timing_frame = pd.DataFrame(timing)
    shares_frame.to_csv(RESULTS / "explain_by_group.csv", index=False)
    timing_frame.to_csv(RESULTS / "explain_timing.csv", index=False)
    with pd.option_context("display.width", 160):
        print(shares_frame.round(4).to_string(index=False))
        print(timing_frame.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
