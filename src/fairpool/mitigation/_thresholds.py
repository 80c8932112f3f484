"""Per-group decision thresholds chosen on held-out rows (Hardt, Price & Srebro 2016).

:class:`GroupThresholdClassifier` post-processes any scored classifier: it keeps the
classifier's scores and picks, for every group, a randomised threshold rule that
maximises accuracy (or balanced accuracy) under demographic parity, equal opportunity
or equalized odds, met *exactly* on the rows the thresholds are chosen on.

Written by hand, not wrapped: fairlearn's ``ThresholdOptimizer`` solves the same problem
but searches a fixed grid of rates (so the constraint and the optimum are met up to the
grid step), weights a per-group objective by group size instead of optimising the
overall one (they differ for balanced accuracy), and draws its randomisation from a
generator over row positions, so the same row gets another label in another batch.
Here the search is exact: every objective is linear in each group's (false positive,
true positive) counts, so the optimum over the groups' convex ROC hulls lies at a
breakpoint of the hulls (or a crossing of two of them, for equalized odds), and all
breakpoints are evaluated at once with numpy. A row's random draw is a hash of its
features, group and the model's seed, so a row gets one label whatever batch it is in.

The construction (Hardt et al., "Equality of opportunity in supervised learning",
NeurIPS 2016, Section 4): each group's achievable (FPR, TPR) pairs are the convex hull of
its ROC points; a point on the hull's upper chain mixes two adjacent thresholds; a point
below it (needed by equalized odds for the groups whose hull is not the lowest) also
mixes in "reject everyone". Demographic parity is the same with the selection rate as
the common coordinate.

Why one module: the hull helpers, the per-row hash and the estimator are one algorithm
(the rule the search returns is the rule ``predict`` applies); split apart, each piece
would be private to the other and read only next to it.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.spatial import ConvexHull
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from fairpool.errors import (
    InvalidInputError,
    LengthMismatchError,
    NonBinaryLabelError,
    SingleGroupError,
)
from fairpool.learners import check_fit_input, check_predict_input, single_class_message
from fairpool.metrics import check_disparity_name, encode_sensitive_features

__all__ = ["GroupThresholdClassifier"]

_CONSTRAINTS = ("demographic_parity", "equalized_odds", "equal_opportunity")
_OBJECTIVES = ("accuracy", "balanced_accuracy")
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


# -- the per-group ROC hull ---------------------------------------------------------


def _upper_chain(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, ...]:
    """The upper chain of one group's ROC hull, in counts.

    Returns ``(fp, tp, thresholds)``: the hull's vertices from "reject all" (0, 0) to
    "accept all" (N, P); vertex ``k`` accepts the rows whose score is above
    ``thresholds[k]`` (``+inf`` for the first, ``-inf`` for the last).
    """
    distinct, inverse = np.unique(-scores, return_inverse=True)  # descending scores
    tp = np.concatenate(([0.0], np.cumsum(np.bincount(inverse, weights=positive))))
    fp = np.concatenate(([0.0], np.cumsum(np.bincount(inverse, weights=~positive))))
    values = -distinct
    # vertex k (k >= 1) accepts the k highest distinct scores: cut halfway to the next
    middle = values[1:] + (values[:-1] - values[1:]) / 2
    middle = np.where(middle >= values[:-1], values[1:], middle)
    cuts = np.concatenate(([np.inf], middle, [-np.inf]))
    n_pos, n_neg = tp[-1], fp[-1]
    if n_pos == 0 or n_neg == 0:  # the points lie on a line: its two ends
        keep = np.array([0, tp.size - 1])
    else:
        points = np.column_stack((np.concatenate((fp, [n_neg])), np.concatenate((tp, [0.0]))))
        ring = ConvexHull(points).vertices  # counterclockwise: (0,0), (N,0), (N,P), ...
        ring = np.roll(ring, -int(np.flatnonzero(ring == tp.size - 1)[0]))
        keep = ring[: int(np.flatnonzero(ring == 0)[0]) + 1][::-1]
    return fp[keep], tp[keep], cuts[keep]


def _on_chain(coordinate: np.ndarray, target: float) -> tuple[int, float]:
    """Edge ``(k, k + 1)`` of a chain whose ``coordinate`` rises to ``target``, and the
    weight of vertex ``k + 1`` in the mixture that reaches it."""
    if coordinate.size == 1 or target <= coordinate[0]:
        return 0, 0.0
    k = int(np.clip(np.searchsorted(coordinate, target, side="right") - 1, 0, coordinate.size - 2))
    span = coordinate[k + 1] - coordinate[k]
    return k, float(np.clip((target - coordinate[k]) / span, 0.0, 1.0)) if span > 0 else 1.0


def _on_ray(fpr: np.ndarray, tpr: np.ndarray, f: float, r: float) -> tuple[int, float, float]:
    """Where the ray from (0, 0) through (f, r) leaves the chain: edge ``k``, the weight of
    vertex ``k + 1``, and the share ``q`` of that hull point that gives (f, r)."""
    if r <= 0:
        return 0, 0.0, 0.0
    cross = tpr * f - fpr * r  # > 0: the vertex is above the ray
    above = np.flatnonzero(cross[1:] > 1e-12) + 1
    if above.size == 0:  # the ray runs along the first edge
        k, lam = 0, 1.0
    else:
        k = min(int(above[-1]), fpr.size - 2)
        lam = float(np.clip(cross[k] / (cross[k] - cross[k + 1]), 0.0, 1.0))
    hit = tpr[k] + lam * (tpr[k + 1] - tpr[k])
    return k, lam, float(min(1.0, r / hit)) if hit > 0 else 0.0


def _crossings(grid: np.ndarray, curves: np.ndarray) -> np.ndarray:
    """Points of ``grid``'s intervals where two piecewise-linear curves (rows of
    ``curves``, linear between grid points) cross."""
    first, second = np.triu_indices(curves.shape[0], 1)
    gap = curves[first] - curves[second]
    change = gap[:, :-1] * gap[:, 1:] < 0
    pair, i = np.nonzero(change)
    g0, g1 = gap[pair, i], gap[pair, i + 1]
    return grid[i] + g0 / (g0 - g1) * (grid[i + 1] - grid[i])


# -- per-row randomness ---------------------------------------------------------------


def _splitmix(h: np.ndarray) -> np.ndarray:
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def _row_uniforms(X: np.ndarray, groups: np.ndarray, seed: int) -> np.ndarray:
    """A uniform number in [0, 1) for each row, a hash of its features, group and seed:
    a row gets the same number wherever and with whatever rows it comes."""
    bits = np.ascontiguousarray(np.asarray(X, dtype=np.float64) + 0.0).view(np.uint64)
    with np.errstate(over="ignore"):
        h = _splitmix(np.full(X.shape[0], np.uint64(seed) & _MASK64) ^ groups.astype(np.uint64))
        for j in range(bits.shape[1]):  # one pass per column, vectorised over rows
            h = _splitmix(h ^ bits[:, j] ^ np.uint64(0x9E3779B97F4A7C15 * (j + 1) % 2**64))
    return (h >> np.uint64(11)).astype(np.float64) / 2.0**53


def holdout_mask(groups: np.ndarray, y_codes: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Rows held out: ``fraction`` of each (group, label) cell, rounded, at least one row
    of every cell of two or more and never a cell's last row (none when ``fraction`` is 0).

    Parameters
    ----------
    groups, y_codes : ndarray of int, shape (n,)
        Group codes and label codes (0 or 1).
    fraction : float in [0, 1)
    seed : int
        Seeds which rows of a cell are held out.

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    if fraction <= 0:
        return np.zeros(groups.shape[0], dtype=bool)
    cells = groups * 2 + y_codes
    order = np.lexsort((np.random.default_rng(seed).random(cells.size), cells))
    sizes = np.bincount(cells)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty(cells.size, dtype=np.int64)
    rank[order] = np.arange(cells.size) - starts[cells[order]]
    wanted = np.clip(np.rint(sizes * fraction), 1, np.maximum(sizes - 1, 0))
    return rank < wanted[cells]


def _has_method(name: str):
    def check(self: GroupThresholdClassifier) -> bool:
        estimator = getattr(self, "estimator_", None)
        if estimator is None:
            estimator = LogisticRegression() if self.estimator is None else self.estimator
        return hasattr(estimator, name)

    return check


class GroupThresholdClassifier(ClassifierMixin, BaseEstimator):
    """A scored classifier with per-group randomised thresholds meeting a fairness constraint.

    Each group ``g`` gets a rule: accept a row scoring above ``upper_threshold`` with
    probability ``p_upper``, one scoring between ``lower_threshold`` and
    ``upper_threshold`` with probability ``p_between``, reject the rest. With
    ``p_upper = 1`` this is Hardt et al.'s mixture of two thresholds; equalized odds may
    also need ``p_upper < 1`` (mixing in "reject everyone") for the groups whose ROC hull
    lies above the common operating point. The rules maximise ``objective`` on the
    threshold rows subject to ``constraint`` holding exactly there (in expectation over
    the randomisation).

    Parameters
    ----------
    estimator : classifier, optional
        Binary classifier with ``predict_proba`` (or ``decision_function``); its
        positive-class score is thresholded. Default ``LogisticRegression(max_iter=1000)``.
    constraint : {"demographic_parity", "equalized_odds", "equal_opportunity"}
        Equal selection rates; equal TPR and FPR; equal TPR.
    objective : {"accuracy", "balanced_accuracy"}
        Maximised over all threshold rows (the overall score, not a per-group average).
    prefit : bool, default=False
        ``estimator`` is already fitted: it is used as is, and every row given to
        ``fit`` chooses thresholds.
    holdout_fraction : float in [0, 1), default=0.3
        Without ``prefit``: the share of each (group, label) cell held out from the
        estimator's fit to choose the thresholds on. ``0`` fits the estimator and
        chooses the thresholds on the same rows (fairlearn's default; optimistic).
        When the held-out rows miss a group or a label (tiny data), the thresholds are
        chosen on all rows, with a warning.
    grid_size : int or None, default=None
        None: exact search over the hulls' breakpoints. An int: the common rate is
        searched on ``grid_size`` evenly spaced values in [0, 1] (fairlearn's way).
    random_state : int, RandomState or None
        Seeds the held-out split and the per-row draws of ``predict``.

    Attributes
    ----------
    estimator_ : classifier
        The fitted estimator (``estimator`` itself when ``prefit``).
    classes_ : ndarray of shape (2,)
    groups_ : tuple of str
        Group names seen at fit (as :func:`fairpool.metrics.encode_sensitive_features`
        names them).
    thresholds_ : pandas.DataFrame
        One row per group: ``upper_threshold``, ``lower_threshold``, ``p_upper``,
        ``p_between``.
    holdout_rates_ : pandas.DataFrame
        The expected selection rate, TPR and FPR of each group on the threshold rows.
    holdout_objective_ : float
        The expected objective there.
    seed_ : int
        The seed of ``predict``'s per-row draws.
    n_features_in_ : int

    Raises
    ------
    See :meth:`fit` and :meth:`predict`.

    Notes
    -----
    ``predict_proba`` returns the estimator's probabilities, not the thresholded rule's:
    the active-learning loop's uncertainty strategies read them, and the thresholds
    change the decisions, not the model's uncertainty. The rule's own probability of
    answering the positive class is :meth:`acceptance_probability`. A row's random draw
    depends on its features, group and ``seed_`` only, so identical rows of a group get
    the same label.

    References
    ----------
    Hardt, Price & Srebro, "Equality of opportunity in supervised learning", NeurIPS
    2016, Sections 4.1-4.2 (the ROC convex hull and the derived predictor).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3)); g = (rng.random(400) < 0.5).astype(int)
    >>> y = (X[:, 0] + g + rng.normal(size=400) > 0.5).astype(int)
    >>> clf = GroupThresholdClassifier(random_state=0).fit(X, y, sensitive_features=g)
    >>> rates = clf.holdout_rates_["selection_rate"]
    >>> bool(np.isclose(rates.iloc[0], rates.iloc[1]))
    True
    >>> clf.predict(X[:3], sensitive_features=g[:3]).shape
    (3,)
    """

    def __init__(
        self,
        estimator: Any = None,
        *,
        constraint: Literal[
            "demographic_parity", "equalized_odds", "equal_opportunity"
        ] = "demographic_parity",
        objective: Literal["accuracy", "balanced_accuracy"] = "accuracy",
        prefit: bool = False,
        holdout_fraction: float = 0.3,
        grid_size: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.constraint = constraint
        self.objective = objective
        self.prefit = prefit
        self.holdout_fraction = holdout_fraction
        self.grid_size = grid_size
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags: a binary classifier."""
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    # -- fit ------------------------------------------------------------------------
    _FRAMES = ("thresholds_", "holdout_rates_")

    def __getstate__(self) -> dict[str, Any]:
        # skops (no pickle) cannot hold a DataFrame: the two tables travel as their column
        # names and float values; their index is ``groups_``.
        state = dict(super().__getstate__())
        for name in self._FRAMES:
            frame = state.get(name)
            if isinstance(frame, pd.DataFrame):
                state[name] = {"columns": [str(c) for c in frame.columns],
                               "values": frame.to_numpy(dtype=np.float64)}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        for name in self._FRAMES:
            frame = state.get(name)
            if isinstance(frame, dict):
                state[name] = pd.DataFrame(
                    frame["values"], columns=frame["columns"],
                    index=pd.Index(list(state["groups_"]), name="group"),
                )
        super().__setstate__(state)

    def _check_params(self) -> str:
        constraint = check_disparity_name(self.constraint, _CONSTRAINTS, argument="constraint")
        if self.objective not in _OBJECTIVES:
            raise InvalidInputError(
                f"objective must be one of {_OBJECTIVES}, got {self.objective!r}"
            )
        fraction = self.holdout_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, int | float | np.number) or not (
            0.0 <= float(fraction) < 1.0
        ):
            raise InvalidInputError(f"holdout_fraction must be in [0, 1), got {fraction!r}")
        size = self.grid_size
        if size is not None and (
            isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 2
        ):
            raise InvalidInputError(f"grid_size must be None or an integer >= 2, got {size!r}")
        return constraint

    def fit(self, X: Any, y: Any, *, sensitive_features: Any = None) -> GroupThresholdClassifier:
        """Fit the estimator (unless ``prefit``) and choose each group's threshold rule.

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : array-like of shape (n,)
            Two classes; the larger (sorted second) is the positive class.
        sensitive_features : array-like of shape (n,) or DataFrame of shape (n, k)
            Group of each row (several columns: their intersections). Required.

        Returns
        -------
        self

        Raises
        ------
        InvalidInputError
            Bad parameters, no ``sensitive_features``, a single class in ``y``, an
            unfitted estimator with ``prefit=True``, or bad ``X``.
        NonBinaryLabelError
            More than two classes in ``y``.
        LengthMismatchError
            ``y`` or ``sensitive_features`` not one per row of ``X``.
        MissingValueError
            NaN in ``X``, ``y`` or ``sensitive_features``.
        SingleGroupError
            ``sensitive_features`` holds one group.

        Warns
        -----
        UserWarning
            The held-out rows miss a group or a label (thresholds chosen on all rows);
            a group has no positives (or negatives) so the constraint says nothing about
            its TPR (or FPR): that rate is left free for it.
        """
        constraint = self._check_params()
        X, y = check_fit_input(self, X, y)
        classes, y_codes = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise InvalidInputError(single_class_message(classes[0]))
        if classes.size > 2:
            raise NonBinaryLabelError(
                "Only binary classification is supported. GroupThresholdClassifier needs "
                f"y to hold two classes, got {classes.size}: {classes[:5].tolist()}"
            )
        if sensitive_features is None:
            raise InvalidInputError(
                "GroupThresholdClassifier.fit needs sensitive_features (the group of each "
                "row): call fit(X, y, sensitive_features=groups); in a Pipeline enable "
                "metadata routing and call set_fit_request(sensitive_features=True)"
            )
        encoded = encode_sensitive_features(sensitive_features)
        groups = np.asarray(encoded.codes, dtype=np.int64)
        if groups.shape[0] != X.shape[0]:
            raise LengthMismatchError(
                f"sensitive_features has {groups.shape[0]} rows but X has {X.shape[0]}: "
                "give one group per row"
            )
        if len(encoded.names) < 2:
            raise SingleGroupError(
                f"sensitive_features holds a single group ({encoded.names[0]!r}): per-group "
                "thresholds need at least two groups"
            )
        rng = check_random_state(self.random_state)
        split_seed, self.seed_ = (int(s) for s in rng.randint(0, 2**31 - 1, size=2))
        self.classes_ = classes
        self.groups_ = tuple(encoded.names)
        positive = y_codes == 1
        chosen = self._fit_estimator(X, y, groups, y_codes, split_seed)
        scores = self._scores(X[chosen])
        self._choose(scores, positive[chosen], groups[chosen], constraint)
        return self

    def _fit_estimator(
        self, X: np.ndarray, y: np.ndarray, groups: np.ndarray, y_codes: np.ndarray, seed: int
    ) -> np.ndarray:
        """Fit ``estimator_``; return the mask of the rows that choose the thresholds."""
        n = X.shape[0]
        everything = np.ones(n, dtype=bool)
        if self.prefit:
            if self.estimator is None:
                raise InvalidInputError("prefit=True needs a fitted estimator, got None")
            check_is_fitted(self.estimator)
            self.estimator_ = self.estimator
            known = getattr(self.estimator_, "classes_", None)
            if known is not None and not np.array_equal(np.asarray(known), self.classes_):
                raise InvalidInputError(
                    f"the prefit estimator's classes {list(known)} differ from y's "
                    f"{self.classes_.tolist()}"
                )
            return everything
        base = LogisticRegression(max_iter=1000) if self.estimator is None else self.estimator
        self.estimator_ = clone(base)
        held = holdout_mask(groups, y_codes, float(self.holdout_fraction), seed)
        self.estimator_.fit(X[~held], y[~held])
        complete = (
            np.unique(groups[held]).size == len(self.groups_)
            and np.unique(y_codes[held]).size == 2
        )
        if held.any() and not complete:
            warnings.warn(
                "the held-out rows miss a group or a label (too few rows in some "
                "group x label cell): the thresholds are chosen on all rows, including "
                "those the estimator was fitted on",
                UserWarning, stacklevel=3,
            )
        return held if complete else everything

    def _scores(self, X: np.ndarray) -> np.ndarray:
        if hasattr(self.estimator_, "predict_proba"):
            return np.asarray(self.estimator_.predict_proba(X), dtype=np.float64)[:, 1]
        return np.asarray(self.estimator_.decision_function(X), dtype=np.float64).ravel()

    def _choose(
        self, scores: np.ndarray, positive: np.ndarray, groups: np.ndarray, constraint: str
    ) -> None:
        """Choose every group's rule on the threshold rows."""
        k = len(self.groups_)
        chains = [_upper_chain(scores[groups == g], positive[groups == g]) for g in range(k)]
        n_pos = np.array([c[1][-1] for c in chains])
        n_neg = np.array([c[0][-1] for c in chains])
        n = n_pos.sum() + n_neg.sum()
        if self.objective == "accuracy":
            a = b = 1.0 / n
        else:  # balanced accuracy: (TP / P + 1 - FP / N) / 2 over all rows
            a = 0.5 / n_pos.sum() if n_pos.sum() else 0.0
            b = 0.5 / n_neg.sum() if n_neg.sum() else 0.0
        loose_tpr = n_pos == 0 if constraint != "demographic_parity" else np.zeros(k, bool)
        loose_fpr = n_neg == 0 if constraint == "equalized_odds" else np.zeros(k, bool)
        for g in np.flatnonzero(loose_tpr | loose_fpr):
            rate = "true positive rate" if loose_tpr[g] else "false positive rate"
            warnings.warn(
                f"group {self.groups_[g]!r} has no {'positive' if loose_tpr[g] else 'negative'}"
                f" rows among the threshold rows: its {rate} is undefined, so {constraint} "
                "does not constrain it there; its rule maximises the objective on the rest",
                UserWarning, stacklevel=3,
            )
        rules = np.zeros((k, 4))  # upper, lower, p_upper, p_between
        if constraint == "demographic_parity":
            rate = [(fp + tp) / (pos + neg) for (fp, tp, _), pos, neg in zip(
                chains, n_pos, n_neg, strict=True)]
            s = self._best(rate, [c[1] for c in chains], lambda s, tp: ((a + b) * tp).sum(0)
                           - b * (n_pos + n_neg) @ np.broadcast_to(s, (k, s.size)))
            targets = [(r, s) for r in rate]
            for g, (coordinate, target) in enumerate(targets):
                rules[g] = self._rule(chains[g], *_on_chain(coordinate, target))
        elif constraint == "equal_opportunity":
            tight = np.flatnonzero(~loose_tpr)
            tpr = [chains[g][1] / n_pos[g] for g in tight]
            fps = [chains[g][0] for g in tight]
            # the chain's horizontal top edge adds false positives at the same TPR
            ends = [int(np.argmax(t >= 1.0)) + 1 for t in tpr]
            tpr = [t[:e] for t, e in zip(tpr, ends, strict=True)]
            fps = [f[:e] for f, e in zip(fps, ends, strict=True)]
            r = self._best(tpr, fps, lambda r, fp: a * n_pos[tight].sum() * r - b * fp.sum(0))
            for g, coordinate in zip(tight, tpr, strict=True):
                rules[g] = self._rule(chains[g], *_on_chain(coordinate, r))
            for g in np.flatnonzero(loose_tpr):
                fp, tp, _ = chains[g]
                rules[g] = self._rule(chains[g], int(np.argmax(a * tp - b * fp)), 0.0)
        else:
            rules = self._equalized_odds(chains, n_pos, n_neg, a, b, loose_tpr | loose_fpr)
        self._rules = rules
        self.thresholds_ = pd.DataFrame(
            rules, index=pd.Index(self.groups_, name="group"),
            columns=["upper_threshold", "lower_threshold", "p_upper", "p_between"],
        )
        accept = self._acceptance(scores, groups)
        table = {}
        for name, mask in (("selection_rate", None), ("true_positive_rate", positive),
                           ("false_positive_rate", ~positive)):
            rows = np.ones_like(positive) if mask is None else mask
            total = np.bincount(groups, weights=rows, minlength=k)
            hit = np.bincount(groups, weights=accept * rows, minlength=k)
            with np.errstate(invalid="ignore", divide="ignore"):
                table[name] = hit / total
        self.holdout_rates_ = pd.DataFrame(table, index=self.thresholds_.index)
        tp, fp = (accept * positive).sum(), (accept * ~positive).sum()
        if self.objective == "accuracy":
            self.holdout_objective_ = float((tp - fp + n_neg.sum()) / n)
        else:
            self.holdout_objective_ = float(0.5 * (tp / n_pos.sum() + 1 - fp / n_neg.sum()))

    def _best(self, coordinates: list, values: list, objective: Any) -> float:
        """The common rate maximising ``objective(rate, value_matrix)``, where each
        group's value is piecewise linear in the rate along its chain."""
        if not coordinates:
            return 1.0
        if self.grid_size is None:
            grid = np.unique(np.concatenate(coordinates))
        else:
            grid = np.linspace(0.0, 1.0, int(self.grid_size))
        matrix = np.stack([np.interp(grid, c, v) for c, v in zip(coordinates, values, strict=True)])
        return float(grid[int(np.argmax(objective(grid, matrix)))])

    @staticmethod
    def _rule(chain: tuple, k: int, lam: float, share: float = 1.0) -> np.ndarray:
        """A group's rule from edge ``k`` of its chain, the weight ``lam`` of vertex
        ``k + 1`` and the share ``share`` of that point mixed with "reject all"."""
        cuts = chain[2]
        if lam == 0.0 or k + 1 >= cuts.size:
            return np.array([cuts[k], cuts[k], share, 0.0])
        return np.array([cuts[k], cuts[k + 1], share, share * lam])

    def _equalized_odds(
        self, chains: list, n_pos: np.ndarray, n_neg: np.ndarray, a: float, b: float,
        loose: np.ndarray,
    ) -> np.ndarray:
        """Hardt et al.'s equalized-odds point: for each FPR ``f`` the highest TPR every
        group reaches is the lowest of their hulls there; the objective is linear in
        ``(f, r)``, so its maximum is at a breakpoint of a hull or a crossing of two."""
        tight = np.flatnonzero(~loose)
        fprs, tprs = [], []
        for g in tight:
            fp, tp, _ = chains[g]
            fprs.append(fp / n_neg[g])
            tprs.append(tp / n_pos[g])
        if tight.size:
            # drop the start of a vertical first edge: TPR as a function of FPR
            starts = [int(f.size > 1 and f[1] == 0) for f in fprs]
            if self.grid_size is None:
                grid = np.unique(np.concatenate([f[s:] for f, s in zip(fprs, starts, strict=True)]))
            else:
                grid = np.linspace(0.0, 1.0, int(self.grid_size))
            curves = np.stack([np.interp(grid, f[s:], t[s:])
                               for f, t, s in zip(fprs, tprs, starts, strict=True)])
            if self.grid_size is None and tight.size > 1:
                grid = np.unique(np.concatenate((grid, _crossings(grid, curves))))
                curves = np.stack([np.interp(grid, f[s:], t[s:])
                                   for f, t, s in zip(fprs, tprs, starts, strict=True)])
            lowest = curves.min(axis=0)
            value = a * n_pos.sum() * lowest - b * n_neg.sum() * grid
            best = int(np.argmax(value))
            f, r = float(grid[best]), float(lowest[best])
        else:  # no group has both labels: fewer false positives, more true ones
            f, r = 0.0, 1.0
        rules = np.zeros((len(chains), 4))
        for i, g in enumerate(tight):
            rules[g] = self._rule(chains[g], *_on_ray(fprs[i], tprs[i], f, r))
        for g in np.flatnonzero(loose):
            fp, tp, _ = chains[g]
            # one label only: the defined rate is the selection rate of the group
            target = f if n_pos[g] == 0 else r
            rate = (fp + tp) / (fp[-1] + tp[-1])
            rules[g] = self._rule(chains[g], *_on_chain(rate, target))
        return rules

    # -- prediction -------------------------------------------------------------------
    def _group_codes(self, sensitive_features: Any, n: int) -> np.ndarray:
        if sensitive_features is None:
            raise InvalidInputError(
                "GroupThresholdClassifier.predict needs sensitive_features: each row's "
                "threshold depends on its group"
            )
        encoded = encode_sensitive_features(sensitive_features)
        if encoded.codes.shape[0] != n:
            raise LengthMismatchError(
                f"sensitive_features has {encoded.codes.shape[0]} rows but X has {n}"
            )
        index = {name: i for i, name in enumerate(self.groups_)}
        unknown = [name for name in encoded.names if name not in index]
        if unknown:
            raise InvalidInputError(
                f"group(s) {unknown[:5]} were not seen at fit; the fitted groups are "
                f"{list(self.groups_)}: a group's threshold is chosen on its own rows"
            )
        lookup = np.array([index[name] for name in encoded.names], dtype=np.int64)
        return lookup[np.asarray(encoded.codes, dtype=np.int64)]

    def _acceptance(self, scores: np.ndarray, groups: np.ndarray) -> np.ndarray:
        upper, lower, p_upper, p_between = self._rules[groups].T
        return np.where(scores > upper, p_upper, np.where(scores > lower, p_between, 0.0))

    def acceptance_probability(self, X: Any, *, sensitive_features: Any) -> np.ndarray:
        """Probability that the randomised rule answers the positive class ``classes_[1]``.

        Parameters
        ----------
        X : array-like of shape (n, d)
        sensitive_features : array-like of shape (n,)
            Groups seen at fit.

        Returns
        -------
        ndarray of float64, shape (n,)

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        InvalidInputError
            No ``sensitive_features``, a group not seen at fit, or bad ``X``.
        LengthMismatchError
            ``sensitive_features`` not one per row.
        """
        X = check_predict_input(self, X, attribute="thresholds_")
        return self._acceptance(self._scores(X), self._group_codes(sensitive_features, X.shape[0]))

    def predict(self, X: Any, *, sensitive_features: Any = None) -> np.ndarray:
        """Labels from each group's rule, the same on every call.

        A row is positive when its uniform draw (a hash of its features, group and
        ``seed_``) is below :meth:`acceptance_probability`.

        Parameters
        ----------
        X : array-like of shape (n, d)
        sensitive_features : array-like of shape (n,)
            Required: groups seen at fit.

        Returns
        -------
        ndarray of shape (n,)

        Raises
        ------
        As :meth:`acceptance_probability`.
        """
        X = check_predict_input(self, X, attribute="thresholds_")
        groups = self._group_codes(sensitive_features, X.shape[0])
        accept = self._acceptance(self._scores(X), groups)
        return self.classes_[(_row_uniforms(X, groups, self.seed_) < accept).astype(np.int64)]

    @available_if(_has_method("predict_proba"))
    def predict_proba(self, X: Any, sensitive_features: Any = None) -> np.ndarray:
        """The estimator's class probabilities (``sensitive_features`` is not used).

        The thresholds change the decisions, not the model's uncertainty, which the
        active-learning strategies read from here; the rule's own probability of a
        positive answer is :meth:`acceptance_probability`.

        Parameters
        ----------
        X : array-like of shape (n, d)
        sensitive_features : ignored
            Accepted so that callers passing groups to every method can.

        Returns
        -------
        ndarray of shape (n, 2)
        """
        X = check_predict_input(self, X, attribute="thresholds_")
        return np.asarray(self.estimator_.predict_proba(X), dtype=np.float64)
