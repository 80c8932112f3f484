"""The closed-form refit of a logistic model after one more labelled row, for every
candidate at once: the ``method="newton"`` path of :mod:`._expected_fairness`.

For an L2-regularised binary logistic model fitted on ``L``, adding ``(x, y)`` moves the
optimum by one Newton step ``-H^{-1} g`` from the current parameters (``H`` the Hessian
of the penalised loss on ``L``, ``g`` the gradient of the new row's loss); a few further
vectorised steps refine every candidate's parameters towards its exact refit.
:class:`NewtonRefit` does this for ``m`` candidates in blocks, and gives the reference
set's logits under each candidate's two hypothetical labels. The learner's own
parameters are read when it is such a model (scikit-learn ``LogisticRegression`` with
an L2 penalty, alone or at the end of a ``Pipeline``, or fairpool's
``TorchLinearClassifier``); otherwise a logistic surrogate is fitted on the labelled set.
The derivation and the measured agreement with exact refits are in docs/fal.md.

Hand-written: scikit-learn refits one model per call; no library batches the update
over candidates.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import linalg
from scipy.special import expit

from fairpool.active._state import QueryState
from fairpool.errors import (
    InvalidInputError,
)
from fairpool.metrics import check_binary_labels

__all__ = ["DEFAULT_NEWTON_STEPS", "NewtonRefit"]

#: Update steps of :class:`NewtonRefit` used by default: the smallest number that
#: reproduced exact FAL's picks in the agreement benchmark (docs/fal.md).
DEFAULT_NEWTON_STEPS = 3
# Elements of one (candidates x reference rows) block in the Newton path: 2**22
# float32 values are 16 MiB, so the few live blocks stay under 100 MiB at any pool
# size (the refinement's (labelled rows x candidates) arrays are of the same order).
_BLOCK_ELEMENTS = 1 << 22


# ---------------------------------------------------------------------------
# the logistic model the Newton update acts on
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _LogisticForm:
    """A fitted binary logistic model written as ``sum_i s_i l_i + mu/2 ||w||^2``.

    ``theta`` holds the weights followed by the intercept (0 and unused when the
    model has none); ``penalty_cur`` / ``penalty_new`` are ``mu`` for the objective
    on ``L`` and on ``L`` plus one row (they differ only for learners whose penalty
    is relative to a mean loss); ``class_weight`` is ``s`` for labels 0 and 1.
    """

    theta: np.ndarray
    fit_intercept: bool
    penalise_intercept: bool
    intercept_column: float
    penalty_cur: float
    penalty_new: float
    class_weight: np.ndarray
    preprocess: Callable[[np.ndarray], np.ndarray] | None
    surrogate: bool

    def design(self, X: np.ndarray) -> np.ndarray:
        """Features as the logistic model sees them, with the intercept column appended."""
        Z = np.asarray(X if self.preprocess is None else self.preprocess(X), dtype=np.float64)
        column = np.full((Z.shape[0], 1), self.intercept_column if self.fit_intercept else 0.0)
        return np.hstack([Z, column])

    def penalty_mask(self) -> np.ndarray:
        """1 for penalised parameters, 0 for an unpenalised intercept.

        Without an intercept its slot is a zero column; penalising it keeps the
        Hessian well conditioned and the slot at exactly zero.
        """
        mask = np.ones(self.theta.shape[0])
        if self.fit_intercept and not self.penalise_intercept:
            mask[-1] = 0.0
        return mask


def _class_weights(class_weight: Any, y: np.ndarray) -> np.ndarray:
    """Per-label weights ``s_0, s_1`` of a scikit-learn ``class_weight`` option.

    ``"balanced"`` is evaluated on the current labelled labels and held fixed for
    the added row (a refit would recompute it with one more row: a 1/n effect).
    """
    if class_weight is None:
        return np.ones(2)
    if isinstance(class_weight, str) and class_weight == "balanced":
        counts = np.bincount(y.astype(np.int64), minlength=2).astype(np.float64)
        return y.shape[0] / (2.0 * np.maximum(counts, 1.0))
    return np.array([float(class_weight.get(0, 1.0)), float(class_weight.get(1, 1.0))])


def _sklearn_logistic(model: Any) -> tuple[Any, Callable[[np.ndarray], np.ndarray] | None] | None:
    """``(LogisticRegression, preprocess)`` when ``model`` is one (or a Pipeline ending in one)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    if isinstance(model, LogisticRegression):
        return model, None
    if isinstance(model, Pipeline) and isinstance(model[-1], LogisticRegression):
        return model[-1], model[:-1].transform
    return None


def _is_l2_logistic(lr: Any) -> bool:
    penalty = getattr(lr, "penalty", "deprecated")
    l1_ratio = getattr(lr, "l1_ratio", 0.0)
    return (
        getattr(lr, "coef_", None) is not None
        and lr.coef_.shape[0] == 1
        and penalty in ("deprecated", "l2", None)
        and (l1_ratio in (None, 0, 0.0) or penalty is None)
    )


def _logistic_form(state: QueryState) -> _LogisticForm:
    """The model's own logistic parameters, or a logistic surrogate fitted on ``L``."""
    y = np.asarray(state.labelled.y)
    n = y.shape[0]
    found = _sklearn_logistic(state.model)
    if found is not None and _is_l2_logistic(found[0]):
        lr, preprocess = found
        liblinear = lr.solver == "liblinear"
        scaling = float(lr.intercept_scaling) if liblinear else 1.0
        intercept = float(lr.intercept_[0]) / scaling if lr.fit_intercept else 0.0
        # scikit-learn minimises C·sum_i s_i l_i + ||w||^2/2, i.e. sum_i s_i l_i + ||w||^2/(2C).
        mu = 0.0 if lr.penalty is None or not np.isfinite(lr.C) else 1.0 / float(lr.C)
        return _LogisticForm(
            theta=np.append(lr.coef_[0].astype(np.float64), intercept),
            fit_intercept=bool(lr.fit_intercept),
            penalise_intercept=liblinear,  # liblinear penalises its synthetic intercept column
            intercept_column=scaling,
            penalty_cur=mu,
            penalty_new=mu,
            class_weight=_class_weights(lr.class_weight, y),
            preprocess=preprocess,
            surrogate=False,
        )
    torch_module = sys.modules.get("fairpool.learners._torch_classifier")
    if (
        torch_module is not None
        and isinstance(state.model, torch_module.TorchLinearClassifier)
        and state.model.coef_.shape[0] == 1
    ):
        m = state.model
        # Its loss is mean(l_i) + wd/2 ||W||^2; times the row count it is sum l_i + n·wd/2 ||W||^2,
        # so one more row raises the penalty from n·wd to (n + 1)·wd.
        wd = float(m.weight_decay)
        return _LogisticForm(
            theta=np.append(m.coef_[0], m.intercept_[0]),
            fit_intercept=True,
            penalise_intercept=False,
            intercept_column=1.0,
            penalty_cur=wd * n,
            penalty_new=wd * (n + 1),
            class_weight=np.ones(2),
            preprocess=None,
            surrogate=False,
        )
    return _surrogate_form(state)


def _surrogate_form(state: QueryState) -> _LogisticForm:
    """A standardised L2 logistic regression (C=1) fitted on the labelled set.

    Used when the loop's learner is not a logistic model (xgboost, an MLP): the
    Newton update needs a model with a closed-form curvature, and the surrogate is
    the closest cheap one. Its own predictions then stand for the model's in the
    disparity terms (the weights ``p(y | x)`` still come from the real model).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.asarray(state.labelled.X, dtype=np.float64)
    y = np.asarray(state.labelled.y)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000, tol=1e-8))
    pipe.fit(X, y)
    lr = pipe[-1]
    return _LogisticForm(
        theta=np.append(lr.coef_[0], lr.intercept_[0]),
        fit_intercept=True,
        penalise_intercept=False,
        intercept_column=1.0,
        penalty_cur=1.0,
        penalty_new=1.0,
        class_weight=np.ones(2),
        preprocess=pipe[:-1].transform,
        surrogate=True,
    )


def _new_row_margin(start: np.ndarray, scale: np.ndarray, label: int) -> np.ndarray:
    """Solve ``z = start - scale · (σ(z) - label)`` for each candidate (vectorised).

    The left side minus the right is increasing in ``z``, so the root is unique and
    lies between ``start`` and ``start + scale`` (label 1) or ``start - scale``
    (label 0); safeguarded Newton iterations (bisection when a step leaves the
    bracket or stalls) find it to ~1e-10 in a handful of iterations. The first
    Newton iterate is the one-step Newton update with Sherman-Morrison.
    """
    z = start.copy()
    if label == 1:
        low, high = start.copy(), start + scale
    else:
        low, high = start - scale, start.copy()
    previous_step = high - low
    for _ in range(100):
        p = expit(z)
        residual = z - start + scale * (p - label)
        done = np.abs(residual) <= 1e-10 * (1.0 + np.abs(z))
        if done.all():
            break
        low = np.where(residual < 0, z, low)
        high = np.where(residual > 0, z, high)
        step = residual / (1.0 + scale * p * (1.0 - p))
        newton = z - step
        # Newton where it stays in the bracket and its step at least halves the step
        # before last (the rtsafe rule); bisection otherwise, so the loop cannot cycle.
        use_newton = (newton > low) & (newton < high) & (2.0 * np.abs(step) <= previous_step)
        bisection = 0.5 * (low + high)
        previous_step = np.where(use_newton, np.abs(step), np.abs(bisection - z))
        # converged candidates stay put (a bisection would throw them back into the bracket)
        z = np.where(done, z, np.where(use_newton, newton, bisection))
    return z


def _sigmoid32(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic function of a float32 array as ``(1 + tanh(z/2)) / 2``.

    Written out because numpy's float32 ``tanh`` is vectorised and about twice as
    fast as ``scipy.special.expit`` here, and it cannot overflow.
    """
    out = np.multiply(z, np.float32(0.5), out=out)
    np.tanh(out, out=out)
    out *= np.float32(0.5)
    out += np.float32(0.5)
    return out


class NewtonRefit:
    """Closed-form refit of a fitted binary L2-logistic model after adding one labelled row.

    With ``θ`` the fitted parameters (weights and intercept), the training objective
    on the labelled set ``L`` is ``J(θ) = sum_i s_i l(x_i, y_i; θ) + mu/2 ||w||^2``
    (scikit-learn's ``C·sum l + ||w||^2/2`` divided by ``C``). Adding ``(x_c, y)``
    adds ``s_y l(x̃_cᵀθ, y)``. The update minimises the Newton (second-order) model of
    ``J`` around ``θ`` plus the *exact* loss of the new row:

        min_Δ  gᵀΔ + ½ ΔᵀHΔ + s_y l(x̃_cᵀ(θ + Δ), y)

    with ``H``, ``g`` the Hessian and gradient of ``J`` at ``θ`` (``g ≈ 0`` at the
    optimum) and ``x̃ = (x, 1)``. Setting the gradient to zero gives
    ``Δ = -δ - s_y (σ(z) - y) v_c`` with ``δ = H⁻¹g``, ``v_c = H⁻¹x̃_c`` and the new
    margin ``z = x̃_cᵀ(θ + Δ)`` the root of the scalar equation
    ``z = x̃_cᵀ(θ - δ) - s_y h_c (σ(z) - y)``, ``h_c = x̃_cᵀH⁻¹x̃_c`` (solved per
    candidate, vectorised). Its first Newton iterate is the one-step Newton update
    with the new row's curvature by Sherman-Morrison; the first-order influence
    function drops that curvature too. Reference logits then move by ``X̃_ref Δ``:
    one ``(n_ref × m)`` product ``X̃_ref H⁻¹ X̃_candᵀ`` for all candidates and both
    labels.

    ``steps > 1`` repeats the update from each candidate's new parameters with the
    exact gradient of ``J`` there (and the same ``H``), then moves to the exact
    minimum of the new objective along that direction (a 1-D Newton line search):
    a fixed point satisfies the refit's optimality condition, and no step can
    make the objective worse, so each step closes more of the gap, for the price
    of explicit per-candidate parameters (three ``(n_L × d) · (d × m)`` products
    and a few sigmoid passes over the labelled rows per step).

    Parameters
    ----------
    state : QueryState
        The loop's state; its model (or a logistic surrogate, see
        :func:`expected_disparity`), labelled set and validation set are used.
    steps : int, default=DEFAULT_NEWTON_STEPS (3)
        Update steps (see above); 1 is the closed form alone.

    Attributes
    ----------
    surrogate : bool
        True when the loop's model is not a logistic model and a surrogate fitted
        on the labelled set is used instead.
    theta : ndarray of shape (d + 1,)
        Parameters the update starts from (weights, then intercept).
    current_logits : ndarray of shape (n_ref,)
        Reference logits of the model on ``L`` alone after the same update (the
        fitted model's own at the optimum): the baseline of a candidate's change.
    """

    def __init__(self, state: QueryState, *, steps: int = DEFAULT_NEWTON_STEPS) -> None:
        if isinstance(steps, bool) or int(steps) != steps or steps < 1:
            raise InvalidInputError(f"steps must be a positive integer, got {steps!r}")
        self.steps = int(steps)
        y = np.asarray(state.labelled.y).astype(np.int64)
        _check_binary_labels(y)
        self._form = form = _logistic_form(state)
        self.surrogate = form.surrogate
        self.theta = form.theta
        X_lab = form.design(state.labelled.X)
        weight = form.class_weight[y]
        self._X_lab32 = X_lab.astype(np.float32)
        self._y_lab32 = y.astype(np.float32)
        self._weight_lab32 = weight.astype(np.float32)
        self._mask = mask = form.penalty_mask()
        p = expit(X_lab @ form.theta)
        # Hessian and gradient of the data term on L (shared by both objectives).
        data_hessian = (X_lab * (weight * p * (1.0 - p))[:, None]).T @ X_lab
        data_gradient = X_lab.T @ (weight * (p - y))
        # A tiny ridge keeps an unpenalised (C = inf) or separable problem solvable.
        jitter = 1e-10 * max(1.0, float(np.trace(data_hessian)))

        def solve(penalty: float, rhs: np.ndarray) -> np.ndarray:
            factor = linalg.cho_factor(data_hessian + np.diag(penalty * mask + jitter))
            return linalg.cho_solve(factor, rhs)

        eye = np.eye(self.theta.shape[0])
        self._h_inv = solve(form.penalty_new, eye)  # H⁻¹ of the objective with one more row
        self._delta = self._h_inv @ (data_gradient + form.penalty_new * mask * form.theta)
        current_gradient = data_gradient + form.penalty_cur * mask * form.theta
        current_delta = solve(form.penalty_cur, current_gradient)
        X_ref = form.design(state.validation.X)
        # The (candidates x reference rows) products run in float32: twice the BLAS speed,
        # and a logit error near 1e-6 moves a hard prediction only for rows that close to
        # the threshold, far below the error of the update itself.
        self._X_ref32 = X_ref.astype(np.float32)
        ref_logits = X_ref @ form.theta
        self.current_logits = ref_logits - X_ref @ current_delta
        self._base_logits = ref_logits - X_ref @ self._delta

    def _directions(self, Xc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``v_c = H⁻¹x̃_c`` (as rows) and the leverages ``h_c = x̃_cᵀv_c``."""
        v = Xc @ self._h_inv  # H⁻¹ is symmetric
        return v, np.einsum("ij,ij->i", v, Xc)

    def _first_coefficient(self, Xc: np.ndarray, leverage: np.ndarray, label: int) -> np.ndarray:
        """``k_c`` of the first update ``Δ_c = -δ + k_c v_c``."""
        s = self._form.class_weight[label]
        margin = _new_row_margin(Xc @ (self.theta - self._delta), s * leverage, label)
        return -s * (expit(margin) - label)

    def _parameters(self, Xc: np.ndarray, label: int) -> np.ndarray:
        """Each candidate's updated parameters, shape (m, d + 1), after ``steps`` steps."""
        v, leverage = self._directions(Xc)
        k = self._first_coefficient(Xc, leverage, label)
        params = self.theta[None, :] - self._delta[None, :] + k[:, None] * v
        if self.steps == 1:
            return params
        s = self._form.class_weight[label]
        penalty = self._form.penalty_new * self._mask
        # The (labelled rows x candidates) arrays are float32: the refinement needs
        # gradients to ~1e-6 relative, and float32 halves the memory traffic of the
        # sigmoids that dominate its cost. Parameters and scalars stay float64.
        X_lab = self._X_lab32
        y_lab = self._y_lab32[:, None]
        weight = self._weight_lab32[:, None]
        margins = X_lab @ params.T.astype(np.float32)  # (n_lab, m), kept up to date
        for _ in range(self.steps - 1):
            # exact gradient of J at every candidate's parameters, all candidates at once
            residual = (_sigmoid32(margins) - y_lab) * weight
            gradient = (residual.T @ X_lab).astype(np.float64) + params * penalty[None, :]
            delta = gradient @ self._h_inv  # H⁻¹∇J
            start = np.einsum("ij,ij->i", Xc, params - delta)
            margin = _new_row_margin(start, s * leverage, label)
            direction = -delta - (s * (expit(margin) - label))[:, None] * v
            # H is the Hessian at θ, not at each candidate's parameters, so the full step
            # can over- or undershoot: move to the exact minimum of the (convex) new
            # objective along the direction instead (one product, then scalar work).
            moved = X_lab @ direction.T.astype(np.float32)
            length = self._line_minimum(margins, moved, params, direction, Xc, label)
            params = params + length[:, None] * direction
            margins += moved * length.astype(np.float32)[None, :]
        return params

    def _line_minimum(
        self,
        margins: np.ndarray,
        moved: np.ndarray,
        params: np.ndarray,
        direction: np.ndarray,
        Xc: np.ndarray,
        label: int,
    ) -> np.ndarray:
        """Step length minimising the new objective along ``direction``, per candidate.

        ``f(η) = J(θ + η d) + s·l(x̃_cᵀ(θ + η d), y)`` is convex in ``η``; safeguarded
        Newton iterations on ``f'`` start at the full step ``η = 1`` (bisection when a
        step leaves the bracket where ``f'`` changes sign).
        """
        s = self._form.class_weight[label]
        weighted = moved * self._weight_lab32[:, None]  # w_i a_i
        weighted_square = weighted * moved  # w_i a_i²
        label_slope = (self._y_lab32 @ weighted).astype(np.float64)  # sum_i w_i y_i a_i
        masked = direction * (self._mask * self._form.penalty_new)[None, :]
        penalty_slope = np.einsum("ij,ij->i", masked, params)
        penalty_curve = np.einsum("ij,ij->i", masked, direction)
        new_margin = np.einsum("ij,ij->i", Xc, params)
        new_moved = np.einsum("ij,ij->i", Xc, direction)
        low = np.full(params.shape[0], -1.0)
        high = np.full(params.shape[0], 2.0)
        eta = np.ones(params.shape[0])
        p = np.empty_like(margins)
        for _ in range(3):
            np.multiply(moved, eta.astype(np.float32)[None, :], out=p)
            p += margins
            _sigmoid32(p, out=p)
            p_new = expit(new_margin + new_moved * eta)
            slope = (
                np.einsum("ij,ij->j", p, weighted).astype(np.float64)
                - label_slope
                + penalty_slope
                + eta * penalty_curve
                + s * (p_new - label) * new_moved
            )
            p -= p * p  # p (1 - p), in place
            curve = (
                np.einsum("ij,ij->j", p, weighted_square).astype(np.float64)
                + penalty_curve
                + s * p_new * (1.0 - p_new) * new_moved**2
            )
            low = np.where(slope < 0, eta, low)
            high = np.where(slope > 0, eta, high)
            newton = eta - slope / np.maximum(curve, 1e-300)
            eta = np.where((newton > low) & (newton < high), newton, 0.5 * (low + high))
        return eta

    def parameter_shift(self, X_candidates: np.ndarray, label: int) -> np.ndarray:
        """Change of the parameters when each candidate row is added with ``label``.

        Parameters
        ----------
        X_candidates : ndarray of shape (m, d)
            Candidate rows, as the loop's model sees them.
        label : {0, 1}

        Returns
        -------
        ndarray of shape (m, d + 1)
            Change of the weights, then of the intercept (in the model's own units).
        """
        Xc = self._form.design(np.asarray(X_candidates))
        shift = self._parameters(Xc, int(label)) - self.theta[None, :]
        shift[:, -1] *= self._form.intercept_column if self._form.fit_intercept else 0.0
        return shift

    def reference_logits(self, X_candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits of the reference rows after adding each candidate with label 0, and with 1.

        Parameters
        ----------
        X_candidates : ndarray of shape (m, d)

        Returns
        -------
        (ndarray, ndarray), each of shape (m, n_ref)
        """
        Xc = self._form.design(np.asarray(X_candidates))
        if self.steps > 1:
            return tuple(
                self._parameters(Xc, label).astype(np.float32) @ self._X_ref32.T
                for label in (0, 1)
            )
        # One step: Δ_c = -δ + k_c v_c, so one product X̃_c H⁻¹ X̃_refᵀ serves both labels.
        v, leverage = self._directions(Xc)
        k0 = self._first_coefficient(Xc, leverage, 0)
        k1 = self._first_coefficient(Xc, leverage, 1)
        influence = v.astype(np.float32) @ self._X_ref32.T  # (m, n_ref)
        base = self._base_logits.astype(np.float32)[None, :]
        k0, k1 = k0.astype(np.float32), k1.astype(np.float32)
        return base + influence * k0[:, None], base + influence * k1[:, None]


def _check_binary_labels(y: np.ndarray) -> None:
    check_binary_labels(y, who="expected fairness (the labelled set)")
    values = np.unique(y)
    if values.shape[0] < 2:
        raise InvalidInputError(
            "expected fairness needs both labels 0 and 1 in the labelled set, "
            f"got only {values.tolist()}"
        )
