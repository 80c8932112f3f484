"""Fair MEDL and its ablations on clustered data: Adult (occupation), HSB82 and STAR (schools).

Issue 15's evidence, after Wang, Nguyen & Montillo (arXiv 2310.03146), whose headline
is a cut of up to 82 / 43 / 86 / 27 % (age / race / sex / marital status) in the spread
across groups, against the same network without the fairness adversaries. Rows, all on
the same rows of a seed and the same FE architecture (64, 32) and training loop:

- ``plain_mlp``: ``MEDLClassifier(mixed_effects=False, cluster_adversary_weight=0)``, an
  MLP trained by the same mini-batch loop (the time reference);
- ``fe_adversary``: the FE net with its cluster adversary (``mixed_effects=False``);
- ``medl``: ARMED (FE + cluster adversary + random effects), no fairness adversaries;
- ``fair_medl``: ``fairness=True``, one FE and one ME adversary per sensitive variable;
- ``reduction``: fairlearn's exponentiated gradient around a plain MLP of the same
  widths. Adult: equalized odds on sex around fairpool's torch MLP
  (``FairReductionClassifier``). HSB82 and STAR: bounded group loss
  (``fairlearn.reductions.BoundedGroupLoss`` with ``SquareLoss`` over the training
  target's range; Agarwal, Dudik & Wu, "Fair Regression", ICML 2019) on the groups of
  both sensitive variables crossed, around scikit-learn's ``MLPRegressor`` (standardised
  target), with the bound set to that MLP's own training MSE: no group's loss above
  the unconstrained model's average (:class:`BoundedGroupLossReduction`). Its
  predictions are fairlearn's randomised ``predict`` with a fixed ``random_state``.

Two splits per seed: ``seen`` (30 % of the rows held out at random; their clusters are
in training) and ``unseen`` (30 % of the clusters held out whole; their rows get the FE
prediction, the ME head equals the FE head). Metrics on the held-out rows per head (FE,
RE, ME; the RE head is ``mean FE + random effects``, seen split only): accuracy and
AUROC, or MSE; per sensitive variable the standard deviation across its groups of the
TPR and of the FPR (classification) or of the per-group MSE (regression), groups of
fewer than 20 test rows left out; for regression also ``eo_sd``, the spread across
groups of the mean prediction within quintile bins of the target
(:func:`conditional_mean_spread`: what the equalized-odds adversaries act on).
``relative cut`` = 1 - spread(fair_medl) / spread(medl), the paper's measure, on the
mean spreads over seeds. Time per epoch is the fit's CPU time (one torch thread) over
the epochs run, as a ratio to ``plain_mlp``'s in the same seed and split; one untimed
warm-up fit comes first (torch's first calls are slow).

Adult is subsampled to ``--adult-rows`` rows (seeded) to fit the time budget; its
sensitive variables are age bucket (<25, 25-44, 45-64, 65+), race, sex and marital
status (the loader's intersectional groups split back into the four variables). HSB82
and STAR are regressions of the score; their sensitive variables are sex and minority
(HSB82) or sex and ethnicity (STAR), read from the encoded features.

Weights: per data set those ``benchmarks/medl_tune.py`` chose (:data:`TUNED`; the paper
tunes per data set); ``--defaults`` runs the estimators' defaults instead.

Run:  OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/medl.py [--seeds 5]
      [--adult-rows 8000]
``--datasets`` and ``--runs-file`` split the work over processes; ``--summarise FILES``
joins their per-seed files (each written after every dataset and seed, so a stopped run
keeps what it finished) into the summaries; ``--markdown`` prints docs/medl.md's
tables from the summaries. Writes benchmarks/results/medl.csv (one row per dataset,
split, model, head, metric: mean and sd over seeds), benchmarks/results/medl_runs.csv
(every seed) and benchmarks/results/medl_cuts.csv (the relative cuts), and prints the
tables.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from fairlearn.reductions import BoundedGroupLoss, ExponentiatedGradient, SquareLoss
from scipy.special import expit
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

import fairpool as fp

RESULTS = Path(__file__).parent / "results"
PAPER_CUTS = {"age": 82, "race": 43, "sex": 86, "marital_status": 27}
MIN_GROUP = 20
HIDDEN = (64, 32)


def _adult(rows: int, seed: int):
    ds = fp.datasets.load("adult", clusters="occupation",
                          sensitive=["age", "race", "sex", "marital_status"])
    pick = np.random.default_rng(seed).choice(ds.n_samples, min(rows, ds.n_samples),
                                              replace=False)
    ds = ds.subset(pick)
    parts = [str(ds.group_names[g]).split("|") for g in ds.groups]
    sensitive = pd.DataFrame(parts, columns=["age", "race", "sex", "marital_status"])
    return ds.X.astype(np.float64), np.asarray(ds.y), np.asarray(ds.clusters), sensitive


def _school(name: str, second: str):
    ds = fp.datasets.load(name)
    names = list(ds.feature_names)
    sensitive = pd.DataFrame({"sex": np.asarray(ds.group_names)[ds.groups]})
    if second == "minority":
        sensitive["minority"] = ds.X[:, names.index("minority=Yes")].astype(int)
    else:
        cols = [c for c in names if c.startswith("ethnicity=")]
        sensitive["ethnicity"] = np.array(cols)[ds.X[:, [names.index(c) for c in cols]]
                                                .argmax(axis=1)]
    return ds.X.astype(np.float64), np.asarray(ds.y, dtype=np.float64), \
        np.asarray(ds.clusters), sensitive


TASKS = {"adult": "classification", "hsb82": "regression", "star": "regression"}
#: The weights ``benchmarks/medl_tune.py`` chose per data set (its ``chosen`` rows in
#: benchmarks/results/medl_tuning_<dataset>.csv; a test keeps the two equal). The
#: cluster adversary's weight applies to every row that has one (``fe_adversary``,
#: ``medl``, ``fair_medl``), so Fair MEDL is compared with the same network without
#: its fairness adversaries; the fairness weight to ``fair_medl``.
TUNED: dict[str, dict[str, float]] = {
    "adult": {"cluster_adversary_weight": 0.3, "fairness_weight": 0.3},
    "hsb82": {"cluster_adversary_weight": 0.03, "fairness_weight": 0.3},
    "star": {"cluster_adversary_weight": 1.0, "fairness_weight": 0.3},
}


def load(name: str, adult_rows: int, seed: int):
    """One data set's ``(X, y, clusters, sensitive)`` (Adult subsampled with ``seed``)."""
    if name == "adult":
        return _adult(adult_rows, seed)
    return _school(name, "minority" if name == "hsb82" else "ethnicity")


def splits(clusters: np.ndarray, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The seen split (30 % of rows held out) and the unseen one (30 % of clusters)."""
    rng = np.random.default_rng(seed)
    n = clusters.shape[0]
    order = rng.permutation(n)
    cut = int(0.3 * n)
    ids = np.unique(clusters)
    held = rng.choice(ids, max(1, int(round(0.3 * len(ids)))), replace=False)
    unseen = np.isin(clusters, held)
    return {"seen": (order[cut:], order[:cut]),
            "unseen": (np.flatnonzero(~unseen), np.flatnonzero(unseen))}


class BoundedGroupLossReduction:
    """fairlearn's exponentiated gradient under bounded group loss around an MLP regressor.

    The regression counterpart of the Adult row's equalized-odds reduction (Agarwal,
    Dudik & Wu, "Fair Regression: Quantitative Definitions and Reduction-based
    Algorithms", ICML 2019, section 2: bounded group loss). The base learner is
    ``MLPRegressor(hidden_layer_sizes, max_iter=base_iter)`` on the standardised target
    (``TransformedTargetRegressor``; both pass fairlearn's ``sample_weight`` on). ``fit``
    first fits that base learner unconstrained and takes its training MSE as the bound
    ``zeta`` of every group's mean square loss (``SquareLoss`` clipped to the training
    target's range); fairlearn's ``ExponentiatedGradient`` then finds the randomised
    regressor that minimises the overall loss subject to the bound (up to ``eps``).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
    max_iter : int
        Exponentiated-gradient iterations (fairlearn's ``max_iter``).
    base_iter : int
        Epochs of each ``MLPRegressor`` fit.
    random_state : int
        Seeds the base learner and fairlearn's randomised ``predict``.

    Attributes
    ----------
    upper_bound_ : float
        ``zeta``, in squared target units.
    reduction_ : fairlearn.reductions.ExponentiatedGradient
    """

    def __init__(self, hidden_layer_sizes: tuple[int, ...] = HIDDEN, max_iter: int = 20,
                 base_iter: int = 50, random_state: int = 0) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.max_iter = max_iter
        self.base_iter = base_iter
        self.random_state = random_state

    def base(self) -> TransformedTargetRegressor:
        """The unfitted base learner."""
        return TransformedTargetRegressor(
            regressor=MLPRegressor(hidden_layer_sizes=self.hidden_layer_sizes,
                                   max_iter=self.base_iter, random_state=self.random_state),
            transformer=StandardScaler())

    def fit(self, X: np.ndarray, y: np.ndarray, *, sensitive_features) -> BoundedGroupLossReduction:
        """Fit under ``max over groups of MSE_g <= zeta``.

        Parameters
        ----------
        X : ndarray of shape (n, d)
        y : ndarray of shape (n,)
        sensitive_features : array-like or DataFrame of shape (n,) or (n, k)
            Groups (fairlearn crosses a DataFrame's columns).

        Returns
        -------
        self
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            plain = clone(self.base()).fit(X, y)
            self.upper_bound_ = float(np.mean((y - plain.predict(X)) ** 2))
            loss = SquareLoss(float(np.min(y)), float(np.max(y)))
            self.reduction_ = ExponentiatedGradient(
                self.base(), BoundedGroupLoss(loss, upper_bound=self.upper_bound_),
                max_iter=self.max_iter)
            self.reduction_.fit(X, y, sensitive_features=sensitive_features)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """fairlearn's randomised prediction, drawn with ``random_state``: shape (n,)."""
        return np.asarray(self.reduction_.predict(X, random_state=self.random_state),
                          dtype=np.float64)


def _models(name: str, seed: int, tuned: bool = True) -> dict[str, object]:
    """The rows of the table for data set ``name``; ``tuned``: :data:`TUNED`'s weights."""
    task = TASKS[name]
    cls = fp.learners.MEDLClassifier if task == "classification" else fp.learners.MEDLRegressor
    common = {"hidden_layer_sizes": HIDDEN, "random_state": seed}
    weights = dict(TUNED[name]) if tuned else {}
    cluster = {k: v for k, v in weights.items() if k == "cluster_adversary_weight"}
    models = {
        "plain_mlp": cls(mixed_effects=False, cluster_adversary_weight=0.0, **common),
        "fe_adversary": cls(mixed_effects=False, **cluster, **common),
        "medl": cls(**cluster, **common),
        "fair_medl": cls(fairness=True, **weights, **common),
    }
    if task == "classification":
        base = fp.learners.TorchMLPClassifier(hidden_layer_sizes=HIDDEN, max_iter=200,
                                              random_state=seed)
        models["reduction"] = fp.learners.FairReductionClassifier(
            base, constraint="equalized_odds", max_iter=20, random_state=seed)
    else:
        models["reduction"] = BoundedGroupLossReduction(HIDDEN, random_state=seed)
    return models


def conditional_mean_spread(y: np.ndarray, pred: np.ndarray, groups: np.ndarray,
                            bins: int = 5, min_rows: int = 5) -> float:
    """How far a regression is from equalized odds: the prediction's spread across groups
    at a given target.

    The rows are cut into ``bins`` quantile bins of ``y``; in each bin, the standard
    deviation across groups (of at least ``min_rows`` rows there) of the mean
    prediction; averaged over the bins weighted by their rows. 0 when the mean
    prediction given the (binned) target does not depend on the group, which is what
    Fair MEDL's adversary reading ``(prediction, y)`` asks for (``Y_hat`` independent of
    the group given ``Y``, in its first moment).

    Parameters
    ----------
    y, pred : ndarray of shape (n,)
    groups : ndarray of shape (n,)
    bins, min_rows : int

    Returns
    -------
    float
        NaN when no bin holds two groups.
    """
    edges = np.quantile(y, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    which = np.digitize(y, edges)
    spreads, sizes = [], []
    for k in range(bins):
        in_bin = which == k
        means = [pred[in_bin & (groups == g)].mean() for g in np.unique(groups[in_bin])
                 if np.sum(in_bin & (groups == g)) >= min_rows]
        if len(means) >= 2:
            spreads.append(float(np.std(means)))
            sizes.append(int(in_bin.sum()))
    return float(np.average(spreads, weights=sizes)) if spreads else float("nan")


def _spreads(task: str, y: np.ndarray, score: np.ndarray, sensitive: pd.DataFrame) -> dict:
    out = {}
    for column in sensitive.columns:
        groups = sensitive[column].to_numpy()
        values, counts = np.unique(groups, return_counts=True)
        keep = np.isin(groups, values[counts >= MIN_GROUP])
        if len(values[counts >= MIN_GROUP]) < 2:
            continue
        g, yt, s = groups[keep], y[keep], score[keep]
        if task == "classification":
            pred = (s > 0.5).astype(int)
            for rate in ("tpr", "fpr"):
                r = fp.metrics.rate_by_group(yt, pred, sensitive_features=g, rate=rate)
                out[f"{rate}_sd:{column}"] = float(np.nanstd(r.to_numpy(dtype=float)))
        else:
            out[f"mse_sd:{column}"] = float(fp.metrics.regression_error_std(
                yt, s, sensitive_features=g))
            out[f"eo_sd:{column}"] = conditional_mean_spread(yt, s, g)
    return out


def _scores(task: str, y: np.ndarray, score: np.ndarray) -> dict:
    if task == "classification":
        return {"accuracy": float(np.mean((score > 0.5) == y)),
                "auroc": float(roc_auc_score(y, score))}
    return {"mse": float(np.mean((score - y) ** 2))}


def _heads(task: str, model, X: np.ndarray, clusters: np.ndarray, split: str) -> dict:
    if not hasattr(model, "decompose"):  # the fairlearn reduction: one output
        if task == "classification":
            return {"ME": model.predict_proba(X)[:, 1]}
        return {"ME": model.predict(X)}
    parts = model.decompose(X, clusters)
    link = expit if task == "classification" else (lambda v: v)
    heads = {"FE": link(parts.fixed), "ME": link(parts.mixed)}
    if model.mixed_effects and split == "seen":
        heads["RE"] = link(parts.random_head)
    return heads


def run(seeds: range, adult_rows: int, names: list[str], runs_file: Path,
        tuned: bool = True) -> pd.DataFrame:
    torch.set_num_threads(1)
    warm = np.random.default_rng(0)  # torch's first calls are slow: an untimed fit first
    fp.learners.MEDLClassifier(fairness=True, epochs=1, min_steps=0, device="cpu").fit(
        warm.normal(size=(64, 3)), np.arange(64) % 2, clusters=np.arange(64) % 4,
        sensitive_features=np.arange(64) % 3 // 2)
    rows = []
    for name, task in TASKS.items():
        if name not in names:
            continue
        for seed in seeds:
            X, y, clusters, sensitive = load(name, adult_rows, seed)
            for split, (train, test) in splits(clusters, seed).items():
                scaler = StandardScaler().fit(X[train])
                Xtr, Xte = scaler.transform(X[train]), scaler.transform(X[test])
                plain_epoch = np.nan
                for label, model in _models(name, seed, tuned).items():
                    start, cpu = time.perf_counter(), time.process_time()
                    if label == "reduction" and task == "classification":
                        model.fit(Xtr, y[train], sensitive_features=sensitive["sex"]
                                  .to_numpy()[train])
                    elif label == "reduction":
                        model.fit(Xtr, y[train], sensitive_features=sensitive.iloc[train]
                                  .reset_index(drop=True))
                    else:
                        model.fit(Xtr, y[train], clusters=clusters[train],
                                  sensitive_features=sensitive.iloc[train]
                                  .reset_index(drop=True))
                    seconds = time.perf_counter() - start
                    cpu = time.process_time() - cpu
                    epochs = getattr(model, "n_epochs_", np.nan)
                    per_epoch = cpu / epochs  # CPU time: the shared machine's load moves wall
                    if label == "plain_mlp":
                        plain_epoch = per_epoch
                    base = {"dataset": name, "task": task, "split": split, "model": label,
                            "seed": seed}
                    rows.append({**base, "head": "all", "metric": "fit_seconds",
                                 "value": seconds})
                    rows.append({**base, "head": "all", "metric": "fit_cpu_seconds",
                                 "value": cpu})
                    rows.append({**base, "head": "all", "metric": "epoch_time_ratio",
                                 "value": per_epoch / plain_epoch})
                    for head, score in _heads(task, model, Xte, clusters[test], split).items():
                        values = {**_scores(task, y[test], score),
                                  **_spreads(task, y[test], score,
                                             sensitive.iloc[test].reset_index(drop=True))}
                        rows += [{**base, "head": head, "metric": k, "value": v}
                                 for k, v in values.items()]
                runs_file.parent.mkdir(exist_ok=True)  # what is done, should the run stop
                pd.DataFrame(rows).to_csv(runs_file, index=False)
                print(f"{name} seed {seed} {split} done", flush=True)
    return pd.DataFrame(rows)


def cuts(summary: pd.DataFrame) -> pd.DataFrame:
    """1 - spread(fair_medl) / spread(medl) on the mean spreads, per head and variable."""
    spread = summary[summary["metric"].str.contains("_sd:")]
    wide = spread.pivot_table(index=["dataset", "split", "head", "metric"], columns="model",
                              values="mean").reset_index()
    wide = wide.dropna(subset=["medl", "fair_medl"])
    wide["relative_cut_pct"] = 100.0 * (1.0 - wide["fair_medl"] / wide["medl"])
    wide["variable"] = wide["metric"].str.split(":").str[1]
    wide["paper_up_to_pct"] = wide["variable"].map(PAPER_CUTS)
    return wide[["dataset", "split", "head", "metric", "medl", "fair_medl",
                 "relative_cut_pct", "paper_up_to_pct"]]


def _md(frame: pd.DataFrame) -> str:
    cells = [[str(c) for c in frame.columns]] + [[str(v) for v in row]
                                                 for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    lines.insert(1, "|" + "---|" * len(frame.columns))
    return "\n".join(lines)


def _mean_sd(values: pd.Series) -> str:
    return f"{values.mean():.3f}" if len(values) < 2 else \
        f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


def claims(runs: pd.DataFrame) -> pd.DataFrame:
    """Issue 15's regression claims, seed by seed, on the ME head.

    Per regression data set and split: Fair MEDL's MSE against the FE-only network's
    (``fe_adversary``), and per sensitive variable Fair MEDL's per-group MSE spread
    (and ``eo_sd``) against MEDL's; ``holds`` counts the seeds where Fair MEDL's value
    is the smaller (paired on the seed's split).
    """
    me = runs[(runs["task"] == "regression") & (runs["head"] == "ME")]
    wide = me.pivot_table(index=["dataset", "split", "metric", "seed"], columns="model",
                          values="value").reset_index()
    out = []
    for (dataset, split, metric), part in wide.groupby(["dataset", "split", "metric"]):
        if metric == "mse":
            reference = "fe_adversary"
        elif metric.startswith(("mse_sd:", "eo_sd:")):
            reference = "medl"
        else:
            continue
        pair = part[["fair_medl", reference]].dropna()
        out.append({"dataset": dataset, "split": split, "metric": metric,
                    "fair_medl": _mean_sd(pair["fair_medl"]), "against": reference,
                    "value": _mean_sd(pair[reference]),
                    "holds": f"{int((pair['fair_medl'] < pair[reference]).sum())}/{len(pair)}"})
    return pd.DataFrame(out)


def tuning_table() -> pd.DataFrame:
    """The chosen row of each data set's tuning grid (benchmarks/medl_tune.py)."""
    rows = []
    for name in TASKS:
        path = RESULTS / f"medl_tuning_{name}.csv"
        if path.exists():
            table = pd.read_csv(path)
            best = table[table["chosen"]].iloc[0]
            row = {"dataset": name,
                   "cluster_adversary_weight": best["cluster_adversary_weight"],
                   "fairness_weight": best["fairness_weight"],
                   "score": round(best["score"], 4), "spread": round(best["spread"], 4)}
            for label, weight in (("1_1", 1.0), ("0.3_0.3", 0.3)):  # the defaults; both 0.3
                at = table[(table["cluster_adversary_weight"] == weight)
                           & (table["fairness_weight"] == weight)].iloc[0]
                row[f"score_{label}"] = round(at["score"], 4)
                row[f"spread_{label}"] = round(at["spread"], 4)
            rows.append({**row, "search_seconds": round(best["seconds"])})
    return pd.DataFrame(rows)


def defaults_table(frame: pd.DataFrame) -> pd.DataFrame:
    """benchmarks/medl_defaults.py's comparison per data set: each setting's means and the
    seeds where (0.3, 0.3) did better than (1, 1)."""
    out = []
    for name, part in frame.groupby("dataset"):
        wide = part.pivot_table(index="seed", columns="setting", values=["score", "spread"])
        sign = 1.0 if TASKS[name] == "classification" else -1.0  # accuracy up, MSE down
        better_score = sign * (wide["score"]["0.3_0.3"] - wide["score"]["1_1"]) > 0
        better_spread = wide["spread"]["0.3_0.3"] < wide["spread"]["1_1"]
        out.append({"dataset": name,
                    "score_1_1": round(wide["score"]["1_1"].mean(), 4),
                    "score_0.3_0.3": round(wide["score"]["0.3_0.3"].mean(), 4),
                    "spread_1_1": round(wide["spread"]["1_1"].mean(), 4),
                    "spread_0.3_0.3": round(wide["spread"]["0.3_0.3"].mean(), 4),
                    "better_score": f"{int(better_score.sum())}/{len(wide)}",
                    "better_spread": f"{int(better_spread.sum())}/{len(wide)}"})
    return pd.DataFrame(out)


def markdown(summary: pd.DataFrame, table: pd.DataFrame, runs: pd.DataFrame | None = None
             ) -> str:
    """The tables of docs/medl.md, from the results files."""
    perf = summary[summary["metric"].isin(["accuracy", "auroc", "mse", "epoch_time_ratio"])]
    perf = perf.assign(value=[f"{m:.3f}" if pd.isna(d) else f"{m:.3f} ± {d:.3f}"
                              for m, d in zip(perf["mean"], perf["std"], strict=True)])
    perf = perf.assign(column=perf["metric"] + " " + perf["head"].where(perf["head"] != "all",
                                                                         ""))
    wide = (perf.set_index(["dataset", "split", "model", "column"])["value"]
            .unstack("column").reset_index().fillna(""))
    spread = summary[summary["metric"].str.contains("_sd:") & (summary["head"] == "ME")]
    spread = spread.pivot_table(index=["dataset", "split", "metric"], columns="model",
                                values="mean").round(3).reset_index()
    cut = table.assign(medl=table["medl"].round(4), fair_medl=table["fair_medl"].round(4),
                       relative_cut_pct=table["relative_cut_pct"].round(1))
    # the paper's "up to": the largest cut per variable over data sets, splits, FE/ME heads
    # (the paper's spreads only: TPR, FPR and per-group MSE, not eo_sd)
    fe_me = cut[cut["head"].isin(["FE", "ME"]) & ~cut["metric"].str.startswith("eo_sd")].copy()
    fe_me["variable"] = fe_me["metric"].str.split(":").str[1]
    best = fe_me.loc[fe_me.groupby("variable")["relative_cut_pct"].idxmax(),
                     ["variable", "relative_cut_pct", "dataset", "split", "head", "metric",
                      "paper_up_to_pct"]].rename(columns={"relative_cut_pct": "up_to_pct"})
    median = fe_me.groupby("variable")["relative_cut_pct"].median().rename("median_cut_pct")
    best = best.merge(median.round(1).reset_index(), on="variable")
    frames = [wide, spread, best, cut]
    if runs is not None:
        frames.append(claims(runs))
    tuning = tuning_table()
    if len(tuning):
        frames.append(tuning)
    defaults = RESULTS / "medl_defaults.csv"
    if defaults.exists():
        frames.append(defaults_table(pd.read_csv(defaults)))
    speed = RESULTS / "medl_speed.csv"
    if speed.exists():
        frames.append(pd.read_csv(speed).round(4))
    return "\n\n".join(_md(frame) for frame in frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--adult-rows", type=int, default=8000)
    parser.add_argument("--datasets", nargs="+", default=["adult", "hsb82", "star"])
    parser.add_argument("--runs-file", type=Path, default=RESULTS / "medl_runs.csv",
                        help="where the per-seed rows go (written after each dataset and seed)")
    parser.add_argument("--summarise", nargs="+", type=Path, metavar="RUNS_CSV",
                        help="rebuild medl_runs.csv, medl.csv and medl_cuts.csv from per-seed "
                             "files of runs done apart (e.g. datasets in parallel processes)")
    parser.add_argument("--defaults", action="store_true",
                        help="the estimators' default weights instead of TUNED's")
    parser.add_argument("--markdown", action="store_true",
                        help="print the tables of docs/medl.md from the results files")
    args = parser.parse_args()
    if args.markdown:
        print(markdown(pd.read_csv(RESULTS / "medl.csv"), pd.read_csv(RESULTS / "medl_cuts.csv"),
                       pd.read_csv(RESULTS / "medl_runs.csv")))
        return
    started = time.perf_counter()
    if args.summarise:
        runs = pd.concat([pd.read_csv(f) for f in args.summarise], ignore_index=True)
        # a seed counts only once both of its splits finished
        done = runs.groupby(["dataset", "seed"])["split"].nunique()
        done = done[done == 2].reset_index()[["dataset", "seed"]]
        runs = runs.merge(done, on=["dataset", "seed"])
        runs.to_csv(RESULTS / "medl_runs.csv", index=False)
    else:
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        runs = run(seeds, args.adult_rows, args.datasets, args.runs_file,
                   tuned=not args.defaults)
    summary = (runs.groupby(["dataset", "task", "split", "model", "head", "metric"])["value"]
               .agg(["mean", "std"]).reset_index())
    summary = summary.merge(runs.groupby("dataset")["seed"].nunique().rename("seeds"),
                            on="dataset")
    summary.to_csv(RESULTS / "medl.csv", index=False)
    table = cuts(summary)
    table.to_csv(RESULTS / "medl_cuts.csv", index=False)
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        perf = summary[~summary["metric"].str.contains("_sd:")]
        print(perf.pivot_table(index=["dataset", "split", "model"],
                               columns=["metric", "head"], values="mean").round(3))
        print(table.round(3).to_string(index=False))
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
