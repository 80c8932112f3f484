"""Fairness-regularised training: cross-entropy plus a differentiable disparity.

The practitioner's guide (``../shared/seeds/002``, "fairness regulariser") trains the
model on its loss plus a weighted measure of unfairness, so that one number (the
weight) moves the model along the accuracy-fairness trade-off. The disparity is the
one fairpool's metrics measure, computed on predicted probabilities instead of hard
decisions so that it has a gradient (Kamishima et al. 2012 regularise a mutual
information instead; Zafar et al. 2017 a covariance; the gap of group means used here
is the relaxation of demographic parity and equalized odds the metrics report).

Written by hand: fairlearn has no penalised learner (its reductions reweight a base
learner instead) and AIF360's prejudice remover is a fixed logistic model on its own
dataset type. The training itself is fairpool's torch classifier
(:class:`~fairpool.learners.TorchLinearClassifier` or
:class:`~fairpool.learners.TorchMLPClassifier`) with the disparity passed as its
``extra_objective``; the disparity is the shared torch arithmetic of
:func:`fairpool.metrics.group_means_torch` and
:func:`fairpool.metrics.group_spread_torch`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import torch

from fairpool.errors import InvalidInputError
from fairpool.learners import TorchLinearClassifier, TorchMLPClassifier
from fairpool.metrics import group_means_torch, group_spread_torch
from fairpool.mitigation._torch_common import GroupedTorchClassifier, check_grouped_fit_input

__all__ = ["FairnessPenaltyClassifier", "disparity_torch"]

_PENALTIES = ("demographic_parity", "equalized_odds")


def disparity_torch(
    proba: torch.Tensor,
    target: torch.Tensor,
    groups: torch.Tensor,
    n_groups: int,
    penalty: str,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Differentiable disparity of predicted probabilities between groups.

    Parameters
    ----------
    proba : torch.Tensor of shape (n,)
        Predicted probability of the positive class.
    target : torch.Tensor of shape (n,)
        Labels 0/1 (used by ``"equalized_odds"`` only).
    groups : torch.Tensor of int64, shape (n,)
        Group codes ``0 .. n_groups - 1``.
    n_groups : int
    penalty : {"demographic_parity", "equalized_odds"}
        ``"demographic_parity"``: ``max_a m_a - min_a m_a`` with ``m_a`` the mean of
        ``proba`` in group ``a``. ``"equalized_odds"``: the larger over ``y in {0, 1}``
        of the same spread among the rows with label ``y`` (the soft FPR and TPR gaps).
    weight : torch.Tensor of shape (n,), optional
        Row weights of the group means (sample weights); all ones when None.

    Returns
    -------
    torch.Tensor
        A scalar; 0 (with a graph) when fewer than two groups have rows (for
        equalized odds: among the rows of a label, which then drops out).

    Notes
    -----
    With hard 0/1 probabilities the values are fairpool's
    :func:`~fairpool.metrics.demographic_parity_difference` and
    :func:`~fairpool.metrics.equalized_odds_difference` (``method="between_groups"``,
    ``agg="worst_case"``). Only the two extreme groups receive a gradient (a
    subgradient of the max and min).

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([0.9, 0.7, 0.2, 0.4]); g = torch.tensor([0, 0, 1, 1])
    >>> round(float(disparity_torch(p, torch.zeros(4), g, 2, "demographic_parity")), 6)
    0.5
    """
    if penalty == "demographic_parity":
        every = torch.ones_like(proba, dtype=torch.bool)
        return group_spread_torch(*_weighted_means(proba, every, groups, n_groups, weight))
    spreads = [
        group_spread_torch(*_weighted_means(proba, target == label, groups, n_groups, weight))
        for label in (0, 1)
    ]
    return torch.maximum(spreads[0], spreads[1])


def _weighted_means(
    values: torch.Tensor,
    mask: torch.Tensor,
    groups: torch.Tensor,
    n_groups: int,
    weight: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Group means of ``values`` over the masked rows, weighted by ``weight``.

    The weighted mean ``sum w v / sum w`` is the ratio of the plain group means of
    ``w * v`` and of ``w`` (both from :func:`~fairpool.metrics.group_means_torch`); a
    group whose masked rows all weigh 0 counts as absent.
    """
    means, present = group_means_torch(values, mask, groups, n_groups)
    if weight is None:
        return means, present
    weighted, _ = group_means_torch(values * weight, mask, groups, n_groups)
    mass, _ = group_means_torch(weight, mask, groups, n_groups)
    present = present & (mass > 0)
    return weighted / torch.where(present, mass, torch.ones_like(mass)), present


def _penalty_objective(
    X: np.ndarray,
    target: np.ndarray,
    groups: np.ndarray,
    weight: np.ndarray,
    n_groups: int,
    penalty: str,
    strength: float,
) -> Callable[[Any, Any, Any], Callable[[], Any]]:
    """The torch classifier's ``extra_objective``: ``strength`` times the disparity."""

    def build(network: Any, dtype: Any, device: Any) -> Callable[[], Any]:
        Xt = torch.as_tensor(X, dtype=dtype, device=device)
        yt = torch.as_tensor(target, dtype=dtype, device=device)
        gt = torch.as_tensor(groups, dtype=torch.long, device=device)
        wt = torch.as_tensor(weight / weight.sum(), dtype=dtype, device=device)

        def term() -> Any:
            proba = torch.sigmoid(network(Xt).squeeze(1))
            return strength * disparity_torch(proba, yt, gt, n_groups, penalty, wt)

        return term

    return build


class FairnessPenaltyClassifier(GroupedTorchClassifier):
    """Binary classifier trained on cross-entropy plus a weighted group disparity.

    Minimises, full batch,

        sum_i w_i CE(p_i, y_i) / sum_i w_i + weight_decay / 2 ||W||^2 + weight * D(p)

    with ``p_i`` the predicted probability of ``classes_[1]`` and ``D`` the disparity
    of :func:`disparity_torch`: for ``"demographic_parity"`` the spread (max minus min
    between groups, the reading of :func:`fairpool.metrics.group_spread_torch` and of
    ``demographic_parity_difference(method="between_groups")``) of the sample-weighted
    group means of ``p``; for ``"equalized_odds"`` the larger of that spread among the
    rows with ``y = 0`` and among those with ``y = 1``. ``weight = 0`` is the plain
    torch classifier exactly.

    Parameters
    ----------
    penalty : {"demographic_parity", "equalized_odds"}, default="demographic_parity"
    weight : float, default=1.0
        Strength of the disparity term (non-negative); sweep it to draw the
        accuracy-fairness trade-off.
    hidden_layer_sizes : sequence of int, default=()
        Empty: logistic regression (:class:`~fairpool.learners.TorchLinearClassifier`);
        else an MLP with these hidden widths
        (:class:`~fairpool.learners.TorchMLPClassifier`).
    activation : {"relu", "tanh", "gelu"}, default="relu"
        Hidden activation of the MLP.
    optimizer : {"adam", "lbfgs"}, default="adam"
        Full-batch optimiser. Adam copes with the kinks of the max/min in the
        disparity; L-BFGS suits ``weight = 0``.
    max_iter : int, default=500
        Adam steps (full-batch epochs), or L-BFGS iterations.
    learning_rate : float, default=0.01
        Adam step size.
    tol : float, default=1e-7
        Relative change of the objective that stops Adam; gradient tolerance of L-BFGS.
    weight_decay : float, default=1e-4
        L2 penalty ``weight_decay / 2 ||W||^2`` on the weight matrices.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        ``"auto"`` is CUDA when available (:func:`fairpool.learners.select_device`).
    dtype : {"float32", "float64"}, default="float32"
    random_state : int, optional
        Seed of the initial weights of the MLP (None: 0, as the torch classifiers).

    Attributes
    ----------
    estimator_ : TorchLinearClassifier or TorchMLPClassifier
        The fitted network, trained on the label codes 0/1.
    classes_ : ndarray of shape (2,)
    group_names_ : tuple of str
        The groups seen in ``fit``, in code order.
    n_iter_ : int
        Adam steps, or L-BFGS function evaluations.
    disparity_ : float
        The disparity ``D`` of the fitted model's probabilities on the training rows.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.

    Notes
    -----
    A single group in ``fit`` warns and fits the plain classifier (there is nothing to
    compare). For equalized odds, a label with rows from a single group adds no term
    (warned): its gap is undefined, the other label's gap is still penalised.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); g = (X[:, 0] > 0).astype(int)
    >>> y = (X[:, 0] + X[:, 1] + rng.normal(size=200) > 0).astype(int)
    >>> plain = FairnessPenaltyClassifier(weight=0.0, device="cpu").fit(
    ...     X, y, sensitive_features=g)
    >>> fair = FairnessPenaltyClassifier(weight=5.0, device="cpu").fit(
    ...     X, y, sensitive_features=g)
    >>> bool(fair.disparity_ < plain.disparity_)
    True
    """

    def __init__(
        self,
        *,
        penalty: Literal["demographic_parity", "equalized_odds"] = "demographic_parity",
        weight: float = 1.0,
        hidden_layer_sizes: Sequence[int] = (),
        activation: Literal["relu", "tanh", "gelu"] = "relu",
        optimizer: Literal["adam", "lbfgs"] = "adam",
        max_iter: int = 500,
        learning_rate: float = 0.01,
        tol: float = 1e-7,
        weight_decay: float = 1e-4,
        device: str = "auto",
        dtype: Literal["float32", "float64"] = "float32",
        random_state: int | None = None,
    ) -> None:
        self.penalty = penalty
        self.weight = weight
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.tol = tol
        self.weight_decay = weight_decay
        self.device = device
        self.dtype = dtype
        self.random_state = random_state

    def _base(self) -> TorchLinearClassifier | TorchMLPClassifier:
        """The unpenalised torch classifier with this estimator's settings."""
        common = {
            "optimizer": self.optimizer,
            "max_iter": self.max_iter,
            "learning_rate": self.learning_rate,
            "tol": self.tol,
            "weight_decay": self.weight_decay,
            "device": self.device,
            "dtype": self.dtype,
            "random_state": 0 if self.random_state is None else self.random_state,
        }
        if len(tuple(self.hidden_layer_sizes)) == 0:
            return TorchLinearClassifier(**common)
        return TorchMLPClassifier(
            hidden_layer_sizes=tuple(self.hidden_layer_sizes), activation=self.activation, **common
        )

    def fit(
        self, X: Any, y: Any, *, sensitive_features: Any = None, sample_weight: Any = None
    ) -> FairnessPenaltyClassifier:
        """Fit the penalised network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Two classes.
        sensitive_features : array-like of shape (n_samples,), Series or DataFrame
            Group of each row (required); several columns form intersectional groups.
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the rows in the loss and in the group means of the disparity.

        Returns
        -------
        self

        Raises
        ------
        InvalidInputError
            ``sensitive_features`` missing, an unknown ``penalty``, a negative
            ``weight``, a single class, or bad ``X`` / settings.
        NonBinaryLabelError
            More than two classes.
        LengthMismatchError
            Inputs of different lengths.
        MissingValueError
            NaN in ``X``, ``y`` or ``sensitive_features``.
        TypeError
            Sparse ``X``.
        """
        if self.penalty not in _PENALTIES:
            raise InvalidInputError(
                f"penalty must be one of {list(_PENALTIES)}, got {self.penalty!r}"
            )
        strength = float(self.weight)
        if not np.isfinite(strength) or strength < 0:
            raise InvalidInputError(f"weight must be a finite number >= 0, got {self.weight!r}")
        data = check_grouped_fit_input(self, X, y, sensitive_features, sample_weight)
        n_groups = len(data.group_names)
        if self.penalty == "equalized_odds" and n_groups > 1:
            for label in (0, 1):
                if np.unique(data.groups[data.target == label]).shape[0] < 2:
                    warnings.warn(
                        f"FairnessPenaltyClassifier: the rows with label "
                        f"{data.classes[label]!r} come from a single group, so their "
                        "rate gap is undefined and left out of the equalized-odds penalty",
                        UserWarning,
                        stacklevel=2,
                    )
        extra = None
        if strength > 0 and n_groups > 1:
            extra = _penalty_objective(
                data.X, data.target, data.groups, data.weight, n_groups, self.penalty, strength
            )
        base = self._base()
        base.fit(data.X, data.target, sample_weight=data.weight, extra_objective=extra)
        self.estimator_ = base
        self.n_iter_ = base.n_iter_
        self.classes_ = data.classes
        self.group_names_ = data.group_names
        proba = base.predict_proba(data.X)[:, 1]
        self.disparity_ = float(
            disparity_torch(
                torch.as_tensor(proba),
                torch.as_tensor(data.target, dtype=torch.float64),
                torch.as_tensor(data.groups),
                n_groups,
                self.penalty,
                torch.as_tensor(data.weight),
            )
        )
        return self
