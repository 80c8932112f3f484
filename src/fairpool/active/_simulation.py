"""Simulated active learning on a labelled dataset: the oracle around :class:`ActiveLearner`.

:func:`run` hides the labels of the pool split, lets the strategy pick through the
same :class:`~fairpool.active.ActiveLearner` a user drives by hand, reveals
the picked rows' labels from the dataset (the oracle), and records a
:class:`~fairpool.active.History` measured on the test split.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from fairpool.active._history import History
from fairpool.active._learner import ActiveLearner
from fairpool.active._registry import make_strategy
from fairpool.active._strategy import Strategy
from fairpool.datasets import Dataset, stratification_codes, stratified_partition
from fairpool.errors import (
    BudgetError,
    InvalidInputError,
    SingleGroupError,
    UndefinedMetricError,
)
from fairpool.metrics import check_binary_labels

__all__ = ["run", "DEFAULT_METRICS", "OT_MAX_ROWS"]

#: What every round records unless ``metrics=`` says otherwise: test-set metrics of
#: the model, and the optimal-transport distance of the labelled set to the pool.
#: Disparity readings (docs/metrics.md): ``demographic_parity`` and ``equalized_odds``
#: are fairlearn's between-groups gaps (max - min); the ``_to_overall`` columns compare
#: each group with the overall rate, PANDA's Table 1 Δ^DP and Δ^EO; ``error_rate_balance``
#: is PANDA's Δ^EB (FPR and FNR between groups) and ``error_rate_difference`` the
#: misclassification-rate gap.
DEFAULT_METRICS = (
    "f1",
    "accuracy",
    "demographic_parity",
    "demographic_parity_to_overall",
    "equalized_odds",
    "equalized_odds_to_overall",
    "error_rate_balance",
    "error_rate_difference",
    "ot_distance",
)
#: Most rows of each side fed to the exact optimal-transport distance (subsampled
#: beyond); docs/active-learning.md quotes the measured cost of one 500 x 500 solve.
OT_MAX_ROWS = 500

# Distinct streams derived from the run's seed (the learner derives its own).
_INITIAL_STREAM = 0x1D0
_OT_STREAM = 0x07


def _builtin_metric(name: str) -> Callable[..., float] | None:
    """The test-set metric called ``name`` (None for ``ot_distance``, not a test metric)."""
    from fairpool import metrics

    table: dict[str, Callable[..., float]] = {
        "f1": lambda y, p, *, sensitive_features: f1_score(y, p, zero_division=0.0),
        "accuracy": lambda y, p, *, sensitive_features: accuracy_score(y, p),
        "demographic_parity": metrics.demographic_parity_difference,
        "demographic_parity_to_overall": partial(
            metrics.demographic_parity_difference, method="to_overall"
        ),
        "equalized_odds": metrics.equalized_odds_difference,
        "equalized_odds_to_overall": partial(
            metrics.equalized_odds_difference, method="to_overall"
        ),
        "error_rate_balance": metrics.error_rate_balance,
        "error_rate_difference": metrics.error_rate_difference,
        "ot_distance": None,
    }
    if name not in table:
        raise InvalidInputError(f"unknown metric {name!r}; built-in metrics are {sorted(table)}")
    return table[name]


def _resolve_metrics(
    metrics: Sequence[str] | Mapping[str, Callable[..., float]] | None,
) -> dict[str, Callable[..., float] | None]:
    if metrics is None:
        return {name: _builtin_metric(name) for name in DEFAULT_METRICS}
    if isinstance(metrics, Mapping):
        resolved = {name: _builtin_metric(name) for name in DEFAULT_METRICS}
        for name, function in metrics.items():
            if not callable(function):
                raise InvalidInputError(f"metrics[{name!r}] must be callable, got {function!r}")
            resolved[str(name)] = function
        return resolved
    if isinstance(metrics, str):
        raise InvalidInputError("metrics must be a list of names or a mapping, not one string")
    return {name: _builtin_metric(name) for name in metrics}


def _resolve_split(
    ds: Dataset, split: Any, seed: int, split_options: Mapping[str, Any] | None
) -> dict[str, np.ndarray]:
    if isinstance(split, str):
        from fairpool import datasets

        parts = datasets.split(ds, split, seed=seed, **dict(split_options or {})).indices
    elif split_options:
        raise InvalidInputError("split_options apply only to a split given by scheme name")
    elif isinstance(split, Mapping):
        parts = split
    elif hasattr(split, "indices"):
        parts = split.indices
    else:
        raise InvalidInputError(
            f"split must be a scheme name, a DatasetSplit or a dict of index arrays, got {split!r}"
        )
    out: dict[str, np.ndarray] = {}
    for name, idx in parts.items():
        idx = np.asarray(idx)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise InvalidInputError(f"split part {name!r} must be a 1-D array of row positions")
        idx = idx.astype(np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= ds.n_samples):
            raise InvalidInputError(f"split part {name!r} has positions outside the dataset")
        out[str(name)] = idx
    for required in ("pool", "test"):
        if required not in out:
            raise InvalidInputError(f"the split has no {required!r} part; it has {sorted(out)}")
    if np.intersect1d(out["pool"], out["test"]).size:
        raise InvalidInputError("the split's 'pool' and 'test' parts overlap")
    return out


def _initial_rows(
    ds: Dataset, parts: dict[str, np.ndarray], initial: Any, batch_size: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The labelled seed D0 and the pool that remains (both dataset positions)."""
    pool = parts["pool"]
    if initial is None and "initial" in parts:
        return parts["initial"], np.setdiff1d(pool, parts["initial"])
    if initial is None or isinstance(initial, int | np.integer) and not isinstance(initial, bool):
        size = batch_size if initial is None else int(initial)
        if size < 2 or size >= pool.shape[0]:
            raise BudgetError(
                f"initial={size} rows: the initial labelled set needs at least 2 rows "
                f"and fewer than the pool's {pool.shape[0]}"
            )
        # Stratified by group x label so D0 mirrors the pool's make-up.
        strata = stratification_codes(ds)[pool]
        rng = np.random.default_rng([seed, _INITIAL_STREAM])
        (chosen,) = stratified_partition(strata, [size], rng)
        d0 = pool[chosen]
        return d0, np.setdiff1d(pool, d0)
    d0 = np.asarray(initial)
    if d0.ndim != 1 or d0.size == 0 or d0.dtype.kind not in "iu":
        raise InvalidInputError("initial must be None, an int, or a 1-D array of row positions")
    d0 = d0.astype(np.int64)
    if d0.min() < 0 or d0.max() >= ds.n_samples or np.unique(d0).size != d0.size:
        raise InvalidInputError("initial positions must be distinct rows of the dataset")
    if np.intersect1d(d0, parts["test"]).size:
        raise InvalidInputError("initial rows overlap the test split")
    return d0, np.setdiff1d(pool, d0)


def _check_sizes(budget: Any, batch_size: Any, n_pool: int) -> tuple[int, int]:
    for arg, value in (("budget", budget), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise BudgetError(f"{arg} must be a positive integer, got {value!r}")
    if batch_size > budget:
        raise BudgetError(f"batch_size={batch_size} is larger than the budget={budget}")
    if budget > n_pool:
        raise BudgetError(f"budget={budget} is larger than the pool ({n_pool} unlabelled rows)")
    return int(budget), int(batch_size)


def _pool_space(X_pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale of the whole pool: a fixed space for the OT distance across rounds."""
    mean = X_pool.mean(axis=0, dtype=np.float64)
    scale = X_pool.std(axis=0, dtype=np.float64)
    return mean, np.where(scale > 0, scale, 1.0)


def _load_trained(strategy: Any, name: str, policy_file: Any, options: Mapping[str, Any],
                  seed: int) -> Any:
    """``policy_file`` (with ``{seed}`` filled in) loaded by ``strategy``'s class."""
    load = getattr(type(strategy), "load", None)
    if not getattr(strategy, "requires_fit", False) or load is None:
        raise InvalidInputError(
            f"policy_file applies to a strategy trained before the loop (panda), not {name!r}"
        )
    try:
        path = str(policy_file).format(seed=seed)
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidInputError(
            f"policy_file {str(policy_file)!r}: only {{seed}} may be filled in ({exc})"
        ) from exc
    loaded = load(path)
    saved = loaded.get_params()
    differ = {k: (saved.get(k), v) for k, v in options.items()
              if k != "stochastic" and saved.get(k) != v}
    if differ:
        shown = ", ".join(f"{k}={v!r} (the file's: {s!r})" for k, (s, v) in differ.items())
        raise InvalidInputError(
            f"policy_file {path!r} was trained with other settings than the options ask: "
            f"{shown}; drop the options or train a policy with them"
        )
    if "stochastic" in options:
        loaded.set_params(stochastic=options["stochastic"])
    return loaded


def run(
    ds: Dataset,
    strategy: str | Strategy = "entropy",
    learner: str | Any = "logreg",
    *,
    budget: int = 400,
    batch_size: int = 50,
    seed: int = 0,
    split: str | Mapping[str, Any] | Any = "panda",
    initial: int | Sequence[int] | np.ndarray | None = None,
    split_options: Mapping[str, Any] | None = None,
    metrics: Sequence[str] | Mapping[str, Callable[..., float]] | None = None,
    model_metrics: Mapping[str, Callable[..., Any]] | None = None,
    strategy_options: Mapping[str, Any] | None = None,
    learner_options: Mapping[str, Any] | None = None,
    standardize: bool = True,
) -> History:
    """Simulate an active-learning campaign on a labelled dataset.

    The pool's labels are hidden from the strategy; each round the learner is fitted
    on the labelled set, the strategy picks ``batch_size`` pool rows (the last round
    fewer if ``budget`` is not a multiple), the oracle reveals their labels from
    ``ds.y``, and the test split is scored. Round 0 is the model on the initial set.

    Parameters
    ----------
    ds : Dataset
        A labelled dataset with binary labels 0/1.
    strategy : str or Strategy, default="entropy"
        A name from :func:`available_strategies` or a strategy object (a trained one
        if it ``requires_fit``).
    learner : str or estimator, default="logreg"
        A name from :func:`available_learners` or a scikit-learn classifier.
    budget : int, default=400
        Number of pool labels to buy (the initial set not counted).
    batch_size : int, default=50
        Labels bought per round.
    seed : int, default=0
        Seeds the split, the initial draw, the strategy and the learner.
    split : str, DatasetSplit or dict, default="panda"
        A scheme name for :func:`fairpool.datasets.split` (``"panda"``,
        ``"facagen"``, ``"falcon"``, ``"random"``), a ``DatasetSplit``, or a dict of
        dataset positions with keys ``"pool"``, ``"test"`` and optionally
        ``"initial"`` (the labelled seed) and ``"validation"``.
    initial : int or array of int, optional
        The labelled seed D0. None: the split's ``"initial"`` part if it has one,
        else ``batch_size`` rows drawn from the pool stratified by group and label.
        An int draws that many rows the same way (the split's ``"initial"`` part is
        then unused); an array gives dataset positions.
    split_options : mapping, optional
        Options for the split scheme.
    metrics : list of str or mapping, optional
        Names among ``DEFAULT_METRICS`` to record (default: all; leave out
        ``"ot_distance"`` for speed, it costs one exact OT solve a round, timed in
        docs/active-learning.md), or a mapping of
        extra metrics ``name -> f(y_true, y_pred, *, sensitive_features)`` recorded
        besides the defaults.
    model_metrics : mapping, optional
        Measurements that need the model, not only its test predictions:
        ``name -> f(learner, test)`` with the fitted :class:`ActiveLearner` (its
        ``predict_proba`` takes raw features) and the test split as a Dataset,
        returning a float or a mapping of floats (recorded as ``name_key``). The
        causal-validity measures come as such a mapping from
        :func:`fairpool.causal.validity_metrics`.
    strategy_options, learner_options : mapping, optional
        Options for building the strategy / learner by name. For a strategy that is
        trained before the loop (``"panda"``), ``policy_file`` loads a saved one
        instead of training it (``{seed}`` in the path is replaced by ``seed``, so a
        grid's seeds each get the policy trained on their own split); other options
        must equal the saved policy's settings (an error says which differ), except
        ``stochastic``, which applies to the loaded policy.
    standardize : bool, default=True
        Standardise features on the labelled set each round.

    Returns
    -------
    History

    Raises
    ------
    BudgetError
        ``budget`` larger than the pool, ``batch_size`` < 1 or larger than ``budget``.
    SingleGroupError
        A strategy that needs groups on data with one group.
    InvalidInputError
        Unknown names, a one-class initial set, malformed splits.

    Examples
    --------
    >>> import fairpool as fp
    >>> hist = fp.active.run(fp.datasets.load("adult"), strategy="entropy", budget=100,
    ...                      batch_size=50, seed=0)  # doctest: +SKIP
    >>> hist.final["f1"]  # doctest: +SKIP
    """
    if not isinstance(ds, Dataset):
        raise InvalidInputError(f"ds must be a fairpool Dataset, got {type(ds).__name__}")
    check_binary_labels(ds.y, who="run (ds.y)")
    metric_functions = _resolve_metrics(metrics)
    parts = _resolve_split(ds, split, seed, split_options)
    d0, pool = _initial_rows(ds, parts, initial, batch_size, seed)
    budget, batch_size = _check_sizes(budget, batch_size, pool.shape[0])
    test = parts["test"]
    if test.size == 0:
        raise InvalidInputError("the split's 'test' part is empty")

    if isinstance(strategy, str):
        strategy_name = strategy
        options = dict(strategy_options or {})
        policy_file = options.pop("policy_file", None)
        strategy = make_strategy(strategy, **options)
        must_train = bool(getattr(strategy, "requires_fit", False))
        if policy_file is not None:
            strategy = _load_trained(strategy, strategy_name, policy_file, options, seed)
            must_train = False
    else:
        if strategy_options:
            raise InvalidInputError("strategy_options apply only to a strategy given by name")
        strategy_name = getattr(strategy, "name", type(strategy).__name__)
        must_train = False
    if getattr(strategy, "needs_groups", False) and np.unique(ds.groups).size < 2:
        raise SingleGroupError(
            f"strategy {strategy_name!r} needs at least two groups; dataset {ds.name!r} has "
            f"one ({ds.group_names[int(ds.groups[0])] if ds.n_samples else 'none'})"
        )
    validation = ds.subset(parts["validation"]) if parts.get("validation") is not None else None
    al = ActiveLearner(
        strategy,
        learner,
        seed=seed,
        validation=validation,
        group_names=ds.group_names,
        feature_names=ds.feature_names,
        info=ds.info,
        standardize=standardize,
        learner_options=learner_options,
    )
    if must_train:
        # The strategy learns from labelled rows the simulation already owns: the
        # initial set and the validation split, never the pool.
        known = d0 if validation is None else np.union1d(d0, parts["validation"])
        al.fit_strategy(ds.subset(known))

    X_pool, g_pool = ds.X[pool], ds.groups[pool]  # one copy; the same objects every round
    X_test, y_test, g_test = ds.X[test], ds.y[test], ds.groups[test]
    # Cluster codes travel with the rows; a learner whose fit/predict take clusters
    # receives them (fairpool.learners.call_with_groups), others never see them.
    c_pool = c_test = c_initial = None
    if ds.clusters is not None:
        c_pool, c_test, c_initial = ds.clusters[pool], ds.clusters[test], ds.clusters[d0]
    test_split = ds.subset(test) if model_metrics else None
    mean, scale = _pool_space(X_pool)
    ot_rng = np.random.default_rng([seed, _OT_STREAM])
    ot_pool_rows = (
        ot_rng.choice(pool.shape[0], OT_MAX_ROWS, replace=False)
        if pool.shape[0] > OT_MAX_ROWS
        else np.arange(pool.shape[0])
    )
    ot_reference = ((X_pool[ot_pool_rows] - mean) / scale).astype(np.float64)

    def ot_distance() -> float:
        from fairpool.metrics import optimal_transport_distance

        X_lab = al.labelled_.X
        rows = (
            ot_rng.choice(X_lab.shape[0], OT_MAX_ROWS, replace=False)
            if X_lab.shape[0] > OT_MAX_ROWS
            else slice(None)
        )
        labelled = (X_lab[rows] - mean) / scale
        return float(optimal_transport_distance(labelled, ot_reference, method="exact"))

    def record(round_: int, picked: np.ndarray, seconds_fit: float, seconds_select: float) -> dict:
        y_pred = al.predict(X_test, g_test, clusters=c_test)
        row: dict[str, Any] = {"round": round_, "n_labelled": al.n_labelled_}
        for name, function in metric_functions.items():
            if function is None:
                row[name] = ot_distance()
                continue
            try:
                row[name] = float(function(y_test, y_pred, sensitive_features=g_test))
            except (SingleGroupError, UndefinedMetricError):
                row[name] = float("nan")  # undefined on this test split (e.g. one group)
        for name, function in (model_metrics or {}).items():
            value = function(al, test_split)
            if isinstance(value, Mapping):
                row.update({f"{name}_{key}": float(v) for key, v in value.items()})
            else:
                row[name] = float(value)
        row["picked"] = picked.tolist()
        counts = np.bincount(ds.groups[picked], minlength=ds.n_groups)
        for name, count in zip(ds.group_names, counts.tolist(), strict=True):
            row[f"picked_{name}"] = count
        row["seconds_fit"] = seconds_fit
        row["seconds_select"] = seconds_select
        for key, value in al.last_info_.items():
            row[f"strategy_{key}"] = value
        return row

    start = time.perf_counter()
    al.fit(ds.X[d0], ds.y[d0], ds.groups[d0], clusters=c_initial)
    rows = [record(0, np.empty(0, dtype=np.int64), time.perf_counter() - start, 0.0)]
    spent, round_ = 0, 0
    while spent < budget:
        round_ += 1
        k = min(batch_size, budget - spent)
        start = time.perf_counter()
        chosen = al.query(X_pool, g_pool, k, clusters_pool=c_pool)
        seconds_select = time.perf_counter() - start
        picked = pool[chosen]
        start = time.perf_counter()
        al.teach(chosen, ds.y[picked])  # the oracle reveals the hidden labels
        seconds_fit = time.perf_counter() - start
        rows.append(record(round_, picked, seconds_fit, seconds_select))
        spent += k

    config = {
        "dataset": ds.name,
        "strategy": strategy_name,
        "learner": al.learner_name,
        "seed": seed,
        "budget": budget,
        "batch_size": batch_size,
        "split": split if isinstance(split, str) else getattr(split, "scheme", "custom"),
        "n_initial": int(d0.shape[0]),
        "n_pool": int(pool.shape[0]),
        "n_test": int(test.shape[0]),
        "strategy_options": dict(strategy_options or {}),
        "learner_options": dict(learner_options or {}),
    }
    return History.from_records(rows, config)
