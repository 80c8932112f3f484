"""A voting ensemble whose member weights trade validation accuracy against a disparity.

:class:`FairVotingClassifier` is scikit-learn's
:class:`~sklearn.ensemble.VotingClassifier` (which fits the members and combines their
votes or probabilities) plus what it lacks for fairness: the member weights are chosen
on held-out rows, by minimising ``(1 - accuracy) + tradeoff * disparity`` (optionally
under ``disparity <= max_disparity``) over a grid of weight vectors on the simplex. The
practitioner's guide (``../shared/seeds/002``, "Ensemble methods") suggests averaging
or voting across models of different bias; neither scikit-learn nor fairlearn chooses
the weights for fairness, so the search is written here. It is vectorised over the
grid: the members' held-out probabilities (or votes) are computed once, and every
weight vector's decisions are one matrix product.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import VotingClassifier
from sklearn.utils import check_random_state

from fairpool.errors import (
    InvalidInputError,
    LengthMismatchError,
    NonBinaryLabelError,
    SingleGroupError,
)
from fairpool.learners import check_fit_input, check_predict_input, single_class_message
from fairpool.metrics import check_disparity_name, encode_sensitive_features
from fairpool.mitigation._thresholds import holdout_mask

__all__ = ["FairVotingClassifier"]


def simplex_grid(n_members: int, resolution: int) -> np.ndarray:
    """Every weight vector of ``n_members`` non-negative multiples of ``1 / resolution``
    summing to one, as integer counts summing to ``resolution``, in lexicographic order.

    Examples
    --------
    >>> simplex_grid(2, 2).tolist()
    [[0, 2], [1, 1], [2, 0]]
    """
    bars = itertools.combinations(range(resolution + n_members - 1), n_members - 1)
    rows = []
    for cut in bars:  # stars and bars: the gaps between the bars are the counts
        edges = np.array((-1, *cut, resolution + n_members - 1))
        rows.append(np.diff(edges) - 1)
    return np.array(rows, dtype=np.int64)


def _disparities(decisions: np.ndarray, y: np.ndarray, groups: np.ndarray, n_groups: int,
                 constraint: str) -> np.ndarray:
    """Each row of ``decisions`` (0/1, one row per weight vector): the largest gap between
    groups' selection rates, or for equalized odds the larger of the TPR and FPR gaps
    (groups with no rows of a label are left out of that label's gap)."""
    onehot = np.zeros((groups.size, n_groups))
    onehot[np.arange(groups.size), groups] = 1.0
    masks = [np.ones_like(y, dtype=bool)] if constraint == "demographic_parity" else [
        y == 1, y == 0]
    gaps = []
    for mask in masks:
        weights = onehot * mask[:, None]
        counts = weights.sum(axis=0)
        present = counts > 0
        if present.sum() < 2:
            gaps.append(np.zeros(decisions.shape[0]))
            continue
        rates = (decisions @ weights[:, present]) / counts[present]
        gaps.append(rates.max(axis=1) - rates.min(axis=1))
    return np.max(gaps, axis=0)


class FairVotingClassifier(ClassifierMixin, BaseEstimator):
    """scikit-learn's VotingClassifier with member weights chosen for accuracy and fairness.

    The members are fitted (by ``VotingClassifier``) on the rows not held out; every
    weight vector of the grid is scored on the held-out rows, and the one minimising
    ``(1 - accuracy) + tradeoff * disparity`` (among those with
    ``disparity <= max_disparity`` when a bound is given) becomes ``weights_``. Ties go
    to the first weight vector in the grid's order.

    Parameters
    ----------
    estimators : list of (str, classifier)
        The members, as for ``VotingClassifier``; each is cloned.
    voting : {"soft", "hard"}, default="soft"
        Weighted mean of the members' probabilities, or weighted majority of their labels
        (ties go to the first class, as in ``VotingClassifier``).
    constraint : {"demographic_parity", "equalized_odds"}
        The disparity: the largest gap in selection rate between groups, or the larger
        of the TPR and FPR gaps (fairlearn's ``*_difference`` definitions).
    tradeoff : float >= 0, default=0.5
        Weight of the disparity against the error rate. ``0`` picks the most accurate
        combination.
    max_disparity : float in [0, 1] or None
        A bound on the held-out disparity. If no combination meets it, the least
        disparate one is taken, with a warning.
    holdout_fraction : float in [0, 1), default=0.3
        Share of each (group, label) cell held out to choose the weights; ``0`` chooses
        them on the rows the members were fitted on. When the held-out rows miss a
        group or a label (tiny data), the weights are chosen on all rows, with a warning.
    weight_grid : int or array-like of shape (n_combinations, n_members), default=10
        An int ``r``: every weight vector with entries in ``0, 1/r, ..., 1`` summing to
        one (``C(r + m - 1, m - 1)`` vectors for ``m`` members). An array: the
        non-negative weight vectors to try (each scaled to sum to one).
    random_state : int, RandomState or None
        Seeds the held-out split.

    Attributes
    ----------
    voting_ : sklearn.ensemble.VotingClassifier
        The fitted ensemble, with ``weights=weights_``.
    estimators_ : list of classifiers
        The fitted members.
    weights_ : ndarray of shape (n_members,)
        The chosen weights (summing to one).
    validation_accuracy_, validation_disparity_ : float
        Their held-out accuracy and disparity.
    cv_results_ : dict of ndarray
        The whole search: ``weights`` (n_combinations, n_members), ``accuracy``,
        ``disparity``, ``objective``, ``feasible`` (the bound is met) and
        ``rank_objective`` (1 for the chosen row), in grid order.
    classes_ : ndarray of shape (2,)
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3)); g = (rng.random(300) < 0.5).astype(int)
    >>> y = (X[:, 0] + g + rng.normal(size=300) > 0.5).astype(int)
    >>> members = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    >>> clf = FairVotingClassifier(members, weight_grid=4, random_state=0)
    >>> clf = clf.fit(X, y, sensitive_features=g)
    >>> clf.weights_.shape, len(clf.cv_results_["objective"])
    ((2,), 5)
    """

    def __init__(
        self,
        estimators: list[tuple[str, Any]],
        *,
        voting: Literal["soft", "hard"] = "soft",
        constraint: Literal["demographic_parity", "equalized_odds"] = "demographic_parity",
        tradeoff: float = 0.5,
        max_disparity: float | None = None,
        holdout_fraction: float = 0.3,
        weight_grid: Any = 10,
        random_state: Any = None,
    ) -> None:
        self.estimators = estimators
        self.voting = voting
        self.constraint = constraint
        self.tradeoff = tradeoff
        self.max_disparity = max_disparity
        self.holdout_fraction = holdout_fraction
        self.weight_grid = weight_grid
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags: a binary classifier."""
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def _check_params(self) -> tuple[str, np.ndarray]:
        constraint = check_disparity_name(
            self.constraint, ("demographic_parity", "equalized_odds"), argument="constraint")
        if self.voting not in ("soft", "hard"):
            raise InvalidInputError(f"voting must be 'soft' or 'hard', got {self.voting!r}")
        members = self.estimators
        if not isinstance(members, list | tuple) or not members or not all(
            isinstance(m, tuple) and len(m) == 2 for m in members
        ):
            raise InvalidInputError(
                "estimators must be a non-empty list of (name, classifier) pairs, got "
                f"{members!r}"
            )
        for name, value in (("tradeoff", self.tradeoff), ("max_disparity", self.max_disparity)):
            if value is None and name == "max_disparity":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not (
                np.isfinite(value) and value >= 0
            ) or (name == "max_disparity" and value > 1):
                limit = "in [0, 1]" if name == "max_disparity" else ">= 0"
                raise InvalidInputError(f"{name} must be a number {limit}, got {value!r}")
        fraction = self.holdout_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, int | float | np.number) or not (
            0.0 <= float(fraction) < 1.0
        ):
            raise InvalidInputError(f"holdout_fraction must be in [0, 1), got {fraction!r}")
        grid = self.weight_grid
        if isinstance(grid, int | np.integer) and not isinstance(grid, bool):
            if grid < 1:
                raise InvalidInputError(f"weight_grid must be a positive integer, got {grid!r}")
            return constraint, simplex_grid(len(members), int(grid)).astype(np.float64)
        try:
            table = np.asarray(grid, dtype=np.float64)
        except (TypeError, ValueError):
            table = np.empty((0, 0))
        if table.ndim != 2 or table.shape[1] != len(members) or table.shape[0] == 0 or not (
            np.isfinite(table).all() and (table >= 0).all() and (table.sum(axis=1) > 0).all()
        ):
            raise InvalidInputError(
                "weight_grid must be a positive integer or a non-empty array of shape "
                f"(n_combinations, {len(members)}) of non-negative weights, each row with a "
                "positive sum"
            )
        return constraint, table

    def fit(self, X: Any, y: Any, *, sensitive_features: Any = None) -> FairVotingClassifier:
        """Fit the members and choose their weights on held-out rows.

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : array-like of shape (n,)
            Two classes.
        sensitive_features : array-like of shape (n,) or DataFrame of shape (n, k)
            Group of each row (several columns: their intersections). Required.

        Returns
        -------
        self

        Raises
        ------
        InvalidInputError
            Bad parameters, no ``sensitive_features``, a single class in ``y``, bad ``X``.
        NonBinaryLabelError
            More than two classes.
        LengthMismatchError
            ``y`` or ``sensitive_features`` not one per row.
        MissingValueError
            NaN in ``X``, ``y`` or ``sensitive_features``.
        SingleGroupError
            A single group.

        Warns
        -----
        UserWarning
            The held-out rows miss a group or a label (weights chosen on all rows), or
            no combination meets ``max_disparity``.
        """
        constraint, grid = self._check_params()
        X, y = check_fit_input(self, X, y)
        classes, y_codes = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise InvalidInputError(single_class_message(classes[0]))
        if classes.size > 2:
            raise NonBinaryLabelError(
                "Only binary classification is supported. FairVotingClassifier needs y to "
                f"hold two classes, got {classes.size}: {classes[:5].tolist()}"
            )
        if sensitive_features is None:
            raise InvalidInputError(
                "FairVotingClassifier.fit needs sensitive_features (the group of each row) "
                "to measure the disparity: call fit(X, y, sensitive_features=groups)"
            )
        encoded = encode_sensitive_features(sensitive_features)
        groups = np.asarray(encoded.codes, dtype=np.int64)
        if groups.shape[0] != X.shape[0]:
            raise LengthMismatchError(
                f"sensitive_features has {groups.shape[0]} rows but X has {X.shape[0]}: "
                "give one group per row"
            )
        n_groups = len(encoded.names)
        if n_groups < 2:
            raise SingleGroupError(
                f"sensitive_features holds a single group ({encoded.names[0]!r}): a "
                "disparity needs at least two groups"
            )
        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        held = holdout_mask(groups, y_codes, float(self.holdout_fraction), seed)
        fit_rows = ~held
        self.voting_ = VotingClassifier(list(self.estimators), voting=self.voting)
        self.voting_.fit(X[fit_rows], y[fit_rows])
        complete = np.unique(groups[held]).size == n_groups and np.unique(y_codes[held]).size == 2
        if held.any() and not complete:
            warnings.warn(
                "the held-out rows miss a group or a label (too few rows in some group x "
                "label cell): the weights are chosen on all rows, including those the "
                "members were fitted on", UserWarning, stacklevel=2,
            )
        chosen = held if complete else np.ones_like(held)
        self.classes_ = self.voting_.classes_
        self.estimators_ = self.voting_.estimators_
        self.named_estimators_ = self.voting_.named_estimators_
        self._search(X[chosen], y_codes[chosen], groups[chosen], n_groups, constraint, grid)
        self.voting_.weights = self.weights_
        return self

    def _member_outputs(self, X: np.ndarray) -> np.ndarray:
        """Each member's P(positive) (soft) or positive vote (hard), shape (m, n)."""
        if self.voting == "soft":
            return np.stack([m.predict_proba(X)[:, 1] for m in self.estimators_])
        # VotingClassifier fits its members on the label codes 0 and 1
        return np.stack([m.predict(X) for m in self.estimators_]).astype(np.float64)

    def _search(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray, n_groups: int,
                constraint: str, grid: np.ndarray) -> None:
        weights = grid / grid.sum(axis=1, keepdims=True)
        outputs = self._member_outputs(X)
        # the ensemble answers the positive class when its weighted mean passes one half
        # (VotingClassifier's argmax, ties to the first class)
        decisions = ((grid @ outputs) * 2 > grid.sum(axis=1, keepdims=True)).astype(np.float64)
        accuracy = (decisions == y).mean(axis=1)
        disparity = _disparities(decisions, y, groups, n_groups, constraint)
        objective = (1.0 - accuracy) + float(self.tradeoff) * disparity
        if self.max_disparity is None:
            feasible = np.ones_like(objective, dtype=bool)
        else:
            feasible = disparity <= float(self.max_disparity) + 1e-12
        index = np.arange(objective.size)
        if feasible.any():  # feasible first, then the objective, then grid order
            order = np.lexsort((index, objective, ~feasible))
        else:
            order = np.lexsort((index, objective, disparity))
            warnings.warn(
                f"no weight combination has a held-out disparity <= {self.max_disparity} "
                f"(the least is {disparity[order[0]]:.4f}): the least disparate one is used",
                UserWarning, stacklevel=3,
            )
        best = int(order[0])
        rank = np.empty(objective.size, dtype=np.int64)
        rank[order] = np.arange(1, objective.size + 1)
        self.weights_ = weights[best]
        self.validation_accuracy_ = float(accuracy[best])
        self.validation_disparity_ = float(disparity[best])
        self.cv_results_ = {
            "weights": weights, "accuracy": accuracy, "disparity": disparity,
            "objective": objective, "feasible": feasible, "rank_objective": rank,
        }

    def predict(self, X: Any) -> np.ndarray:
        """The weighted ensemble's labels (``voting_.predict``).

        Parameters
        ----------
        X : array-like of shape (n, d)

        Returns
        -------
        ndarray of shape (n,)

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        InvalidInputError
            ``X`` does not match the training data.
        """
        X = check_predict_input(self, X, attribute="voting_")
        return self.voting_.predict(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities: soft voting's weighted mean of the members' probabilities,
        or for hard voting the weighted share of the members' votes for each class.

        Parameters
        ----------
        X : array-like of shape (n, d)

        Returns
        -------
        ndarray of shape (n, 2)
            Columns ordered as ``classes_``; ``argmax`` agrees with :meth:`predict`.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        InvalidInputError
            ``X`` does not match the training data.
        """
        X = check_predict_input(self, X, attribute="voting_")
        if self.voting == "soft":
            return self.voting_.predict_proba(X)
        share = self.weights_ @ self._member_outputs(X)
        return np.column_stack((1.0 - share, share))
