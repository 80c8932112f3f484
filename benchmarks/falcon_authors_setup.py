"""fairpool's Falcon beside the authors' Falcon on the authors' own COMPAS set-up.

Tae, Zhang, Park, Rong, Whang, "Falcon: Fair Active Learning using Multi-armed
Bandits", PVLDB 17(5), 2024; public code github.com/khtae8250/Falcon (``src/``,
``demos/Baseline_Comparison.ipynb``). Their COMPAS experiment, rebuilt here from
reading that code (no line of it is copied):

* **features** — AIF360's ``StandardDataset`` over the ProPublica file with
  ``CompasDataset``'s row filter, label ``two_year_recid`` (kept numeric: 1 =
  re-arrested), sensitive attribute ``sex`` (1 = Female), one-hot ``age_cat``,
  ``c_charge_degree``, ``c_charge_desc`` and ``race``: 6,167 rows x 406 columns;
  only ``age`` is standardised, once, over all rows;
* **splits** — the rows are shuffled with NumPy's legacy generator seeded with the
  seed; each (sex, label) cell gives, in that order, fixed counts to the initial
  set, the test set, the pool and the validation set (per 294 rows: 86 male
  non-recidivists, 158 male recidivists, 37 female non-recidivists, 13 female
  recidivists; test 4x, pool 8x, validation 1x), and each part is then shuffled
  again with the same seed;
* **loop** — logistic regression (lbfgs, C = 1, scikit-learn's default 100
  iterations) on the raw columns, one label per round, 200 rounds, seeds 1-3.

With ``--authors-src`` pointing at a checkout of the authors' ``src/`` directory
their own ``Combined`` Falcon (λ = 1, policies r = 0.7 ... 0.3) runs on each split,
and their ``generate_dataset`` is checked to give exactly the rows built here.
fairpool's ``falcon`` (``mix=1``) runs through ``fairpool.active.run`` on the same
rows in the same order, in the variants listed in :data:`VARIANTS`. The script
writes one CSV row per (method, seed) and a markdown summary.

Usage::

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/falcon_authors_setup.py \\
        [--compas compas-scores-two-years.csv.gz] [--authors-src /tmp/falcon_authors/src]
        [--seeds 1 2 3] [--out benchmarks/results/falcon_authors_setup]

AIF360 does the preprocessing; pandas 3 string columns are turned back into object
columns first because AIF360 0.6.1 cannot read pandas' string dtype.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
import types
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import fairpool as fp

#: Per (sex code, label) cell, in the authors' order (0 = Male, 1 = Female; label 1 =
#: re-arrested), the rows each part takes: initial, test, pool, validation.
CELL_ORDER = ((0, 0), (0, 1), (1, 0), (1, 1))
PART_COUNTS = {
    "initial": (86, 158, 37, 13),
    "test": (344, 632, 150, 52),
    "pool": (688, 1264, 300, 104),
    "validation": (86, 158, 37, 13),
}
BUDGET = 200
#: ProPublica's raw file as fairpool ships it (the one AIF360's CompasDataset reads).
VENDORED_COMPAS = (
    Path(fp.__file__).parent / "datasets" / "files" / "compas" / "compas-scores-two-years.csv.gz"
)
AUTHORS = "authors' Falcon (λ = 1)"
POLICY_SET = ("r=0.7", "r=0.6", "r=0.5", "r=0.4", "r=0.3")

#: fairpool variants: label -> (strategy options, learner options, standardize).
VARIANTS: dict[str, tuple[dict[str, Any], dict[str, Any], bool]] = {
    "fairpool falcon, loop defaults": ({"mix": 1.0}, {}, True),
    "fairpool falcon, authors' learner": ({"mix": 1.0}, {"max_iter": 100}, False),
    # gamma = 1: policies drawn uniformly, as the authors' bandit plays its first 100 labels
    "fairpool falcon, authors' learner, uniform arms": (
        {"mix": 1.0, "gamma": 1.0}, {"max_iter": 100}, False),
}


def authors_compas(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """COMPAS as the authors' ``load_dataset("COMPAS")`` builds it.

    Returns
    -------
    X : ndarray of shape (6167, 406), float64
    y : ndarray of shape (6167,), int64 (1 = re-arrested within two years)
    z : ndarray of shape (6167,), int64 (0 = Male, 1 = Female)
    feature_names : list of str
    """
    from aif360.datasets import StandardDataset
    from aif360.datasets.compas_dataset import default_preprocessing

    frame = pd.read_csv(path, index_col="id", na_values=[])
    strings = [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c])]
    frame = frame.astype(dict.fromkeys(strings, object))
    with contextlib.redirect_stderr(None):
        data = StandardDataset(
            df=frame, label_name="two_year_recid", favorable_classes=[0],
            protected_attribute_names=["sex"], privileged_classes=[["Female"]],
            categorical_features=["age_cat", "c_charge_degree", "c_charge_desc", "race"],
            features_to_keep=["sex", "age", "age_cat", "race", "juv_fel_count",
                              "juv_misd_count", "juv_other_count", "priors_count",
                              "c_charge_degree", "c_charge_desc", "two_year_recid"],
            features_to_drop=[], na_values=[], custom_preprocessing=default_preprocessing,
        )
    X = np.array(data.features, dtype=np.float64)
    names = list(data.feature_names)
    age = names.index("age")
    X[:, age : age + 1] = StandardScaler().fit_transform(X[:, age : age + 1])
    z = X[:, names.index("sex")].astype(np.int64)
    return X, data.labels.ravel().astype(np.int64), z, names


def _legacy_shuffle(n: int, seed: int) -> np.ndarray:
    """``np.random.seed(seed); np.random.shuffle(arange(n))`` without touching the global state."""
    order = np.arange(n)
    np.random.RandomState(seed).shuffle(order)
    return order


def authors_split(y: np.ndarray, z: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Row positions of each part, in the order the authors' ``generate_dataset`` returns them."""
    order = _legacy_shuffle(y.shape[0], seed)
    ys, zs = y[order], z[order]
    parts: dict[str, list[np.ndarray]] = {name: [] for name in PART_COUNTS}
    for cell, (group, label) in enumerate(CELL_ORDER):
        rows = order[(zs == group) & (ys == label)]
        start = 0
        for name, counts in PART_COUNTS.items():
            parts[name].append(rows[start : start + counts[cell]])
            start += counts[cell]
    out = {}
    for name, chunks in parts.items():
        rows = np.concatenate(chunks)
        out[name] = rows[_legacy_shuffle(rows.shape[0], seed)]
    return out


def _dp_and_accuracy(
    model: Any, X: np.ndarray, y: np.ndarray, z: np.ndarray
) -> tuple[float, float]:
    pred = model.predict(X)
    rates = [float(np.mean(pred[z == g] == 1)) for g in (0, 1)]
    return abs(rates[0] - rates[1]), float(np.mean(pred == y))


def _import_authors(src: Path) -> types.SimpleNamespace:
    """The authors' ``utils`` and ``falcon`` modules (folktables stubbed: COMPAS never uses it)."""
    if "folktables" not in sys.modules:
        stub = types.ModuleType("folktables")
        for name in ("ACSDataSource", "generate_categories", "ACSTravelTime",
                     "ACSEmployment", "ACSIncome"):
            setattr(stub, name, None)
        sys.modules["folktables"] = stub
    sys.path.insert(0, str(src))
    import falcon as authors_falcon  # type: ignore[import-not-found]
    import utils as authors_utils  # type: ignore[import-not-found]

    return types.SimpleNamespace(utils=authors_utils, falcon=authors_falcon)


def run_authors(mod: types.SimpleNamespace, X, y, z, seed: int, split) -> dict[str, Any]:
    """The authors' Falcon (λ = 1) as their notebook runs it, on one seed."""
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (their code draws from NumPy's global state)
    counts = [list(PART_COUNTS[p]) for p in ("initial", "test", "pool", "validation")]
    (x_tr, y_tr, z_tr, x_te, y_te, z_te, x_un, y_un, z_un, x_va, y_va, z_va) = (
        mod.utils.generate_dataset(X, y, z, *counts, seed)
    )
    for name, mine in (("initial", x_tr), ("test", x_te), ("pool", x_un), ("validation", x_va)):
        if not np.array_equal(X[split[name]], mine):
            raise AssertionError(f"authors' {name} part differs from authors_split's")
    start = time.perf_counter()
    comb = mod.falcon.Combined(x_tr, y_tr, z_tr, x_un, y_un, z_un, x_va, y_va, z_va,
                               list(POLICY_SET), 1.0, "DP", "lr")
    model = mod.utils.model_training(x_tr, y_tr, x_va, y_va, "lr")
    dp0, acc0 = _dp_and_accuracy(model, x_te, y_te, z_te)
    _, targets = mod.utils.fairness_metrics(model, x_va, y_va, z_va, "DP")
    for _ in range(BUDGET):
        model = comb.make_query(model, targets, 1)
        _, targets = mod.utils.fairness_metrics(model, x_va, y_va, z_va, "DP")
    dp, acc = _dp_and_accuracy(model, x_te, y_te, z_te)
    trained = comb.train_label.shape[0] - y_tr.shape[0]
    gammas = [float(mab.gamma) for mab in comb.falcon.mabs.values()]
    return {"dp_before": dp0, "accuracy_before": acc0, "dp_final": dp,
            "accuracy_final": acc, "gamma_final": min(gammas), "trained_on": trained,
            "seconds": time.perf_counter() - start}


def run_fairpool(X, y, z, names, seed: int, split, options, learner_options, standardize):
    """fairpool's ``falcon`` through ``fp.active.run`` on the same rows in the same order."""
    order = np.concatenate([split[p] for p in ("initial", "pool", "test", "validation")])
    sizes = np.cumsum([0] + [split[p].shape[0] for p in ("initial", "pool", "test", "validation")])
    ds = fp.datasets.Dataset(X=X[order], y=y[order], groups=z[order],
                             group_names=("Male", "Female"), feature_names=tuple(names),
                             name="compas_aif360")
    positions = {p: np.arange(sizes[i], sizes[i + 1])
                 for i, p in enumerate(("initial", "pool", "test", "validation"))}
    start = time.perf_counter()
    history = fp.active.run(ds, "falcon", "logreg", budget=BUDGET, batch_size=1, seed=seed,
                            split=positions, metrics=["accuracy", "demographic_parity"],
                            strategy_options=options, learner_options=learner_options,
                            standardize=standardize)
    frame = history.frame
    postponed = float(frame["strategy_postponed"].iloc[2:].fillna(0).sum())
    return {"dp_before": float(frame["demographic_parity"].iloc[0]),
            "accuracy_before": float(frame["accuracy"].iloc[0]),
            "dp_final": float(frame["demographic_parity"].iloc[-1]),
            "accuracy_final": float(frame["accuracy"].iloc[-1]),
            "trained_on": BUDGET - postponed, "seconds": time.perf_counter() - start}


def summary(results: pd.DataFrame) -> str:
    """Markdown tables: mean ± sd (ddof 1) over seeds per method, the per-seed DP, and
    each fairpool variant's final DP minus the authors' on the same seed."""
    lines = ["| method | DP before | DP at B = 200 | accuracy at B = 200 | per-seed DP "
             "| labels trained on |", "|---|---|---|---|---|---|"]
    for method, rows in results.groupby("method", sort=False):
        def ms(col: str, rows: pd.DataFrame = rows) -> str:
            return f"{rows[col].mean():.3f} ± {rows[col].std(ddof=1):.3f}"
        per_seed = ", ".join(f"{v:.3f}" for v in rows["dp_final"])
        lines.append(f"| {method} | {ms('dp_before')} | {ms('dp_final')} | "
                     f"{ms('accuracy_final')} | {per_seed} | {rows['trained_on'].mean():.0f} |")
    if AUTHORS in set(results["method"]):
        # paired by seed (same split): fairpool's final DP minus the authors'
        base = results[results["method"] == AUTHORS].set_index("seed")["dp_final"]
        lines += ["", "| method | final DP minus the authors' (paired by seed) |", "|---|---|"]
        for method, rows in results.groupby("method", sort=False):
            if method != AUTHORS:
                diff = rows.set_index("seed")["dp_final"] - base
                lines.append(f"| {method} | {diff.mean():+.3f} ± {diff.std(ddof=1):.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run every method on every seed, write the CSV and the markdown summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compas", type=Path, default=VENDORED_COMPAS,
                        help="ProPublica's compas-scores-two-years.csv(.gz) (default: fairpool's)")
    parser.add_argument("--authors-src", type=Path, default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--out", type=Path,
                        default=Path("benchmarks/results/falcon_authors_setup"))
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y, z, names = authors_compas(args.compas)
    mod = _import_authors(args.authors_src) if args.authors_src else None
    rows = []
    jobs: list[tuple[str, Callable[..., dict[str, Any]]]] = []
    if mod is not None:
        jobs.append((AUTHORS, lambda s, sp: run_authors(mod, X, y, z, s, sp)))
    for label in args.variants:
        opts, lopts, std = VARIANTS[label]
        jobs.append((label, lambda s, sp, o=opts, lo=lopts, st=std:
                     run_fairpool(X, y, z, names, s, sp, o, lo, st)))
    for label, job in jobs:
        for seed in args.seeds:
            split = authors_split(y, z, seed)
            row = {"method": label, "seed": seed, **job(seed, split)}
            print(f"{label:45s} seed {seed}: DP {row['dp_before']:.3f} -> {row['dp_final']:.3f}, "
                  f"acc {row['accuracy_final']:.3f} ({row['seconds']:.0f} s)", flush=True)
            rows.append(row)
    results = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    results.to_csv(args.out / "falcon_authors_setup.csv", index=False)
    table = summary(results)
    (args.out / "falcon_authors_setup.md").write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
