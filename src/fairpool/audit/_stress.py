"""Stress tests of the three sources of bias: inject one into a group, retrain, score.

The guide's three sources of bias in data (sampling, measurement, historical) and
its prediction-side injection, each at a sequence of rates and seeds::

    import fairpool as fp
    table = fp.audit.stress_test(fp.datasets.load("adult"), source="historical",
                                 group="Female", rates=(0, .1, .2, .3, .4, .5), seeds=(0, 1, 2))
    fp.audit.plot_stress_test(table)

For each seed the rows are split once, stratified by group and label
(:func:`~fairpool.audit.mitigation_split`), into a training part and a test part; the
bias is injected into the training part only, by :func:`fairpool.datasets.inject_bias`
(the same row choice everywhere, so ``n_affected`` is ``round(rate * m)`` of the
group's ``m`` eligible training rows), and every model is scored on the untouched test
rows against their recorded labels. The readings of the four sources:

* ``"sampling"`` -- under-sample the group: drop ``rate`` of its training rows
  (``inject_bias(kind="undersample")``), retrain;
* ``"measurement"`` -- Gaussian noise of ``scale`` standard deviations on the
  non-binary features (or ``columns``) of ``rate`` of the group's training rows
  (``kind="feature_noise"``), retrain;
* ``"historical"`` -- flip ``rate`` of the group's positive training labels to
  negative (``kind="label_flip"``, under-recorded merit; ``direction=`` changes it),
  retrain;
* ``"prediction"`` -- fit once on clean rows, then flip ``rate`` of the group's test
  *predictions* (either way, as the guide's example does) and re-score, no retrain.

With ``strategy=`` the model is not fitted on the whole training part: an
active-learning campaign (:func:`fairpool.active.run`) buys ``budget`` labels from the
biased training part as its pool, and its final model is scored, so a user can see
which collection strategy repairs an injected bias.

Written by hand: the loop over sources, rates, seeds and strategies, and the tidy
table. The work is done by fairpool's own pieces (``inject_bias``, the learners,
``fp.active.run``, fairpool's metrics, scikit-learn's accuracy and F1); the plot is
matplotlib.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    MissingValueError,
    SingleGroupError,
    UndefinedMetricError,
    UnknownColumnError,
)

__all__ = ["BIAS_SOURCES", "STRESS_METRICS", "plot_stress_test", "stress_test"]

#: The sources of bias :func:`stress_test` injects, and the ``inject_bias`` kind of each.
BIAS_SOURCES = {
    "sampling": "undersample",
    "measurement": "feature_noise",
    "historical": "label_flip",
    "prediction": "label_flip",
}
#: Overall metric columns of the table (per-group rates follow as ``rate[group]``).
STRESS_METRICS = ("accuracy", "f1", "demographic_parity", "equalized_odds")
_GROUP_RATES = ("selection_rate", "tpr", "fpr", "accuracy")
_PLAIN = "none"


def _as_dataset(data: Any, target: str | None, sensitive: Any, positive: Any) -> Any:
    from fairpool.datasets import Dataset, from_frame, read_table

    if isinstance(data, Dataset):
        if target is not None or sensitive is not None:
            raise InvalidInputError("target= and sensitive= apply to a table, not to a Dataset")
        return data
    if isinstance(data, (str, Path)):
        data = read_table(Path(data))
    if target is None or sensitive is None:
        raise InvalidInputError(
            "a table needs target= (the label column) and sensitive= (the group column(s))"
        )
    import warnings

    from fairpool.audit._mitigate import _positive_value
    from fairpool.datasets import from_foreign_frame

    data = from_foreign_frame(data)
    if not isinstance(data, pd.DataFrame):
        raise InvalidInputError(f"data must be a fairpool Dataset, a DataFrame or a CSV/Parquet "
                                f"path, got {type(data).__name__}")
    if target in data.columns:  # the command line's text "1" is the column's 1
        positive = _positive_value(data[target], positive)
    with warnings.catch_warnings():  # one group is refused below with its own message
        warnings.filterwarnings("ignore", message=".*single group", category=UserWarning)
        return from_frame(data, target=target, sensitive=sensitive, positive=positive)


def _names(value: Any, allowed: Sequence[Any], what: str) -> list[Any]:
    values = [value] if value is None or isinstance(value, str) else list(value)
    if not values:
        raise EmptyInputError(f"{what} must name at least one")
    for v in values:
        if v not in allowed:
            raise InvalidInputError(
                f"unknown {what} {v!r}; choose from {[a for a in allowed if a is not None]}"
            )
    return values


def _check_rates(rates: Any) -> list[float]:
    values = [rates] if isinstance(rates, Real) else list(rates)
    if not values:
        raise EmptyInputError("rates must hold at least one rate")
    out = []
    for r in values:
        if isinstance(r, bool) or not isinstance(r, Real) or not 0.0 <= float(r) < 1.0:
            raise InvalidInputError(
                f"every rate must be a number in [0, 1) (the share of the group's rows "
                f"affected; 1 would remove or flip the whole group), got {r!r}"
            )
        out.append(float(r))
    return out


def _check_seeds(seeds: Any) -> list[int]:
    values = [seeds] if isinstance(seeds, Integral) else list(seeds)
    if not values:
        raise EmptyInputError("seeds must hold at least one seed")
    for s in values:
        if isinstance(s, bool) or not isinstance(s, Integral) or s < 0:
            raise InvalidInputError(f"every seed must be a non-negative integer, got {s!r}")
    return [int(s) for s in values]


def _group_name(ds: Any, group: Any) -> str:
    names = [str(g) for g in ds.group_names]
    if isinstance(group, str) and group in names:
        return group
    if isinstance(group, Integral) and not isinstance(group, bool) and 0 <= group < len(names):
        return names[int(group)]
    raise UnknownColumnError(f"group {group!r} is not a group of the data; its groups are {names}")


def _model(model: Any, seed: int) -> Any:
    from sklearn.base import clone

    if isinstance(model, str):
        from fairpool.audit._mitigate import _build

        return _build(model, seed)
    if not hasattr(model, "fit") or not hasattr(model, "predict"):
        raise InvalidInputError(
            f"model must be a fairpool learner name or a scikit-learn classifier, got {model!r}"
        )
    return clone(model)


def _fit_predict(model: Any, seed: int, standardize: bool, train: Any, test: Any) -> np.ndarray:
    """Fit ``model`` on ``train`` (standardised on it), predict ``test``: the plain arm."""
    import inspect

    from sklearn.preprocessing import StandardScaler

    from fairpool.active import model_output

    X_train, X_test = train.X.astype(np.float64), test.X.astype(np.float64)
    if standardize:
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    estimator = _model(model, seed)
    if "sensitive_features" in inspect.signature(estimator.fit).parameters:
        estimator.fit(X_train, train.y, sensitive_features=train.groups)
    else:
        estimator.fit(X_train, train.y)
    return np.asarray(model_output(estimator, "predict", X_test, test.groups), dtype=np.int64)


def _campaign_predict(
    model: Any, seed: int, standardize: bool, train: Any, test: Any, strategy: str,
    budget: int, batch_size: int, strategy_options: Mapping[str, Any] | None,
) -> tuple[np.ndarray, int]:
    """Run ``fp.active.run`` on the biased training part as pool; the final predictions."""
    from fairpool.active import run

    combined = replace(
        train,
        X=np.vstack([train.X, test.X]),
        y=np.concatenate([train.y, test.y]),
        groups=np.concatenate([train.groups, test.groups]),
        y_true=None,
        clusters=None,
    )
    n = train.n_samples
    parts = {"pool": np.arange(n), "test": np.arange(n, combined.n_samples)}
    last: dict[str, Any] = {}

    def predictions(learner: Any, test_split: Any) -> dict[str, float]:
        last["pred"] = np.asarray(learner.predict(test_split.X, test_split.groups))
        last["n"] = learner.n_labelled_
        return {}

    learner = model if isinstance(model, str) else _model(model, seed)
    run(combined, strategy, learner, budget=budget, batch_size=batch_size, seed=seed,
        split=parts, metrics=[], model_metrics={"predictions": predictions},
        strategy_options=strategy_options, standardize=standardize)
    return last["pred"].astype(np.int64), int(last["n"])


def _scores(y: np.ndarray, pred: np.ndarray, groups: np.ndarray, names: Sequence[str]
            ) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    from fairpool import metrics

    out = {"accuracy": float(accuracy_score(y, pred)),
           "f1": float(f1_score(y, pred, zero_division=0.0))}
    for key, function in (("demographic_parity", metrics.demographic_parity_difference),
                          ("equalized_odds", metrics.equalized_odds_difference)):
        try:
            out[key] = float(function(y, pred, sensitive_features=groups))
        except UndefinedMetricError:
            out[key] = float("nan")
    named = np.asarray(names, dtype=object)[groups]
    for rate in _GROUP_RATES:
        by_group = metrics.rate_by_group(y, pred, sensitive_features=named, rate=rate)
        for g in names:
            out[f"{rate}[{g}]"] = float(by_group.get(g, float("nan")))
    return out


def stress_test(
    data: Any,
    *,
    source: str | Sequence[str],
    group: str | int,
    rates: float | Sequence[float] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
    seeds: int | Sequence[int] = (0, 1, 2),
    model: Any = "logreg",
    strategy: str | None | Sequence[str | None] = None,
    budget: int = 400,
    batch_size: int = 50,
    test_size: float = 0.3,
    target: str | None = None,
    sensitive: str | Sequence[str] | None = None,
    positive: Any = None,
    direction: str | None = None,
    columns: Sequence[str] | None = None,
    scale: float = 1.0,
    standardize: bool = True,
    strategy_options: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Inject a source of bias into one group at several rates; retrain and score each time.

    For each seed the rows are split (stratified by group and label) into a training
    and a test part; the bias goes into the training part only (or, for
    ``"prediction"``, into the test predictions), and every model is scored on the
    uncorrupted test rows. See the module docstring for the four readings; the
    injection is :func:`fairpool.datasets.inject_bias` (the guide "Biases in Deep
    Learning", section "Simulation and Stress Testing", for the sources and the
    prediction flip; Mehrabi et al. 2021, "A survey on bias and fairness in machine
    learning", section 3, for sampling, measurement and historical bias).

    Parameters
    ----------
    data : Dataset, pandas/polars DataFrame, or path of a CSV/Parquet file
        The labelled rows (binary labels). A table needs ``target`` and ``sensitive``.
    source : {"sampling", "measurement", "historical", "prediction"} or a list of them
    group : str or int
        The group (name, or code) that receives the bias.
    rates : float or sequence of float in [0, 1), default 0 to 0.5 by 0.1
        Share of the group's eligible training rows (or test predictions) affected.
    seeds : int or sequence of int, default (0, 1, 2)
        Each seed draws its own split, injection and model.
    model : str or scikit-learn classifier, default "logreg"
        A fairpool learner name (``fairpool learners``) or an estimator (cloned per fit).
    strategy : None, str, or a list of them, default None
        None (or ``"none"``) fits ``model`` on the whole training part; a strategy name
        (``fp.active.available_strategies()``) runs an active-learning campaign on it.
    budget, batch_size : int, default 400 and 50
        Labels bought by a campaign, and per round (the initial labelled set is one
        batch, drawn stratified by group and label). Unused without ``strategy``.
    test_size : float in (0, 1), default 0.3
        Share of rows held out as the uncorrupted test split.
    target, sensitive, positive : optional
        For a table: the label column, the sensitive column(s), the positive label.
    direction : str, optional
        ``inject_bias``'s direction: for ``"historical"`` (default
        ``"positive_to_negative"``) or ``"sampling"`` (default ``"all"``).
    columns : list of str, optional
        Features that ``"measurement"`` noise touches (default: every non-binary one).
    scale : float, default 1.0
        ``"measurement"`` noise in standard deviations of each column.
    standardize : bool, default True
        Standardise features on the rows the model learns from.
    strategy_options : mapping, optional
        Options of the strategy (by name).

    Returns
    -------
    pandas.DataFrame
        One row per (source, rate, seed, strategy): ``source``, ``rate``, ``seed``,
        ``strategy`` (``"none"`` for a plain fit), ``model``, ``n_train`` (rows the final
        model learned from), ``n_eligible`` and ``n_affected`` (the group's eligible rows
        and those changed), ``seconds``, then ``accuracy``, ``f1``,
        ``demographic_parity`` and ``equalized_odds`` (differences, in [0, 1]) on the
        test split, and ``selection_rate[g]``, ``tpr[g]``, ``fpr[g]``, ``accuracy[g]``
        for every group ``g``.

    Raises
    ------
    InvalidInputError
        Unknown source or strategy, a rate outside [0, 1), a bad seed or model,
        a ``direction`` / ``columns`` that does not apply.
    UnknownColumnError
        ``group`` is not a group of the data, or a named column is not in the table.
    SingleGroupError
        The data holds one group.
    MissingValueError
        NaN or infinite features.
    NonBinaryLabelError
        Labels other than 0/1.
    BudgetError
        ``budget`` larger than the biased pool.
    """
    from fairpool.audit._mitigate import mitigation_split
    from fairpool.datasets import inject_bias
    from fairpool.metrics import check_binary_labels

    sources = _names(source, list(BIAS_SOURCES), "source")
    from fairpool.active import available_strategies

    strategies = [None if s == _PLAIN else s
                  for s in _names(strategy, [None, _PLAIN, *available_strategies()], "strategy")]
    rates_ = _check_rates(rates)
    seeds_ = _check_seeds(seeds)
    ds = _as_dataset(data, target, sensitive, positive)
    check_binary_labels(ds.y, who="stress_test (labels)")
    if not np.isfinite(ds.X).all():
        bad = [ds.feature_names[j] for j in np.flatnonzero(~np.isfinite(ds.X).all(axis=0))]
        raise MissingValueError(f"features hold NaN or infinite values in columns {bad[:5]}")
    if np.unique(ds.groups).size < 2:
        raise SingleGroupError(
            f"the data holds one group ({ds.group_names[int(ds.groups[0])]}); a stress test "
            "compares the group that receives the bias with the others"
        )
    name = _group_name(ds, group)
    names = [str(g) for g in ds.group_names]
    if direction is not None and any(s not in ("historical", "sampling") for s in sources):
        raise InvalidInputError("direction= applies to source 'historical' or 'sampling' only")
    if columns is not None and any(s != "measurement" for s in sources):
        raise InvalidInputError("columns= applies to source 'measurement' only")
    model_name = model if isinstance(model, str) else type(model).__name__

    rows: list[dict[str, Any]] = []
    for seed in seeds_:
        train_rows, test_rows = mitigation_split(ds.groups, ds.y, test_size=test_size, seed=seed)
        train, test = ds.subset(train_rows), ds.subset(test_rows)
        for strat in strategies:
            clean_pred: tuple[np.ndarray, int] | None = None
            for src in sources:
                for rate in rates_:
                    start = time.perf_counter()
                    if src == "prediction":
                        if clean_pred is None:
                            clean_pred = _arm(model, seed, standardize, train, test, strat,
                                              budget, batch_size, strategy_options)
                        pred, n_train = clean_pred
                        flipped = inject_bias(replace(test, y=pred, y_true=None),
                                              kind="label_flip", group=name, rate=rate,
                                              seed=seed, direction="both")
                        record = flipped.info["bias_injection"]
                        pred = flipped.y
                    else:
                        options: dict[str, Any] = {}
                        if src == "measurement":
                            options = {"columns": columns, "scale": scale}
                        elif direction is not None:
                            options = {"direction": direction}
                        biased = inject_bias(train, kind=BIAS_SOURCES[src], group=name,
                                             rate=rate, seed=seed, **options)
                        record = biased.info["bias_injection"]
                        pred, n_train = _arm(model, seed, standardize, biased, test, strat,
                                             budget, batch_size, strategy_options)
                    row = {"source": src, "rate": rate, "seed": seed,
                           "strategy": _PLAIN if strat is None else strat, "model": model_name,
                           "n_train": n_train, "n_eligible": record["n_eligible"],
                           "n_affected": record["n_affected"],
                           "seconds": time.perf_counter() - start}
                    row.update(_scores(test.y, pred, test.groups, names))
                    rows.append(row)
    return pd.DataFrame(rows)


def _arm(model: Any, seed: int, standardize: bool, train: Any, test: Any, strategy: str | None,
         budget: int, batch_size: int, strategy_options: Mapping[str, Any] | None
         ) -> tuple[np.ndarray, int]:
    if strategy is None:
        return _fit_predict(model, seed, standardize, train, test), train.n_samples
    return _campaign_predict(model, seed, standardize, train, test, strategy, budget,
                             batch_size, strategy_options)


def plot_stress_test(
    table: pd.DataFrame,
    *,
    metrics: Sequence[str] = STRESS_METRICS,
    path: str | Path | None = None,
    title: str | None = None,
) -> Any:
    """Each metric against the injected rate: mean and ± one standard deviation over seeds.

    One row of panels per source of bias, one column per metric, one line per
    strategy (``"none"``: the plain fit); the band is mean ± sd over the seeds (sample
    standard deviation, ``ddof=1``; no band with one seed).

    Parameters
    ----------
    table : pandas.DataFrame
        The result of :func:`stress_test` (several may be concatenated).
    metrics : sequence of str, default accuracy, F1, DP and EO differences
        Columns of ``table`` to draw (per-group columns such as ``"tpr[Female]"`` too).
    path : str or Path, optional
        Where to save the figure (format from the suffix, e.g. ``.png``).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    EmptyInputError
        The table has no rows.
    UnknownColumnError
        A metric is not a column of the table.
    """
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if len(table) == 0:
        raise EmptyInputError("the stress-test table has no rows to plot")
    for column in ("source", "rate", "seed", "strategy", *metrics):
        if column not in table.columns:
            raise UnknownColumnError(f"column {column!r} is not in the stress-test table; "
                                     f"its columns are {list(table.columns)}")
    sources = list(dict.fromkeys(table["source"]))
    fig, axes = plt.subplots(len(sources), len(metrics), squeeze=False,
                             figsize=(3.2 * len(metrics), 2.6 * len(sources)))
    summary = (table.groupby(["source", "strategy", "rate"])[list(metrics)]
               .agg(["mean", "std"]))
    for i, src in enumerate(sources):
        for j, metric in enumerate(metrics):
            ax = axes[i][j]
            for strat in dict.fromkeys(table.loc[table["source"] == src, "strategy"]):
                part = summary.loc[(src, strat)]
                x = part.index.to_numpy(dtype=float)
                mean = part[(metric, "mean")].to_numpy(dtype=float)
                sd = part[(metric, "std")].fillna(0.0).to_numpy(dtype=float)
                (line,) = ax.plot(x, mean, marker="o", markersize=3, label=str(strat))
                ax.fill_between(x, mean - sd, mean + sd, color=line.get_color(), alpha=0.2)
            ax.set_title(f"{src}: {metric}", fontsize=9)
            ax.set_xlabel("injected rate", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, title="strategy", title_fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
