"""Check that a query strategy keeps fairpool's strategy contract.

:func:`check_strategy` runs every check on one strategy and raises
:class:`~fairpool.errors.StrategyCheckError` (an ``AssertionError``) naming the
first check that fails and the strategy; :func:`parametrize_with_checks` turns the
same checks into one pytest case per (strategy, check), in the spirit of
scikit-learn's ``sklearn.utils.estimator_checks.parametrize_with_checks``;
:func:`all_checks` lists them. fairpool's own test suite runs every registered
strategy through them (``tests/active/test_contract.py``), and
``docs/contributing.md`` shows how to use them on a strategy of your own.

The checks
----------
``check_init_stores_params``
    ``__init__`` stores every argument unchanged, under its own name: any value,
    even one that would be invalid, is accepted and returned by ``get_params()``
    as the very same object. Checking values is the job of ``select``/``fit``
    (scikit-learn's rule; see :meth:`~fairpool.active.Strategy._validate_params`).
``check_get_set_params_and_clone``
    ``get_params`` covers the ``__init__`` signature, ``set_params`` returns the
    strategy and rejects unknown names, and :func:`sklearn.base.clone` gives a new
    strategy with equal parameters.
``check_wrap_learner``
    ``wrap_learner`` returns an estimator with ``fit`` and ``predict_proba`` that
    :func:`sklearn.base.clone` can copy (the loop clones it at every refit).
``check_fit``
    ``fit`` returns the strategy; a strategy that ``requires_fit`` refuses to
    select before it is fitted (with a fairpool error, not a crash).
``check_select_picks``
    ``select`` returns an integer ndarray of ``k`` distinct positions inside the
    pool for ``k = 1``, ``k = 7`` and ``k`` = the whole (6-row) pool, through the
    loop (:class:`~fairpool.active.ActiveLearner`), which hands it a
    :class:`~fairpool.active.Pool` (a type without labels).
``check_deterministic``
    Two fresh copies, driven with the same seed, pick the same rows round after
    round: the ``rng`` given to ``select`` (and ``fit``) is the only randomness.
``check_hidden_labels_do_not_matter``
    Permuting and flipping the labels the oracle holds for pool rows nobody picked
    leaves every pick unchanged.
``check_select_leaves_model_and_state``
    ``select`` changes neither the model (its parameters, fitted arrays and
    predictions), nor the state (every array of the labelled set, pool and
    validation set, the round, the info), nor the strategy's parameters.
``check_last_info``
    ``last_info`` is declared (readable before any selection) and, after a
    selection, a dict with string keys that :func:`json.dumps` accepts.
``check_labels_beyond_binary``
    On 3-class labels the strategy picks validly or raises ``NonBinaryLabelError``;
    one that declares ``needs_binary_labels`` must raise it.
``check_resumable``
    A loop saved after three rounds (``ActiveLearner.state_dict``, through
    :func:`~fairpool.active.pack_state` bytes) and resumed in a new loop around a fresh
    copy, fitted on the same labelled rows, picks what the original picks in the next
    three rounds; the fresh copy's ``state_dict`` after loading equals the saved one.
    A strategy whose ``select`` depends on earlier rounds must return that state from
    :meth:`~fairpool.active.Strategy.state_dict` (labelling sessions resume one round
    per process).

Every check works on fresh copies (:func:`sklearn.base.clone`) of the strategy, so
the strategy passed in is never changed. A strategy that must be trained
(``requires_fit``) is fitted the documented way,
:meth:`ActiveLearner.fit_strategy <fairpool.active.ActiveLearner.fit_strategy>`
on the initial and validation rows. The data is small, deterministic, with two
groups and binary labels (:func:`check_data`), unless ``data`` is given.

Why one module over 600 lines: it is the public checker, eleven short checks and the
three functions that run them, and ``all_checks`` is their one ordered list; most of the
length is their documentation. The machinery they share (the data, driving the loop,
comparing snapshots) is already in :mod:`fairpool.active._checking`.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from fairpool.active._checking import (
    CheckData,
    Unchecked,
    as_strategy,
    campaign,
    check_data,
    check_picks,
    fresh,
    label_of,
    loop,
    model_snapshot,
    params_differ,
    query,
    resume,
    same,
    state_snapshot,
)
from fairpool.active._checkpoint import pack_state, same_state, unpack_state
from fairpool.active._state import LabelledSet, Pool, QueryState
from fairpool.active._strategy import Strategy
from fairpool.datasets import Dataset
from fairpool.errors import (
    FairpoolError,
    InvalidInputError,
    NonBinaryLabelError,
    StrategyCheckError,
)

__all__ = [
    "CheckData",
    "all_checks",
    "check_data",
    "check_deterministic",
    "check_fit",
    "check_get_set_params_and_clone",
    "check_hidden_labels_do_not_matter",
    "check_init_stores_params",
    "check_labels_beyond_binary",
    "check_last_info",
    "check_resumable",
    "check_select_leaves_model_and_state",
    "check_select_picks",
    "check_strategy",
    "check_wrap_learner",
    "parametrize_with_checks",
]


# ---------------------------------------------------------------------------
# the checks
# ---------------------------------------------------------------------------
def _check(func: Callable[..., None]) -> Callable[..., None]:
    """Turn any failure inside a check into a StrategyCheckError naming check and strategy."""
    name = func.__name__

    @functools.wraps(func)
    def wrapper(
        strategy: Strategy | type | str, *, data: Dataset | CheckData | None = None
    ) -> None:
        checked_data = check_data(data)  # unusable data is the caller's error, not a failure
        label = label_of(strategy)
        try:
            instance = as_strategy(strategy)
            label = label_of(instance)
            func(instance, checked_data)
        except StrategyCheckError:
            raise
        except AssertionError as exc:
            raise StrategyCheckError(
                f"strategy {label} fails {name}: {exc}", check=name, strategy=label
            ) from exc
        except Exception as exc:
            raise StrategyCheckError(
                f"strategy {label} fails {name}: {type(exc).__name__}: {exc}",
                check=name,
                strategy=label,
            ) from exc

    wrapper.__doc__ = (func.__doc__ or "") + _CHECK_DOC_TAIL
    return wrapper


_CHECK_DOC_TAIL = """
    Parameters
    ----------
    strategy : Strategy, Strategy subclass or str
        An instance (checked with its own parameters, on copies), or a class or
        registered name (built with its ``contract_test_options``).
    data : Dataset or CheckData, optional
        See :func:`check_data`; a small synthetic task by default.

    Raises
    ------
    StrategyCheckError
        The strategy fails the check; the message names the check and the strategy.
    """


@_check
def check_init_stores_params(strategy: Strategy, data: CheckData) -> None:
    """``__init__`` stores every argument unchanged: ``get_params()[name] is value``.
    """
    cls = type(strategy)
    params = strategy.get_params(deep=False)
    for name in params:
        marker = Unchecked(name)
        try:
            built = cls(**{**params, name: marker})
        except Exception as exc:  # noqa: BLE001 -- reported as the failure it is
            raise AssertionError(
                f"__init__ refused {name}={marker!r} ({type(exc).__name__}: {exc}); "
                "__init__ must only store its arguments and leave checking to select/fit"
            ) from exc
        stored = built.get_params(deep=False).get(name)
        if stored is not marker:
            raise AssertionError(
                f"__init__ did not store parameter {name!r} unchanged: given {marker!r}, "
                f"get_params() returns {stored!r}"
            )


@_check
def check_get_set_params_and_clone(strategy: Strategy, data: CheckData) -> None:
    """``get_params``/``set_params`` round-trip and ``sklearn.base.clone`` gives equal parameters.
    """
    cls = type(strategy)
    params = strategy.get_params(deep=False)
    signature = [
        p.name
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    missing = sorted(set(signature) - set(params))
    if missing:
        raise AssertionError(f"get_params() lacks the __init__ parameters {missing}")
    twin = fresh(strategy)
    if twin is strategy or type(twin) is not cls:
        raise AssertionError("clone did not return a new strategy of the same class")
    differ = params_differ(params, twin.get_params(deep=False))
    if differ:
        raise AssertionError(f"clone changed the parameters {differ}")
    if twin.set_params(**params) is not twin:
        raise AssertionError("set_params must return the strategy itself")
    after = twin.get_params(deep=False)
    changed = sorted(k for k in params if after.get(k) is not params[k])
    if changed:
        raise AssertionError(f"set_params did not store the parameters {changed} as given")
    try:
        twin.set_params(no_such_parameter_for_checks=1)
    except (ValueError, TypeError):
        pass
    else:
        raise AssertionError("set_params accepted an unknown parameter name")


@_check
def check_wrap_learner(strategy: Strategy, data: CheckData) -> None:
    """``wrap_learner`` returns an estimator (``fit``, ``predict_proba``) that ``clone`` copies.
    """
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    wrapped = fresh(strategy).wrap_learner(LogisticRegression())
    for method in ("fit", "predict_proba", "get_params"):
        if not callable(getattr(wrapped, method, None)):
            raise AssertionError(f"wrap_learner returned {wrapped!r}, which has no {method}()")
    copied = clone(wrapped)
    if type(copied) is not type(wrapped):
        raise AssertionError("clone of the wrapped learner changed its class")
    differ = sorted(set(copied.get_params(deep=False)) ^ set(wrapped.get_params(deep=False)))
    if differ:
        raise AssertionError(f"clone of the wrapped learner changed its parameters {differ}")


@_check
def check_fit(strategy: Strategy, data: CheckData) -> None:
    """``fit`` returns the strategy; one that ``requires_fit`` refuses to select before it.
    """
    ds = data.dataset
    known = ds.subset(np.union1d(data.initial, data.validation))
    if strategy.requires_fit:
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression().fit(ds.X[data.initial], ds.y[data.initial])
        labelled = LabelledSet(ds.X[data.initial], ds.y[data.initial], ds.groups[data.initial])
        state = QueryState(
            model=model,
            labelled=labelled,
            pool=Pool(ds.X[data.pool], ds.groups[data.pool]),
            validation=LabelledSet(
                ds.X[data.validation], ds.y[data.validation], ds.groups[data.validation]
            ),
            group_names=ds.group_names,
            feature_names=ds.feature_names,
            make_learner=LogisticRegression,
            info=ds.info,
        )
        try:
            fresh(strategy).select(state, 3, np.random.default_rng(0))
        except FairpoolError:
            pass
        else:
            raise AssertionError(
                "requires_fit is True but select worked before fit; raise a fairpool error "
                "(e.g. InvalidInputError) that says to call fit first"
            )
    strategy_copy = fresh(strategy)
    if strategy_copy.fit(known, np.random.default_rng(0)) is not strategy_copy:
        raise AssertionError("fit must return the strategy itself")


@_check
def check_select_picks(strategy: Strategy, data: CheckData) -> None:
    """``select`` returns ``k`` distinct int positions inside the pool (k = 1, 7, whole pool).
    """
    ds, pool = data.dataset, data.pool
    al = loop(fresh(strategy), data)
    X_pool, g_pool = ds.X[pool], ds.groups[pool]
    for k in (1, 7):
        seen = query(al, X_pool, g_pool, k)
        state = seen.state
        if type(state.pool) is not Pool or hasattr(state.pool, "y"):  # the loop's promise
            raise AssertionError("the loop handed select a pool with labels")
        check_picks(seen.picks, k, len(state.pool))
        if k == 1:  # label it, so the next selection is from a model that learned
            al.teach(seen.loop_picks, ds.y[pool[seen.loop_picks]])
    tiny = pool[:6]
    seen = query(al, ds.X[tiny], ds.groups[tiny], 6)
    check_picks(seen.picks, 6, 6)


@_check
def check_deterministic(strategy: Strategy, data: CheckData) -> None:
    """Two fresh copies under the same seed pick the same rows (``rng`` is the only randomness).
    """
    y = data.dataset.y
    first = campaign(fresh(strategy), data, y, seed=5)
    second = campaign(fresh(strategy), data, y, seed=5)
    if first != second:
        raise AssertionError(
            f"two runs with seed 5 picked differently: {first} vs {second}; draw random "
            "numbers only from the rng passed to select (and fit), never from np.random or "
            "random"
        )


@_check
def check_hidden_labels_do_not_matter(strategy: Strategy, data: CheckData) -> None:
    """Permuting and flipping the oracle's labels of unpicked pool rows changes no pick.
    """
    y = np.asarray(data.dataset.y)
    first = campaign(fresh(strategy), data, y, seed=1)
    picked = np.asarray([p for batch in first for p in batch], dtype=np.int64)
    hidden = np.setdiff1d(data.pool, picked)
    shuffled = y.copy()
    shuffled[hidden] = np.random.default_rng(0).permutation(y[hidden])
    half = hidden[: hidden.size // 2]
    shuffled[half] = 1 - shuffled[half]
    second = campaign(fresh(strategy), data, shuffled, seed=1)
    if first != second:
        raise AssertionError(
            f"the picks changed when only hidden pool labels changed: {first} vs {second}"
        )


@_check
def check_select_leaves_model_and_state(strategy: Strategy, data: CheckData) -> None:
    """``select`` changes neither the model, nor the state, nor the strategy's parameters.
    """
    ds, pool = data.dataset, data.pool
    strategy_copy = fresh(strategy)
    al = loop(strategy_copy, data)
    before: dict[str, Any] = {}

    def inputs(state: QueryState) -> list[np.ndarray]:
        return [state.pool.X, state.labelled.X, state.validation.X]

    def snap(state: QueryState) -> None:
        before["model"] = model_snapshot(state.model, [X.copy() for X in inputs(state)])
        before["inputs"] = [X.copy() for X in inputs(state)]
        before["state"] = state_snapshot(state)
        before["params"] = dict(strategy_copy.get_params(deep=False))

    seen = query(al, ds.X[pool], ds.groups[pool], 5, before=snap)
    state = seen.state
    model_after = model_snapshot(state.model, before["inputs"])
    changed = params_differ(before["model"]["params"], model_after["params"])
    if changed:
        raise AssertionError(f"select changed the model's parameters {changed}")
    changed = params_differ(before["model"]["fitted"], model_after["fitted"])
    if changed:
        raise AssertionError(f"select changed the model's fitted attributes {changed}")
    if not all(same(a, b) for a, b in zip(before["model"]["proba"], model_after["proba"],
                                            strict=True)):
        raise AssertionError("select changed the model's predictions (did it refit state.model?)")
    state_after = state_snapshot(state)
    old = before["state"]
    changed = [k for k in old["arrays"] if not same(old["arrays"][k], state_after["arrays"][k])]
    changed += [k for k in ("round", "group_names", "feature_names", "info", "ids")
                if not same(old[k], state_after[k])]
    if changed:
        raise AssertionError(f"select changed the state: {changed}")
    changed = params_differ(before["params"], strategy_copy.get_params(deep=False))
    if changed:
        raise AssertionError(f"select changed the strategy's parameters {changed}")


@_check
def check_last_info(strategy: Strategy, data: CheckData) -> None:
    """``last_info`` is declared and, after ``select``, a JSON-serialisable dict.
    """
    ds, pool = data.dataset, data.pool
    strategy_copy = fresh(strategy)
    if not hasattr(type(strategy_copy), "last_info"):
        raise AssertionError("last_info is not declared on the class")
    initial = strategy_copy.last_info
    if not isinstance(initial, Mapping):
        raise AssertionError(f"last_info before any selection is {initial!r}, not a dict")
    al = loop(strategy_copy, data)
    query(al, ds.X[pool], ds.groups[pool], 3)
    info = strategy_copy.last_info
    if not isinstance(info, Mapping):
        raise AssertionError(f"last_info after select is {type(info).__name__}, not a dict")
    bad_keys = [k for k in info if not isinstance(k, str)]
    if bad_keys:
        raise AssertionError(f"last_info keys must be strings, got {bad_keys}")
    try:
        json.dumps(dict(info))
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"last_info is not JSON-serialisable ({exc}): {info!r}") from exc


@_check
def check_labels_beyond_binary(strategy: Strategy, data: CheckData) -> None:
    """On 3-class labels a strategy picks validly or raises ``NonBinaryLabelError``; one
    that declares ``needs_binary_labels`` must raise it (never a library's own error).
    """
    import dataclasses

    ds = data.dataset
    y = np.asarray(ds.y).astype(np.int64).copy()
    y[::5] = 2  # a third class in every part of the data
    three = CheckData(dataclasses.replace(ds, y=y), data.initial, data.validation, data.pool)
    try:
        al = loop(fresh(strategy), three)
        seen = query(al, ds.X[data.pool], ds.groups[data.pool], 3)
    except NonBinaryLabelError:
        return
    if getattr(strategy, "needs_binary_labels", False):
        raise AssertionError("declares needs_binary_labels but selected on 3-class labels")
    check_picks(seen.picks, 3, len(data.pool))


@_check
def check_resumable(strategy: Strategy, data: CheckData) -> None:
    """A loop saved after three rounds and resumed from bytes in a new loop picks what the
    original picks next (the strategy's ``state_dict`` holds what ``select`` carries).
    """
    ds, pool = data.dataset, data.pool
    seed = 0
    original = loop(fresh(strategy), data, seed=seed)
    X_pool, g_pool = ds.X[pool], ds.groups[pool]
    taught = np.zeros(pool.shape[0], dtype=bool)
    for _ in range(_RESUME_ROUNDS):
        picks = original.query(X_pool, g_pool, _RESUME_BATCH)
        original.teach(picks, ds.y[pool[picks]])
        taught[picks] = True
    state = original.state_dict()
    try:
        saved = pack_state(state)
    except InvalidInputError as exc:
        raise AssertionError(
            f"state_dict() returned a state pack_state cannot store without pickle: {exc}"
        ) from exc
    resumed = resume(fresh(strategy), data, original, unpack_state(saved), seed=seed)
    reloaded = unpack_state(pack_state(resumed.strategy_.state_dict()))
    if not same_state(reloaded, unpack_state(saved)["strategy_state"]):
        raise AssertionError(
            "load_state_dict(state) followed by state_dict() gave another state: "
            "load_state_dict must restore everything state_dict returns"
        )
    for round_ in range(_RESUME_ROUNDS):
        expected = original.query(X_pool, g_pool, _RESUME_BATCH)
        available = np.flatnonzero(~taught)  # a new process passes only these rows
        got = available[resumed.query(X_pool[available], g_pool[available], _RESUME_BATCH)]
        if got.tolist() != expected.tolist():
            raise AssertionError(
                f"resumed from state_dict() in a fresh copy, round {round_ + 1} after the save "
                f"picked pool rows {got.tolist()}, the original {expected.tolist()}: a strategy "
                "whose select depends on earlier rounds (bandit weights, counters, a trained "
                "policy) must return that state from state_dict() and restore it in "
                "load_state_dict()"
            )
        labels = ds.y[pool[expected]]
        original.teach(expected, labels)
        resumed.teach(np.searchsorted(available, expected), labels)
        taught[expected] = True


#: Rounds before the save and after it, and their batch size, in ``check_resumable``.
_RESUME_ROUNDS, _RESUME_BATCH = 3, 4

_CHECKS: tuple[Callable[..., None], ...] = (
    check_init_stores_params,
    check_get_set_params_and_clone,
    check_wrap_learner,
    check_fit,
    check_select_picks,
    check_deterministic,
    check_hidden_labels_do_not_matter,
    check_select_leaves_model_and_state,
    check_last_info,
    check_labels_beyond_binary,
    check_resumable,
)


def all_checks() -> dict[str, Callable[..., None]]:
    """Every check by name, in the order :func:`check_strategy` runs them.

    Returns
    -------
    dict of str to callable
        ``check(strategy, *, data=None)``; each raises :class:`StrategyCheckError`.

    Examples
    --------
    >>> from fairpool.active.checks import all_checks
    >>> list(all_checks())[:2]
    ['check_init_stores_params', 'check_get_set_params_and_clone']
    """
    return {check.__name__: check for check in _CHECKS}


def _selected(checks: Iterable[str] | None) -> dict[str, Callable[..., None]]:
    available = all_checks()
    if checks is None:
        return available
    if isinstance(checks, str):
        checks = [checks]
    names = list(checks)
    unknown = sorted(set(names) - set(available))
    if unknown:
        raise InvalidInputError(f"unknown checks {unknown}; available: {list(available)}")
    return {name: available[name] for name in names}


def check_strategy(
    strategy: Strategy | type | str,
    *,
    data: Dataset | CheckData | None = None,
    checks: Iterable[str] | None = None,
) -> list[str]:
    """Check that a query strategy keeps fairpool's strategy contract.

    Runs the checks (see the module documentation) in order and stops at the first
    failure.

    Parameters
    ----------
    strategy : Strategy, Strategy subclass or str
        An instance is checked with its own parameters (on copies; it is never
        changed). A class or a registered name is built with the class's
        ``contract_test_options`` (small settings for slow strategies).
    data : Dataset or CheckData, optional
        Data to run on (binary labels, two groups for strategies that need them);
        a small deterministic synthetic task by default. See :func:`check_data`.
    checks : iterable of str, optional
        Names from :func:`all_checks` to run (default: all).

    Returns
    -------
    list of str
        The names of the checks that passed (all that were run).

    Raises
    ------
    StrategyCheckError
        A check failed; ``.check`` and ``.strategy`` (and the message) say which.
    InvalidInputError
        ``strategy`` is not a Strategy, ``checks`` names an unknown check or
        ``data`` is unusable.

    Examples
    --------
    >>> from fairpool.active.checks import check_strategy
    >>> check_strategy("entropy")[-1]
    'check_resumable'
    """
    selected = _selected(checks)
    as_strategy(strategy)  # fail early on something that is not a strategy
    for check in selected.values():
        check(strategy, data=data)
    return list(selected)


def parametrize_with_checks(
    strategies: Iterable[Strategy | type | str],
    *,
    data: Dataset | CheckData | None = None,
    checks: Iterable[str] | None = None,
) -> Any:
    """A ``pytest.mark.parametrize`` decorator over every (strategy, check) pair.

    The decorated test takes ``strategy`` and ``check`` and calls ``check(strategy)``;
    each pair is its own test case, named ``<strategy>-<check>``, so a failure says
    which strategy broke which rule. pytest is imported only when this is called.

    Parameters
    ----------
    strategies : iterable of Strategy, Strategy subclass or str
        As for :func:`check_strategy` (instances, classes or registered names).
    data : Dataset or CheckData, optional
        Passed to every check.
    checks : iterable of str, optional
        Names from :func:`all_checks` (default: all).

    Returns
    -------
    pytest.MarkDecorator

    Raises
    ------
    InvalidInputError
        ``checks`` names an unknown check.

    Examples
    --------
    >>> from fairpool.active.checks import parametrize_with_checks
    >>> @parametrize_with_checks(["entropy", "random"])  # doctest: +SKIP
    ... def test_strategy_contract(strategy, check):
    ...     check(strategy)
    """
    import pytest

    selected = _selected(checks)
    cases = []
    for strategy in strategies:
        label = strategy if isinstance(strategy, str) else label_of(strategy).split(" ")[0]
        for name, check in selected.items():
            bound = functools.partial(check, data=data)
            functools.update_wrapper(bound, check)
            cases.append(pytest.param(strategy, bound, id=f"{label}-{name}"))
    return pytest.mark.parametrize(("strategy", "check"), cases)
