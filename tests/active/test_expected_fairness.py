"""The expected-fairness engine: the Newton update against real refits, both methods
against a brute-force loop, and bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from fairlearn.metrics import (
    demographic_parity_difference,
    equalized_odds_difference,
    zero_one_loss_difference,
)
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from fairpool.active import LabelledSet, Pool, QueryState
from fairpool.active.strategies import (
    NewtonRefit,
    current_disparity,
    expected_disparity,
    expected_disparity_change,
)
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    NonBinaryLabelError,
    SingleGroupError,
)


def _synthetic(seed: int, n: int, d: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows whose label depends on the features and, as a bias, on the group."""
    rng = np.random.default_rng(seed)
    groups = (rng.random(n) < 0.4).astype(np.int64)
    X = rng.normal(size=(n, d)) + 0.5 * groups[:, None] * (np.arange(d) == 1)
    y = (X[:, 0] - 0.5 * X[:, 2] + 0.9 * groups + rng.normal(scale=0.8, size=n) > 0.4)
    return X, y.astype(np.int64), groups


def _tight_logreg(**options) -> LogisticRegression:
    return LogisticRegression(tol=1e-10, max_iter=5000, **options)


def _state(
    *,
    seed: int = 0,
    n_labelled: int = 200,
    n_pool: int = 40,
    n_ref: int = 300,
    make_learner=_tight_logreg,
    model=None,
    d: int = 5,
) -> QueryState:
    X, y, g = _synthetic(seed, n_labelled + n_pool + n_ref, d)
    lab = slice(0, n_labelled)
    pool = slice(n_labelled, n_labelled + n_pool)
    ref = slice(n_labelled + n_pool, None)
    fitted = (make_learner() if model is None else model).fit(X[lab], y[lab])
    return QueryState(
        model=fitted,
        labelled=LabelledSet(X[lab], y[lab], g[lab]),
        pool=Pool(X[pool], g[pool]),
        validation=LabelledSet(X[ref], y[ref], g[ref]),
        group_names=("a", "b"),
        feature_names=tuple(f"x{i}" for i in range(d)),
        make_learner=make_learner,
    )


def _refit_parameters(state: QueryState, row: int, label: int, learner) -> np.ndarray:
    X = np.vstack([state.labelled.X, state.pool.X[row]])
    y = np.append(state.labelled.y, label)
    fitted = learner().fit(X, y)
    return np.append(fitted.coef_[0], fitted.intercept_[0])


# ---------------------------------------------------------------------------
# the Newton step against actual refits
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "options",
    [{}, {"C": 0.3}, {"C": 5.0, "class_weight": {0: 1.0, 1: 2.5}}, {"fit_intercept": False}],
)
def test_newton_step_matches_sklearn_refit(options):
    def learner():
        return _tight_logreg(**options)

    state = _state(make_learner=learner)
    one_step, refined = NewtonRefit(state, steps=1), NewtonRefit(state, steps=4)
    theta = np.append(state.model.coef_[0], state.model.intercept_[0])
    assert not one_step.surrogate
    for label in (0, 1):
        shifts = one_step.parameter_shift(state.pool.X[:8], label)
        refined_shifts = refined.parameter_shift(state.pool.X[:8], label)
        for row in range(8):
            true_shift = _refit_parameters(state, row, label, learner) - theta
            scale = np.abs(true_shift).max()
            # the closed form is second-order accurate: within several percent of the shift
            assert np.abs(shifts[row] - true_shift).max() <= 0.1 * scale + 1e-7
            # refinement steps converge to the refit itself
            assert np.abs(refined_shifts[row] - true_shift).max() <= 1e-3 * scale + 1e-7


def test_closed_form_beats_first_order_influence_on_surprising_labels():
    """Solving the new row's own loss exactly matters most when the label is a surprise."""
    state = _state()
    refit = NewtonRefit(state, steps=1)
    theta = np.append(state.model.coef_[0], state.model.intercept_[0])
    proba = state.model.predict_proba(state.pool.X)[:, 1]
    surprising = np.flatnonzero(np.abs(proba - 0.5) > 0.35)[:8]
    assert surprising.size >= 4
    H_inv = refit._h_inv
    closed_err, influence_err = [], []
    for row in surprising:
        label = int(proba[row] < 0.5)  # the label the model finds unlikely
        true_shift = _refit_parameters(state, row, label, _tight_logreg) - theta
        x = np.append(state.pool.X[row], 1.0)
        influence = -H_inv @ x * (proba[row] - label)
        closed = refit.parameter_shift(state.pool.X[row : row + 1], label)[0]
        closed_err.append(np.abs(closed - true_shift).max())
        influence_err.append(np.abs(influence - true_shift).max())
    assert np.mean(closed_err) < 0.8 * np.mean(influence_err)


def test_newton_step_matches_liblinear_refit():
    """liblinear penalises its intercept column (scaled by intercept_scaling)."""

    def learner():
        return LogisticRegression(
            solver="liblinear", tol=1e-10, max_iter=5000, intercept_scaling=2.0
        )

    state = _state(make_learner=learner)
    refit = NewtonRefit(state, steps=4)
    theta = np.append(state.model.coef_[0], state.model.intercept_[0])
    shifts = refit.parameter_shift(state.pool.X[:5], 0)
    for row in range(5):
        true_shift = _refit_parameters(state, row, 0, learner) - theta
        assert np.abs(shifts[row] - true_shift).max() <= 1e-3 * np.abs(true_shift).max() + 1e-7


def test_reference_logits_match_refit_decision_function():
    state = _state()
    logits0, logits1 = NewtonRefit(state).reference_logits(state.pool.X[:4])
    for row in range(4):
        for label, logits in ((0, logits0), (1, logits1)):
            X = np.vstack([state.labelled.X, state.pool.X[row]])
            fitted = _tight_logreg().fit(X, np.append(state.labelled.y, label))
            np.testing.assert_allclose(
                logits[row], fitted.decision_function(state.validation.X), atol=5e-3
            )


def test_newton_step_matches_torch_linear_refit():
    torch_classifier = pytest.importorskip("fairpool.learners._torch_classifier")

    def learner():
        return torch_classifier.TorchLinearClassifier(
            weight_decay=5e-3, dtype="float64", device="cpu", tol=1e-10, max_iter=300
        )

    state = _state(make_learner=learner, n_labelled=100, n_pool=2, n_ref=10)
    refit = NewtonRefit(state, steps=4)
    theta = np.append(state.model.coef_[0], state.model.intercept_[0])
    shifts = refit.parameter_shift(state.pool.X[:2], 1)
    for row in range(2):
        true_shift = _refit_parameters(state, row, 1, learner) - theta
        # the penalty grows from n·wd to (n + 1)·wd with the new row: a wrong reading of
        # the torch objective would leave an error of the size of the shift itself
        assert np.abs(shifts[row] - true_shift).max() <= 1e-3 * np.abs(true_shift).max() + 1e-6


def test_surrogate_is_a_standardised_logistic_fit_on_the_labelled_set():
    """A tree has no Newton step: the engine falls back to a C=1 standardised logistic fit."""
    tree_state = _state(model=DecisionTreeClassifier(max_depth=3, random_state=0))
    pipe = make_pipeline(StandardScaler(), _tight_logreg(C=1.0))
    pipe_state = _state(model=pipe)
    tree_refit, pipe_refit = NewtonRefit(tree_state), NewtonRefit(pipe_state)
    assert tree_refit.surrogate and not pipe_refit.surrogate
    np.testing.assert_allclose(tree_refit.theta, pipe_refit.theta, atol=1e-5)
    for a, b in zip(
        tree_refit.reference_logits(tree_state.pool.X),
        pipe_refit.reference_logits(pipe_state.pool.X),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, atol=1e-4)


# ---------------------------------------------------------------------------
# expected disparity against a brute-force loop
# ---------------------------------------------------------------------------
def _brute_force_expected(state: QueryState, metric) -> np.ndarray:
    """sum_y p(y|x) · metric(refit on L ∪ {(x, y)}), one fairlearn call per candidate."""
    ref = state.validation
    proba = state.model.predict_proba(state.pool.X)
    out = np.empty(len(state.pool))
    for row in range(len(state.pool)):
        total = 0.0
        for label in (0, 1):
            X = np.vstack([state.labelled.X, state.pool.X[row]])
            fitted = state.make_learner().fit(X, np.append(state.labelled.y, label))
            value = metric(ref.y, fitted.predict(ref.X), sensitive_features=ref.groups)
            total += proba[row, label] * value
        out[row] = total
    return out


@pytest.mark.parametrize(
    ("fairness", "metric"),
    [
        ("demographic_parity", demographic_parity_difference),
        ("equalized_odds", equalized_odds_difference),
        ("error_rate_balance", equalized_odds_difference),  # PANDA's EB = EO between groups
        ("error_rate_parity", zero_one_loss_difference),
    ],
)
def test_retrain_method_equals_brute_force_loop(fairness, metric):
    # a tightly converged solver, so that warm-started and cold refits agree
    state = _state(
        n_pool=12,
        n_labelled=80,
        make_learner=lambda: LogisticRegression(solver="newton-cholesky", tol=1e-10),
    )
    expected = _brute_force_expected(state, metric)
    got = expected_disparity(state, fairness=fairness, method="retrain")
    np.testing.assert_allclose(got, expected, atol=1e-3)


def test_newton_rank_correlates_with_retrain():
    state = _state(n_pool=60, n_labelled=120, n_ref=400)
    for soft in (False, True):
        retrain = expected_disparity(state, method="retrain", soft=soft)
        newton = expected_disparity(state, method="newton", soft=soft)
        assert spearmanr(newton, retrain)[0] > 0.95
        assert np.abs(newton - retrain).max() < 2e-3


def test_newton_chunking_does_not_change_the_result():
    state = _state(n_pool=50)
    whole = expected_disparity(state, method="newton")
    chunked = expected_disparity(state, method="newton", chunk_size=7)
    np.testing.assert_array_equal(whole, chunked)


def test_candidates_select_and_order_the_output():
    state = _state(n_pool=30)
    whole = expected_disparity(state, method="newton")
    picked = np.array([5, 2, 29])
    np.testing.assert_allclose(expected_disparity(state, candidates=picked), whole[picked])


def test_change_is_expected_minus_current_disparity():
    state = _state(n_pool=20)
    for method in ("newton", "retrain"):
        change = expected_disparity_change(state, method=method)
        after = expected_disparity(state, method=method)
        now = current_disparity(state, method=method)
        np.testing.assert_allclose(change, after - now)
    fitted_dp = demographic_parity_difference(
        state.validation.y,
        state.model.predict(state.validation.X),
        sensitive_features=state.validation.groups,
    )
    assert current_disparity(state, method="retrain") == pytest.approx(fitted_dp)
    # the tightly fitted model is at its optimum, so the Newton baseline is the model itself
    assert current_disparity(state, method="newton") == pytest.approx(fitted_dp)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
def test_unknown_fairness_or_method_is_rejected():
    state = _state(n_pool=5)
    with pytest.raises(InvalidInputError, match="fairness"):
        expected_disparity(state, fairness="parity")
    with pytest.raises(InvalidInputError, match="method"):
        expected_disparity(state, method="exact")


def test_single_group_reference_is_rejected():
    state = _state(n_pool=5)
    ref = state.validation
    one_group = LabelledSet(ref.X, ref.y, np.zeros_like(ref.groups))
    bad = replace(state, validation=one_group)
    with pytest.raises(SingleGroupError, match="single group"):
        expected_disparity(bad)


def test_empty_pool_and_bad_candidates_are_rejected():
    state = _state(n_pool=5)
    empty = replace(state, pool=Pool(state.pool.X[:0], state.pool.groups[:0]))
    with pytest.raises(EmptyInputError, match="pool is empty"):
        expected_disparity(empty)
    with pytest.raises(EmptyInputError, match="candidates"):
        expected_disparity(state, candidates=np.array([], dtype=np.int64))
    with pytest.raises(InvalidInputError, match="candidates"):
        expected_disparity(state, candidates=np.array([0, 5]))
    with pytest.raises(InvalidInputError, match="chunk_size"):
        expected_disparity(state, chunk_size=0)


def test_non_binary_labels_are_rejected():
    state = _state(n_pool=5)
    lab = state.labelled
    three = LabelledSet(lab.X, np.where(np.arange(len(lab)) % 7 == 0, 2, lab.y), lab.groups)
    with pytest.raises(NonBinaryLabelError, match="binary"):
        expected_disparity(replace(state, labelled=three))


class _GroupAwareLogReg(LogisticRegression):
    """A learner whose fit takes sensitive_features (like fairness reductions); it
    records what it was given and upweights group 1 so the groups change the fit."""

    seen: list = []

    def fit(self, X, y, sensitive_features=None):
        if sensitive_features is None:  # the state's own model, fitted by the test
            return super().fit(X, y)
        type(self).seen.append(np.asarray(sensitive_features).copy())
        weight = np.where(np.asarray(sensitive_features) == 1, 2.0, 1.0)
        return super().fit(X, y, sample_weight=weight)


def test_retrain_passes_group_codes_to_learners_that_take_them():
    state = _state(n_pool=3, n_labelled=60, make_learner=_GroupAwareLogReg)
    _GroupAwareLogReg.seen.clear()
    expected_disparity(state, method="retrain")
    assert len(_GroupAwareLogReg.seen) == 6  # 3 candidates x 2 labels
    for i, groups in enumerate(_GroupAwareLogReg.seen):
        np.testing.assert_array_equal(groups[:-1], state.labelled.groups)
        assert groups[-1] == state.pool.groups[i % 3]
