"""The machinery behind :mod:`fairpool.active.checks`: the data, driving a strategy
through the loop, and comparing values and snapshots.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from fairpool.active._learner import ActiveLearner
from fairpool.active._registry import make_strategy, strategy_class
from fairpool.active._state import QueryState
from fairpool.active._strategy import Strategy
from fairpool.datasets import Dataset
from fairpool.errors import InvalidInputError
from fairpool.metrics import check_binary_labels

__all__ = [
    "CheckData",
    "Selection",
    "Unchecked",
    "as_strategy",
    "campaign",
    "check_data",
    "check_picks",
    "fresh",
    "label_of",
    "loop",
    "model_snapshot",
    "params_differ",
    "query",
    "resume",
    "same",
    "state_snapshot",
]

#: The learner the checks drive the strategy with (the loop's default).
_LEARNER = "logreg"
#: Rounds and batch size of the campaigns the seed and hidden-label checks compare.
_ROUNDS, _BATCH = 2, 4


# ---------------------------------------------------------------------------
# the data
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CheckData:
    """A dataset and the dataset positions of its three parts, as the checks use them.

    Parameters
    ----------
    dataset : Dataset
    initial : ndarray of int
        The labelled seed (both labels present).
    validation : ndarray of int
        The validation set given to the loop.
    pool : ndarray of int
        The unlabelled candidates (at least 12 rows).
    """

    dataset: Dataset
    initial: np.ndarray
    validation: np.ndarray
    pool: np.ndarray


def check_data(data: Dataset | CheckData | None = None, *, seed: int = 0) -> CheckData:
    """The data the checks run on: ``data`` split into initial / validation / pool parts.

    Parameters
    ----------
    data : Dataset or CheckData, optional
        None: a built-in synthetic task (200 rows, 6 features, two groups
        "female"/"male" that shift feature 0 and the base rate, binary labels; the
        same every call). A :class:`~fairpool.datasets.Dataset` with binary labels
        is split by ``seed``: a validation set of 20% (20 to 100 rows), an initial
        set of 1/8 (10 to 50 rows, both labels present) and a pool of the rest (at
        most 100 rows; larger datasets are subsampled). A ``CheckData`` is
        returned as it is.
    seed : int, default=0
        Seed of the split.

    Returns
    -------
    CheckData

    Raises
    ------
    InvalidInputError
        If ``data`` is not a Dataset, has labels other than 0/1, a single label,
        or too few rows for a pool of 12.
    """
    if data is None:
        return _default_data()
    if isinstance(data, CheckData):
        return data
    if not isinstance(data, Dataset):
        raise InvalidInputError(
            f"data must be a fairpool Dataset or CheckData, got {type(data).__name__}"
        )
    y = np.asarray(data.y)
    check_binary_labels(y, who="the strategy checks (data.y)")
    if np.unique(y).size < 2:
        raise InvalidInputError("the checks need both labels 0 and 1 in data.y")
    n = data.n_samples
    n_validation = min(100, max(20, n // 5))
    n_initial = min(50, max(10, n // 8))
    n_pool = min(100, n - n_validation - n_initial)
    if n_pool < 12:
        raise InvalidInputError(
            f"data has {n} rows; the checks need at least {n_validation + n_initial + 12}"
        )
    perm = np.random.default_rng(seed).permutation(n)
    validation = perm[:n_validation]
    rest = perm[n_validation:]
    initial, pool = rest[:n_initial].copy(), rest[n_initial : n_initial + n_pool].copy()
    for label in (0, 1):  # the learner needs both labels in the initial set
        if not (y[initial] == label).any():
            donor = rest[n_initial:][y[rest[n_initial:]] == label][0]
            slot = int(np.flatnonzero(y[initial] == y[initial][0])[-1])
            swapped = initial[slot]
            initial[slot] = donor
            pool = np.where(pool == donor, swapped, pool)
    return CheckData(data, np.sort(initial), np.sort(validation), np.sort(pool))


@functools.lru_cache(maxsize=1)
def _default_data() -> CheckData:
    from sklearn.datasets import make_classification

    n, n_features = 200, 6
    X, y = make_classification(
        n_samples=n,
        n_features=n_features,
        n_informative=4,
        n_redundant=0,
        weights=[0.6, 0.4],
        flip_y=0.05,
        random_state=3,
    )
    groups = (np.random.default_rng(3).random(n) < 0.35 + 0.3 * y).astype(np.int64)
    X[:, 0] += 0.8 * groups
    ds = Dataset(
        X=X.astype(np.float32),
        y=y.astype(np.int64),
        groups=groups,
        group_names=("female", "male"),
        feature_names=tuple(f"f{j}" for j in range(n_features)),
        name="strategy_checks",
        info={"sensitive": ["sex"]},
    )
    return check_data(ds, seed=3)


# ---------------------------------------------------------------------------
# building and driving the strategy
# ---------------------------------------------------------------------------
def as_strategy(strategy: Strategy | type | str) -> Strategy:
    """An instance: a name or class is built with its ``contract_test_options``."""
    if isinstance(strategy, str):
        options = dict(getattr(strategy_class(strategy), "contract_test_options", {}) or {})
        return make_strategy(strategy, **options)
    if isinstance(strategy, type):
        if not issubclass(strategy, Strategy):
            raise InvalidInputError(
                f"strategy must be a fairpool.active.Strategy, got the class {strategy!r}"
            )
        return strategy(**dict(strategy.contract_test_options or {}))
    if not isinstance(strategy, Strategy):
        raise InvalidInputError(
            f"strategy must be a fairpool.active.Strategy (instance, subclass or registered "
            f"name), got {strategy!r}"
        )
    return strategy


def label_of(strategy: Any) -> str:
    if isinstance(strategy, str):
        return strategy
    cls = strategy if isinstance(strategy, type) else type(strategy)
    name = getattr(cls, "name", None)
    if isinstance(name, str) and name != Strategy.name:
        return f"{name} ({cls.__name__})"
    return cls.__name__


def fresh(strategy: Strategy) -> Strategy:
    from sklearn.base import clone

    return clone(strategy)


def _learner_for(strategy: Strategy, data: CheckData, *, seed: int) -> ActiveLearner:
    """An unfitted ActiveLearner around ``strategy`` on the check data (validation, groups)."""
    ds = data.dataset
    return ActiveLearner(
        strategy,
        _LEARNER,
        seed=seed,
        validation=ds.subset(data.validation),
        group_names=ds.group_names,
        feature_names=ds.feature_names,
        info=ds.info,
    )


def loop(strategy: Strategy, data: CheckData, *, seed: int = 0) -> ActiveLearner:
    """An ActiveLearner driving ``strategy``, fitted on the initial rows (strategy trained)."""
    ds = data.dataset
    al = _learner_for(strategy, data, seed=seed)
    if strategy.requires_fit:
        al.fit_strategy(ds.subset(np.union1d(data.initial, data.validation)))
    d0 = data.initial
    return al.fit(ds.X[d0], ds.y[d0], ds.groups[d0])


@dataclass
class Selection:
    state: QueryState
    picks: Any
    loop_picks: np.ndarray | None


def query(
    al: ActiveLearner,
    X_pool: np.ndarray,
    groups_pool: np.ndarray,
    k: int,
    *,
    before: Callable[[QueryState], None] | None = None,
    after: Callable[[QueryState], None] | None = None,
) -> Selection:
    """``al.query`` with a look at what ``select`` received and returned (before the loop
    checks the picks itself)."""
    strategy = al.strategy_
    select = strategy.select
    seen: dict[str, Any] = {}

    def spy(state: QueryState, k: int, rng: np.random.Generator) -> Any:
        if before is not None:
            before(state)
        picks = select(state, k, rng)
        seen["state"], seen["picks"] = state, picks
        if after is not None:
            after(state)
        return picks

    strategy.select = spy  # an instance attribute shadows the method for this query
    try:
        try:
            out = al.query(X_pool, groups_pool, k)
        except InvalidInputError:
            if "picks" not in seen:
                raise
            out = None  # the loop refused the picks: the check says why
    finally:
        vars(strategy).pop("select", None)
    return Selection(seen["state"], seen["picks"], out)


def campaign(strategy: Strategy, data: CheckData, labels: np.ndarray, *, seed: int) -> list:
    """Picks (dataset positions) of ``_ROUNDS`` rounds of ``_BATCH`` rows; the oracle
    holds ``labels``."""
    ds, pool = data.dataset, data.pool
    al = loop(strategy, data, seed=seed)
    X_pool, g_pool = ds.X[pool], ds.groups[pool]
    rounds = []
    for r in range(_ROUNDS):
        picks = al.query(X_pool, g_pool, _BATCH)
        rounds.append(pool[picks].tolist())
        if r < _ROUNDS - 1:
            al.teach(picks, labels[pool[picks]])
    return rounds


def resume(strategy: Strategy, data: CheckData, original: ActiveLearner, saved: Any,
           *, seed: int) -> ActiveLearner:
    """A new loop around ``strategy`` (a fresh, untrained copy), fitted on ``original``'s
    labelled rows in their order, with the state ``saved`` loaded: a new process resuming.
    """
    al = _learner_for(strategy, data, seed=seed)
    labelled = original.labelled_
    al.fit(labelled.X, labelled.y, labelled.groups)
    return al.load_state_dict(saved)


def check_picks(picks: Any, k: int, n_pool: int) -> None:
    if not isinstance(picks, np.ndarray) or picks.dtype.kind not in "iu":
        kind = getattr(getattr(picks, "dtype", None), "name", type(picks).__name__)
        raise AssertionError(f"select must return an integer ndarray, got {kind} for k={k}")
    if picks.shape != (k,):
        raise AssertionError(f"select returned shape {picks.shape} for k={k}; expected ({k},)")
    if np.unique(picks).size != k:
        raise AssertionError(f"select returned duplicate pool positions for k={k}: {picks}")
    if picks.min() < 0 or picks.max() >= n_pool:
        raise AssertionError(
            f"select returned positions outside the pool of {n_pool} rows for k={k}: {picks}"
        )


# ---------------------------------------------------------------------------
# comparing values
# ---------------------------------------------------------------------------
def same(a: Any, b: Any) -> bool:
    """Equal values: identity, equal arrays (NaN = NaN), ``==``, else equal joblib hashes."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if hasattr(a, "get_params") and not isinstance(a, type):
        pa, pb = a.get_params(deep=False), b.get_params(deep=False)
        return pa.keys() == pb.keys() and all(same(pa[k], pb[k]) for k in pa)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    try:
        if bool(a == b):
            return True
    except (TypeError, ValueError):
        pass
    try:
        import joblib

        return joblib.hash(a) == joblib.hash(b)
    except Exception:  # noqa: BLE001 -- an unhashable value is simply not comparable
        return False


def params_differ(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    keys = set(before) | set(after)
    return sorted(k for k in keys if k not in before or k not in after
                  or not same(before[k], after[k]))


def model_snapshot(model: Any, inputs: Sequence[np.ndarray]) -> dict[str, Any]:
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    fitted = {
        k: copy.deepcopy(v)
        for k, v in getattr(model, "__dict__", {}).items()
        if k.endswith("_") and not k.startswith("_") and isinstance(v, np.ndarray)
    }
    proba = [np.array(model.predict_proba(X), dtype=np.float64) for X in inputs]
    return {"params": dict(params), "fitted": fitted, "proba": proba}


def state_snapshot(state: QueryState) -> dict[str, Any]:
    arrays = {}
    for part in ("labelled", "pool", "validation"):
        value = getattr(state, part)
        for f in fields(value):
            arrays[f"{part}.{f.name}"] = np.array(getattr(value, f.name), copy=True)
    return {
        "arrays": arrays,
        "round": state.round,
        "group_names": tuple(state.group_names),
        "feature_names": tuple(state.feature_names),
        "info": copy.deepcopy(dict(state.info)),
        "ids": {part: id(getattr(state, part)) for part in ("model", "labelled", "pool",
                                                             "validation")},
    }


class Unchecked:
    """A value no strategy could accept as valid: proves ``__init__`` only stores."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<unchecked value for {self.name!r}>"
