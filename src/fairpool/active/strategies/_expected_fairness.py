"""Expected disparity after labelling one more example: the engine behind FAL and FACA-GEN.

For a pool candidate ``x`` whose label is unknown, the quantity is

    E_y[ D(model trained on L ∪ {(x, y)}) ] = sum_y p(y | x) · D(model_{L ∪ (x, y)})

where ``p(y | x)`` is the current model's predicted probability and ``D`` is a
group disparity (demographic parity, equalized odds or error-rate balance)
measured on a labelled reference set (``state.validation``). Two ways to get the
updated model, sharing everything else (candidate handling, reference outputs,
batched disparity, expectation over ``y``):

``method="retrain"``
    Refit ``state.make_learner()`` on ``L ∪ {(x, y)}`` for every candidate and
    label: exact for any learner, ``2·m`` fits for ``m`` candidates (the FAL
    paper's procedure; warm-started where the learner supports it).

``method="newton"``
    A closed-form Newton update of an L2-regularised binary logistic model from
    its fitted parameters, refined by a few vectorised steps towards the exact
    refit, for all candidates at once (see :class:`NewtonRefit`). The
    learner's own parameters are used when it *is* such a model (scikit-learn
    ``LogisticRegression`` with an L2 penalty, alone or at the end of a
    ``Pipeline``, or fairpool's ``TorchLinearClassifier``); for any other learner
    (trees, MLPs) a logistic *surrogate* is fitted on the labelled set and stands
    for the model in the disparity terms.

The derivation and the measured agreement of the two methods are in docs/fal.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
from scipy.special import expit

from fairpool._progress import TerminalProgress
from fairpool.active._state import QueryState, rows_output
from fairpool.active.strategies._newton_refit import (
    _BLOCK_ELEMENTS,
    DEFAULT_NEWTON_STEPS,
    NewtonRefit,
    _check_binary_labels,
    _sklearn_logistic,
)
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    NonBinaryLabelError,
    SingleGroupError,
)
from fairpool.learners import fit_with_groups
from fairpool.metrics import check_disparity_name

__all__ = [
    "FairnessName",
    "UpdateMethod",
    "NewtonRefit",
    "expected_disparity",
    "expected_disparity_change",
    "current_disparity",
    "check_fairness_name",
    "DEFAULT_NEWTON_STEPS",
]

FairnessName = Literal[
    "demographic_parity", "equalized_odds", "error_rate_balance", "error_rate_parity"
]
UpdateMethod = Literal["newton", "retrain"]
_FAIRNESS_NAMES = (
    "demographic_parity", "equalized_odds", "error_rate_balance", "error_rate_parity"
)
_METHODS = ("newton", "retrain")


# ---------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------
def check_fairness_name(fairness: str) -> str:
    """Return ``fairness`` if it names a disparity the engine supports, else raise.

    Raises
    ------
    InvalidInputError
        ``fairness`` is not one of ``FairnessName``.
    """
    return check_disparity_name(fairness, _FAIRNESS_NAMES)


def _check_options(fairness: str, method: str) -> None:
    check_fairness_name(fairness)
    if method not in _METHODS:
        raise InvalidInputError(f"method must be one of {', '.join(_METHODS)}; got {method!r}")


def _check_reference(state: QueryState) -> None:
    ref = state.validation
    if len(ref) == 0:
        raise EmptyInputError("state.validation is empty: disparity needs reference rows")
    present = np.unique(np.asarray(ref.groups))
    if present.shape[0] < 2:
        raise SingleGroupError(
            "state.validation.groups holds a single group "
            f"({[state.group_names[g] for g in present]}); disparity needs at least two"
        )


def _candidate_positions(state: QueryState, candidates: np.ndarray | None) -> np.ndarray:
    n_pool = len(state.pool)
    if candidates is None:
        if n_pool == 0:
            raise EmptyInputError("the pool is empty: there are no candidates to score")
        return np.arange(n_pool, dtype=np.int64)
    cand = np.asarray(candidates)
    if cand.ndim != 1 or (cand.size and cand.dtype.kind not in "iu"):
        raise InvalidInputError(
            f"candidates must be a 1-D array of pool positions, got shape {cand.shape} "
            f"and dtype {cand.dtype}"
        )
    if cand.size == 0:
        raise EmptyInputError("candidates is empty: there is nothing to score")
    if cand.min() < 0 or cand.max() >= n_pool:
        raise InvalidInputError(
            f"candidates must be pool positions in [0, {n_pool}), "
            f"got values in [{cand.min()}, {cand.max()}]"
        )
    return cand.astype(np.int64)


# ---------------------------------------------------------------------------
# disparity of many output vectors at once
# ---------------------------------------------------------------------------
def _disparity_batch(outputs: np.ndarray, state: QueryState, fairness: str) -> np.ndarray:
    """Disparity of each row of ``outputs`` (m, n_ref) on the reference set, shape (m,)."""
    from fairpool import metrics

    ref = state.validation
    groups = np.asarray(ref.groups)
    if fairness == "demographic_parity":
        return metrics.demographic_parity_batch(outputs, groups, n_groups=state.n_groups)
    if fairness in ("error_rate_parity", "error_rate"):  # spread of P(yhat != y | group)
        return metrics.error_rate_difference_batch(
            outputs, np.asarray(ref.y), groups, n_groups=state.n_groups
        )
    # equalized_odds and error_rate_balance (PANDA's Table 1 EB, between groups) are
    # the same quantity: the worst-case FPR / TPR gap between groups.
    return metrics.equalized_odds_batch(
        outputs, np.asarray(ref.y), groups, n_groups=state.n_groups
    )


def _positive_column(model: Any) -> int:
    classes = getattr(model, "classes_", None)
    if classes is None:
        return 1
    hits = np.flatnonzero(np.asarray(classes) == 1)
    if hits.size != 1 or len(classes) != 2:
        raise NonBinaryLabelError(
            f"expected fairness needs a binary model with classes [0, 1], got classes_={classes!r}"
        )
    return int(hits[0])


# ---------------------------------------------------------------------------
# reference outputs after adding each candidate, per update method
# ---------------------------------------------------------------------------
def _newton_disparities(
    state: QueryState,
    cand: np.ndarray,
    fairness: str,
    soft: bool,
    chunk_size: int | None,
    steps: int,
) -> tuple[np.ndarray, np.ndarray]:
    refit = NewtonRefit(state, steps=steps)
    n_ref = len(state.validation)
    chunk = chunk_size or max(1, _BLOCK_ELEMENTS // max(n_ref, 1))
    d0 = np.empty(cand.shape[0])
    d1 = np.empty(cand.shape[0])
    for start in range(0, cand.shape[0], chunk):
        rows = cand[start : start + chunk]
        logits0, logits1 = refit.reference_logits(state.pool.X[rows])
        # hard 0/1 predictions as float32: the batched metrics keep float32 (faster BLAS)
        out0 = expit(logits0) if soft else (logits0 > 0).astype(np.float32)
        out1 = expit(logits1) if soft else (logits1 > 0).astype(np.float32)
        d0[start : start + rows.shape[0]] = _disparity_batch(out0, state, fairness)
        d1[start : start + rows.shape[0]] = _disparity_batch(out1, state, fairness)
    return d0, d1


def _warm_start_from(learner: Any, model: Any) -> None:
    """Start ``learner`` (a fresh copy of the loop's learner) at ``model``'s parameters.

    Only for scikit-learn logistic regressions with a solver that honours
    ``warm_start``: the refit then converges in a few iterations to the same
    optimum. Other learners are refitted from scratch.
    """
    found_new = _sklearn_logistic(learner)
    found_old = _sklearn_logistic(model)
    if found_new is None or found_old is None or found_new[0].solver == "liblinear":
        return
    if found_new[1] is not None or found_old[1] is not None:
        return  # a pipeline refits its preprocessing, so the old parameters are in other units
    lr, old = found_new[0], found_old[0]
    if getattr(old, "coef_", None) is None:
        return
    lr.set_params(warm_start=True)
    lr.coef_ = old.coef_.copy()
    lr.intercept_ = old.intercept_.copy()


#: Candidates from which exact refits show a progress bar (to a person watching).
_PROGRESS_MIN_CANDIDATES = 50


def _refit_outputs(state: QueryState, cand: np.ndarray, soft: bool) -> Iterator[np.ndarray]:
    """Yield, per label 0 and 1, the (m, n_ref) reference outputs of exact refits.

    A Python loop over candidates by necessity: each candidate and label is a
    separate training run of the loop's learner (the reference FAL procedure).
    Learners whose ``fit`` takes ``sensitive_features`` (fairness reductions,
    adversarial debiasing) get the group codes of the rows, as the loop gives them.
    """
    X_lab = np.asarray(state.labelled.X)
    y_lab = np.asarray(state.labelled.y)
    X_fit = np.empty((X_lab.shape[0] + 1, X_lab.shape[1]), dtype=X_lab.dtype)
    X_fit[:-1] = X_lab
    g_fit = np.append(np.asarray(state.labelled.groups), 0)
    # clusters travel with the rows (a mixed-effects learner's fit needs them)
    c_lab, c_pool = state.labelled.clusters, state.pool.clusters
    c_fit = None if c_lab is None or c_pool is None else np.append(np.asarray(c_lab), 0)
    # 2·m fits take seconds to minutes (20 s for one query of 500 candidates on Adult)
    bar = TerminalProgress("FAL: exact refits", 2 * cand.shape[0], unit="refits",
                           show=None if cand.shape[0] >= _PROGRESS_MIN_CANDIDATES else False)
    for label in (0, 1):
        y_fit = np.append(y_lab, label).astype(y_lab.dtype)
        out = np.empty((cand.shape[0], len(state.validation)))
        for i, c in enumerate(cand):
            X_fit[-1] = state.pool.X[c]
            g_fit[-1] = state.pool.groups[c]
            if c_fit is not None:
                c_fit[-1] = c_pool[c]
            learner = state.make_learner()
            _warm_start_from(learner, state.model)
            fit_with_groups(learner, X_fit, y_fit, g_fit.copy(),
                            clusters=None if c_fit is None else c_fit.copy())
            if soft:
                out[i] = rows_output(learner, "predict_proba", state.validation)[
                    :, _positive_column(learner)
                ]
            else:
                out[i] = rows_output(learner, "predict", state.validation)
            bar.advance()
        yield out
    bar.close()


def _retrain_disparities(
    state: QueryState, cand: np.ndarray, fairness: str, soft: bool
) -> tuple[np.ndarray, np.ndarray]:
    d0, d1 = (_disparity_batch(out, state, fairness) for out in _refit_outputs(state, cand, soft))
    return d0, d1


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------
def expected_disparity(
    state: QueryState,
    *,
    candidates: np.ndarray | None = None,
    fairness: FairnessName = "demographic_parity",
    method: UpdateMethod = "newton",
    soft: bool = False,
    chunk_size: int | None = None,
    newton_steps: int = DEFAULT_NEWTON_STEPS,
) -> np.ndarray:
    """Expected disparity on the reference set after labelling each candidate.

    ``E_y[D] = p(0 | x)·D(model after adding (x, 0)) + p(1 | x)·D(model after adding (x, 1))``
    with ``p(y | x)`` from ``state.pool_proba`` (the loop's current model).

    Parameters
    ----------
    state : QueryState
        The loop's state. Labels must be binary 0/1; ``state.validation`` is the
        reference set and must hold at least two groups.
    candidates : ndarray of int, optional
        Pool positions to score; all of the pool by default.
    fairness : {"demographic_parity", "equalized_odds", "error_rate_balance", "error_rate_parity"}
        The disparity ``D`` (lower is fairer), computed by the batched metrics of
        :mod:`fairpool.metrics`.
    method : {"newton", "retrain"}, default="newton"
        ``"retrain"`` refits ``state.make_learner()`` per candidate and label
        (exact, slow); ``"newton"`` uses one closed-form Newton step of a logistic
        model for all candidates at once (:class:`NewtonRefit`), with a logistic
        surrogate fitted on the labelled set when the learner is not logistic.
    soft : bool, default=False
        Measure disparity on predicted probabilities instead of hard 0/1
        predictions (smooth in the candidate, so fewer ties).
    chunk_size : int, optional
        Candidates per block in the Newton path; by default blocks of about 2**22
        (candidate, reference row) pairs, which bounds memory at any pool size.
    newton_steps : int, default=DEFAULT_NEWTON_STEPS (3)
        Update steps of :class:`NewtonRefit` (``method="newton"`` only): 1 is the
        closed form; more steps refine each candidate's parameters towards the exact
        refit at the cost of explicit per-candidate parameters.

    Returns
    -------
    ndarray of float, shape (m,)
        Expected disparity for each candidate, in the order of ``candidates``.

    Raises
    ------
    InvalidInputError
        Unknown ``fairness`` or ``method``, or bad ``candidates``.
    EmptyInputError
        Empty pool, candidates or reference set.
    SingleGroupError
        The reference set holds one group only.
    NonBinaryLabelError
        Labels or the model's classes are not binary 0/1.
    """
    _check_options(fairness, method)
    _check_reference(state)
    cand = _candidate_positions(state, candidates)
    _check_binary_labels(np.asarray(state.labelled.y))
    if chunk_size is not None and (isinstance(chunk_size, bool) or int(chunk_size) < 1):
        raise InvalidInputError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    p1 = state.pool_proba[cand, _positive_column(state.model)]
    if method == "newton":
        d0, d1 = _newton_disparities(state, cand, fairness, soft, chunk_size, newton_steps)
    else:
        d0, d1 = _retrain_disparities(state, cand, fairness, soft)
    return (1.0 - p1) * d0 + p1 * d1


def current_disparity(
    state: QueryState,
    *,
    fairness: FairnessName = "demographic_parity",
    method: UpdateMethod = "newton",
    soft: bool = False,
) -> float:
    """Disparity of the current model on the reference set, as ``method`` sees it.

    For ``"retrain"`` this is the loop's model itself. For ``"newton"`` it is the
    logistic model the update acts on (the learner's parameters, or the surrogate)
    after the same Newton step on the labelled set alone (identical at the optimum),
    so a candidate that moves nothing has a change of exactly zero.

    Parameters
    ----------
    state : QueryState
    fairness : {"demographic_parity", "equalized_odds", "error_rate_balance", "error_rate_parity"}
    method : {"newton", "retrain"}
    soft : bool
        Probabilities instead of hard predictions.

    Returns
    -------
    float
    """
    _check_options(fairness, method)
    _check_reference(state)
    if method == "newton":
        logits = NewtonRefit(state, steps=1).current_logits  # steps only move candidates
        out = expit(logits) if soft else (logits > 0).astype(np.float32)
    elif soft:
        out = rows_output(state.model, "predict_proba", state.validation)[
            :, _positive_column(state.model)
        ]
    else:
        out = rows_output(state.model, "predict", state.validation)
    return float(_disparity_batch(out[None, :], state, fairness)[0])


def expected_disparity_change(
    state: QueryState,
    *,
    candidates: np.ndarray | None = None,
    fairness: FairnessName = "demographic_parity",
    method: UpdateMethod = "newton",
    soft: bool = False,
    chunk_size: int | None = None,
    newton_steps: int = DEFAULT_NEWTON_STEPS,
) -> np.ndarray:
    """Expected change of disparity from labelling each candidate (negative = fairer).

    ``expected_disparity(...) - current_disparity(...)`` with the same options; see
    those two functions for the parameters.

    Returns
    -------
    ndarray of float, shape (m,)
    """
    after = expected_disparity(
        state,
        candidates=candidates,
        fairness=fairness,
        method=method,
        soft=soft,
        chunk_size=chunk_size,
        newton_steps=newton_steps,
    )
    return after - current_disparity(state, fairness=fairness, method=method, soft=soft)
