"""Resampling the (group x label) cells: an imbalanced-learn sampler and a meta-estimator.

The practitioner's guide ("Resampling and Reweighting", "Data Augmentation") fixes an
unequal representation by over- or under-sampling, or by synthetic rows (SMOTE, Chawla
et al., "SMOTE: Synthetic Minority Over-sampling Technique", JAIR 16, 2002). For
fairness the unit is the cell (group, label), not the class: when every cell has the
same size, every group has the same label rates (demographic parity of the data) and the
same weight, as in Kamiran & Calders' "uniform sampling" (KAIS 33, 2012, section 4.3).

The sampling itself is imbalanced-learn's: :class:`GroupResampler` runs
``RandomOverSampler`` / ``RandomUnderSampler`` on the cell id ``group * n_labels +
label``, and ``SMOTE`` (``SMOTENC`` with categorical columns) on the labels of each
group separately, so that a synthetic row interpolates two rows of one group and one
label and never mixes groups. What is written here is what imbalanced-learn does not do:
the cell ids and their target sizes, the per-group SMOTE, the fallbacks for cells too
small or empty, and carrying the groups to the resampled rows.

Pipelines. imbalanced-learn 0.14's ``Pipeline`` routes metadata to a sampler's
``fit_resample`` only with scikit-learn's metadata routing enabled
(``sklearn.set_config(enable_metadata_routing=True)``; imbalanced-learn issue #1111,
fixed by pull request #1115). With routing on, ``GroupResampler().
set_fit_resample_request(sensitive_features=True)`` works as a pipeline step. What does
not work: the routed metadata is not resampled (imbalanced-learn issue #457), so a later
step that also requests ``sensitive_features`` (or ``sample_weight``) gets the original
rows' values, of the wrong length; and without routing the pipeline has no way to pass
them at all. :class:`ResampledClassifier` is the way around both: it resamples inside
its own ``fit`` and hands the resampled groups on to an estimator that takes them.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from fairpool.errors import InvalidInputError, LengthMismatchError
from fairpool.learners import (
    check_fit_input,
    check_predict_input,
    fit_with_groups,
    single_class_message,
)
from fairpool.metrics import encode_sensitive_features

__all__ = ["GroupResampler", "ResampledClassifier"]

_METHODS = ("oversample", "undersample", "smote")
_SAMPLINGS = ("balance", "within_group", "independent")

try:  # the parent that makes imbalanced-learn's Pipeline treat the class as a sampler
    from imblearn.base import SamplerMixin as _SamplerBase
except ImportError:  # pragma: no cover - imbalanced-learn is a dependency
    _SamplerBase = object


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (labels in messages and dict keys)."""
    return value.item() if isinstance(value, np.generic) else value


def _original_values(sensitive_features: Any) -> np.ndarray | None:
    """The 1-D group values as given (None for several columns)."""
    if hasattr(sensitive_features, "to_numpy"):
        values = sensitive_features.to_numpy()
    elif isinstance(sensitive_features, dict):
        return None
    else:
        values = np.asarray(sensitive_features)
    return values if values.ndim == 1 else None


class GroupResampler(_SamplerBase, BaseEstimator):
    """An imbalanced-learn sampler that balances the (group x label) cells.

    Let ``n_gc`` be the number of rows of group ``g`` and label ``c``; only the cells
    with at least one row are resampled. The size of cell ``(g, c)`` after resampling
    is exactly (max and min over the cells with rows; for ``"within_group"`` over the
    cells ``(g, c')`` of the same group):

    ===========  ================  ==================  =======================
    method       ``"balance"``     ``"within_group"``  ``"independent"``
    ===========  ================  ==================  =======================
    oversample   max n_gc          max_c' n_gc'        ceil(n_g n_c r_max)
    undersample  min n_gc          min_c' n_gc'        floor(n_g n_c r_min)
    smote        max n_gc          max_c' n_gc'        ceil(n_g n_c r_max)
    ===========  ================  ==================  =======================

    ``"balance"`` makes every cell the same size: each group gets the same label
    rates (1 / number of labels) and the same number of rows. ``"within_group"``
    balances the labels inside each group and keeps the groups' relative sizes.
    ``"independent"`` is Kamiran & Calders' uniform sampling (KAIS 33, 2012, section
    4.3): cell sizes proportional to ``n_g n_c``, the sizes they would have if label
    and group were independent, so every group keeps the data's overall label rate
    (up to the rounding of one row); ``n_g`` and ``n_c`` are the group's and the
    label's row counts and ``r_max`` / ``r_min`` the largest / smallest
    ``n_gc / (n_g n_c)`` over the cells with rows, so that no cell shrinks when
    over-sampling and none grows when under-sampling (sizes at least 1). Of the three,
    only ``"independent"`` keeps the base rate, so a model trained on it predicts the
    positive class as often as before: on Adult (sex) it lowers the demographic parity
    gap, while ``"balance"`` (positive rate 0.5 for all) raises the predicted positive
    rates and with them the gap.

    ``"oversample"`` and ``"undersample"`` are imbalanced-learn's
    ``RandomOverSampler`` / ``RandomUnderSampler`` run on the cell ids
    ``group_code * n_labels + label_code`` with ``random_state``. ``"smote"`` runs
    ``SMOTE`` (``SMOTENC`` when ``categorical_features`` is given) on each group's rows
    and labels alone, so synthetic rows interpolate two rows of the same group and label;
    group ``g`` (in code order) gets the seed ``check_random_state(random_state)
    .randint(2**31 - 1)`` drawn in turn. The output keeps the input rows in order and
    appends the synthetic rows, group by group.

    Fallbacks (each with a ``UserWarning``): a cell with no rows (a group lacking a
    label that the data hold) stays empty, since nothing can be sampled from it; the
    targets are then computed over the other cells. For ``"smote"``, a label of a group
    with ``m <= k_neighbors`` rows to grow uses ``k_neighbors = m - 1``, and a group
    where some label to grow has a single row, or that holds one label only, is
    over-sampled at random (copies of its rows) instead. One group only balances the
    labels (with a warning).

    Parameters
    ----------
    method : {"oversample", "undersample", "smote"}, default="oversample"
    k_neighbors : int, default=5
        SMOTE's number of neighbours (within the group and label).
    categorical_features : array-like of int or bool, or "auto", optional
        Columns that are categorical: SMOTENC is used instead of SMOTE (see its
        documentation for the accepted values). Only for ``method="smote"``.
    sampling : {"balance", "within_group", "independent"}, default="balance"
        The target sizes, as in the table above.
    random_state : int, RandomState or None, default=None
        Seed of the samplers.

    Attributes
    ----------
    sensitive_features_ : ndarray of shape (n_resampled,)
        The group of each resampled row: the values given (for one column of groups)
        or the group names (``"F|1"``, for several columns).
    group_codes_ : ndarray of int64, shape (n_resampled,)
        The group codes of the resampled rows (codes of ``group_names_``).
    group_names_ : tuple of str
    target_counts_ : dict
        ``{(group name, label): target size}`` for the cells with rows.
    sample_indices_ : ndarray of shape (n_resampled,)
        For ``"oversample"`` and ``"undersample"`` only: the input row behind each
        resampled row (imbalanced-learn's ``sample_indices_``).
    n_features_in_ : int

    Raises
    ------
    InvalidInputError
        (in ``fit_resample``) unknown ``method`` or ``sampling``, ``k_neighbors`` not a
        positive integer, ``categorical_features`` with another method, no
        ``sensitive_features``, a single label.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(20.0).reshape(10, 2)
    >>> y = np.array([0, 0, 0, 1, 0, 0, 1, 1, 1, 0])
    >>> g = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    >>> sampler = GroupResampler(random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y, sensitive_features=g)
    >>> sorted(sampler.target_counts_.items())
    [(('0', 0), 4), (('0', 1), 4), (('1', 0), 4), (('1', 1), 4)]
    >>> X_res.shape
    (16, 2)
    """

    _sampling_type = "over-sampling"

    def __init__(
        self,
        method: Literal["oversample", "undersample", "smote"] = "oversample",
        *,
        k_neighbors: int = 5,
        categorical_features: Any = None,
        sampling: Literal["balance", "within_group"] = "balance",
        random_state: Any = None,
    ) -> None:
        self.method = method
        self.k_neighbors = k_neighbors
        self.categorical_features = categorical_features
        self.sampling = sampling
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags: dense numeric input."""
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    def _check_params(self) -> None:
        if self.method not in _METHODS:
            raise InvalidInputError(f"method must be one of {_METHODS}, got {self.method!r}")
        if self.sampling not in _SAMPLINGS:
            raise InvalidInputError(
                f"sampling must be one of {_SAMPLINGS}, got {self.sampling!r}"
            )
        k = self.k_neighbors
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise InvalidInputError(f"k_neighbors must be a positive integer, got {k!r}")
        if self.categorical_features is not None and self.method != "smote":
            raise InvalidInputError(
                "categorical_features applies to method='smote' only (SMOTENC); random "
                "over- and under-sampling copy rows and need no categorical columns"
            )

    def fit(self, X: Any, y: Any, **params: Any) -> GroupResampler:
        """Resample once, to check the input and set the fitted attributes.

        ``fit_resample`` is the method to use. ``params`` (``sensitive_features``) are
        passed to it; they are not named in this signature so that a Pipeline with
        metadata routing needs only ``set_fit_resample_request``.

        Returns
        -------
        self
        """
        self.fit_resample(X, y, **params)
        return self

    def fit_resample(
        self, X: Any, y: Any, *, sensitive_features: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Resample ``(X, y)`` so that the (group x label) cells get their target sizes.

        Parameters
        ----------
        X : array-like of shape (n, d)
            Numeric features.
        y : array-like of shape (n,)
            Labels; at least two classes.
        sensitive_features : array-like of shape (n,), or DataFrame of columns
            Group of each row. Required. In an imbalanced-learn Pipeline with metadata
            routing enabled, request it with
            ``set_fit_resample_request(sensitive_features=True)``.

        Returns
        -------
        X_resampled : ndarray of shape (n_resampled, d)
        y_resampled : ndarray of shape (n_resampled,)

        Raises
        ------
        InvalidInputError
            Bad parameters, no ``sensitive_features``, a single class, bad ``X``.
        LengthMismatchError
            ``y`` or ``sensitive_features`` has another length than ``X``.
        MissingValueError
            NaN in ``X``, ``y`` or ``sensitive_features``.
        TypeError
            Sparse ``X``.

        Warns
        -----
        UserWarning
            An empty cell, a SMOTE fallback, or a single group (see the class docstring).
        """
        self._check_params()
        X, y = check_fit_input(self, X, y)
        if sensitive_features is None:
            raise InvalidInputError(
                "GroupResampler.fit_resample needs sensitive_features (the group of each "
                "row): call fit_resample(X, y, sensitive_features=groups); in an "
                "imbalanced-learn Pipeline enable metadata routing and call "
                "set_fit_resample_request(sensitive_features=True)"
            )
        encoded = encode_sensitive_features(sensitive_features)
        groups = np.asarray(encoded.codes, dtype=np.int64)
        if groups.shape[0] != X.shape[0]:
            raise LengthMismatchError(
                f"sensitive_features has {groups.shape[0]} rows but X has {X.shape[0]}: "
                "give one group per row"
            )
        names = tuple(encoded.names)
        classes, labels = np.unique(y, return_inverse=True)
        if classes.shape[0] < 2:
            raise InvalidInputError(single_class_message(classes[0]))
        n_groups, n_labels = len(names), classes.shape[0]
        if n_groups < 2:
            warnings.warn(
                f"GroupResampler got a single group ({names[0]!r}): it balances the labels "
                "only", UserWarning, stacklevel=2,
            )
        counts = np.zeros((n_groups, n_labels), dtype=np.int64)
        np.add.at(counts, (groups, labels), 1)
        for g, k in zip(*np.nonzero(counts == 0), strict=True):
            warnings.warn(
                f"group {names[g]!r} has no rows with label {_plain(classes[k])!r}: that "
                "cell stays empty (nothing to sample from) and the others are resampled "
                "without it", UserWarning, stacklevel=2,
            )
        targets = self._targets(counts)
        self.target_counts_ = {
            (names[g], _plain(classes[k])): int(targets[g, k])
            for g, k in zip(*np.nonzero(counts), strict=True)
        }
        if self.method == "smote":
            X_res, labels_res, groups_res = self._smote(
                X, labels, groups, counts, targets, names
            )
        else:
            X_res, labels_res, groups_res = self._random(X, labels, groups, counts, targets)
        values = _original_values(sensitive_features)
        if values is None:
            self.sensitive_features_ = np.asarray(names, dtype=object)[groups_res]
        else:
            first = np.array([np.flatnonzero(groups == g)[0] for g in range(n_groups)])
            self.sensitive_features_ = values[first[groups_res]]
        self.group_codes_ = groups_res
        self.group_names_ = names
        return X_res, classes[labels_res]

    def _targets(self, counts: np.ndarray) -> np.ndarray:
        """Target size of every cell (0 for the empty ones)."""
        present = counts > 0
        grow = self.method != "undersample"
        if self.sampling == "balance":
            size = counts[present].max() if grow else counts[present].min()
            targets = np.full(counts.shape, size)
        elif self.sampling == "within_group":
            masked = np.where(present, counts, -1 if grow else np.iinfo(np.int64).max)
            per_group = masked.max(axis=1) if grow else masked.min(axis=1)
            targets = np.repeat(per_group[:, None], counts.shape[1], axis=1)
        else:
            # n_g n_c r with r = n_gc / (n_g n_c) of the cell furthest above (grow) or
            # below (shrink) independence, rounded up (grow) or down; exact integers.
            n_g, n_c = counts.sum(axis=1), counts.sum(axis=0)
            cells = list(zip(*np.nonzero(present), strict=True))
            ratios = {
                cell: Fraction(int(counts[cell]), int(n_g[cell[0]]) * int(n_c[cell[1]]))
                for cell in cells
            }
            r = max(ratios.values()) if grow else min(ratios.values())
            targets = np.zeros(counts.shape, dtype=np.int64)
            for g, c in cells:
                size = int(n_g[g]) * int(n_c[c]) * r
                targets[g, c] = math.ceil(size) if grow else math.floor(size)
            targets = np.maximum(targets, 1)
        return np.where(present, targets, 0)

    def _random(self, X, labels, groups, counts, targets):
        from imblearn.over_sampling import RandomOverSampler
        from imblearn.under_sampling import RandomUnderSampler

        n_labels = counts.shape[1]
        cells = groups * n_labels + labels
        strategy = {
            int(g * n_labels + k): int(targets[g, k])
            for g, k in zip(*np.nonzero(counts), strict=True)
        }
        sampler_cls = RandomOverSampler if self.method == "oversample" else RandomUnderSampler
        sampler = sampler_cls(sampling_strategy=strategy, random_state=self.random_state)
        X_res, cells_res = sampler.fit_resample(X, cells)
        self.sample_indices_ = np.asarray(sampler.sample_indices_)
        return X_res, cells_res % n_labels, cells_res // n_labels

    def _smote(self, X, labels, groups, counts, targets, names):
        from imblearn.over_sampling import SMOTE, SMOTENC

        rng = check_random_state(self.random_state)
        new_X, new_labels, new_groups = [X], [labels], [groups]
        for g in range(counts.shape[0]):
            seed = rng.randint(2**31 - 1)
            rows = np.flatnonzero(groups == g)
            present = np.flatnonzero(counts[g])
            grow = [k for k in present if targets[g, k] > counts[g, k]]
            if not grow:
                continue
            smallest = min(counts[g, k] for k in grow)
            if present.shape[0] < 2 or smallest < 2:
                warnings.warn(
                    f"group {names[g]!r}: a label to grow has "
                    f"{'no other label beside it' if present.shape[0] < 2 else 'one row'}, "
                    "too few for SMOTE; its cells are over-sampled at random (copies)",
                    UserWarning, stacklevel=3,
                )
                extra = self._copies(rows, labels, g, counts, targets, seed)
                new_X.append(X[extra])
                new_labels.append(labels[extra])
                new_groups.append(groups[extra])
                continue
            k = int(self.k_neighbors)
            if smallest <= k:
                warnings.warn(
                    f"group {names[g]!r}: a label to grow has {smallest} rows, too few for "
                    f"k_neighbors={k}; SMOTE uses k_neighbors={smallest - 1} there",
                    UserWarning, stacklevel=3,
                )
                k = int(smallest) - 1
            strategy = {int(c): int(targets[g, c]) for c in present}
            if self.categorical_features is None:
                sampler = SMOTE(sampling_strategy=strategy, k_neighbors=k, random_state=seed)
            else:
                sampler = SMOTENC(
                    self.categorical_features, sampling_strategy=strategy, k_neighbors=k,
                    random_state=seed,
                )
            try:
                X_g, labels_g = sampler.fit_resample(X[rows], labels[rows])
            except ValueError as exc:
                raise InvalidInputError(f"imbalanced-learn's {type(sampler).__name__}: {exc}") \
                    from exc
            synthetic = slice(rows.shape[0], None)  # imbalanced-learn appends them
            new_X.append(X_g[synthetic])
            new_labels.append(np.asarray(labels_g)[synthetic])
            new_groups.append(np.full(X_g.shape[0] - rows.shape[0], g, dtype=np.int64))
        return np.concatenate(new_X), np.concatenate(new_labels), np.concatenate(new_groups)

    @staticmethod
    def _copies(rows, labels, g, counts, targets, seed):
        """Rows drawn with replacement from each of group g's cells, up to its target."""
        rng = np.random.default_rng(seed)
        extra = []
        for k in np.flatnonzero(counts[g]):
            cell = rows[labels[rows] == k]
            extra.append(rng.choice(cell, size=int(targets[g, k] - counts[g, k])))
        return np.concatenate(extra).astype(np.int64)

    def _fit_resample(self, X, y, **params):  # imbalanced-learn's abstract hook
        return self.fit_resample(X, y, **params)

    def __getstate__(self) -> dict[str, Any]:
        # skops (no pickle) keeps only str-keyed dicts: the (group, label) keys of
        # target_counts_ travel as a list of (group, label, size) triples.
        state = dict(super().__getstate__())
        if isinstance(state.get("target_counts_"), dict):
            state["target_counts_"] = [(g, label, n)
                                       for (g, label), n in state["target_counts_"].items()]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        if isinstance(state.get("target_counts_"), list):
            state["target_counts_"] = {(g, label): n for g, label, n in state["target_counts_"]}
        super().__setstate__(state)


class ResampledClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` on the rows a :class:`GroupResampler` gives.

    The way around imbalanced-learn's Pipeline, which cannot hand the groups to a
    sampler without metadata routing nor resample them for later steps: ``fit``
    resamples ``(X, y)`` with a clone of ``resampler`` and fits a clone of
    ``estimator`` on the result; when the estimator's ``fit`` takes
    ``sensitive_features`` it gets the resampled rows' groups. Prediction is the
    estimator's and needs no groups.

    Parameters
    ----------
    estimator : classifier, optional
        Default ``LogisticRegression(max_iter=1000)``.
    resampler : GroupResampler or sampler, optional
        Default ``GroupResampler(sampling="independent", random_state=0)``: seeded, so
        that two fits on the same data give the same model, and Kamiran & Calders'
        uniform sizes, which keep the base rate (on Adult, sex, they lower the
        demographic parity gap where equal cells raise it). Any object with
        ``fit_resample(X, y, sensitive_features=...)`` works.

    Attributes
    ----------
    estimator_ : classifier
    resampler_ : GroupResampler
        The fitted clone (its ``sensitive_features_``, ``target_counts_``).
    classes_ : ndarray
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); g = (X[:, 0] > 0).astype(int)
    >>> y = (X[:, 0] + rng.normal(size=200) > 0).astype(int)
    >>> clf = ResampledClassifier(resampler=GroupResampler("smote", random_state=0))
    >>> clf.fit(X, y, sensitive_features=g).predict(X).shape
    (200,)
    """

    def __init__(self, estimator: Any = None, resampler: Any = None) -> None:
        self.estimator = estimator
        self.resampler = resampler

    def _estimator(self) -> Any:
        return LogisticRegression(max_iter=1000) if self.estimator is None else self.estimator

    def fit(self, X: Any, y: Any, *, sensitive_features: Any = None) -> ResampledClassifier:
        """Resample, then fit a clone of ``estimator`` on the resampled rows.

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : array-like of shape (n,)
        sensitive_features : array-like of shape (n,), or DataFrame of columns
            Group of each row. Required. With metadata routing, request it with
            ``set_fit_request(sensitive_features=True)``.

        Returns
        -------
        self

        Raises
        ------
        As :meth:`GroupResampler.fit_resample`.
        """
        X, y = check_fit_input(self, X, y)
        if sensitive_features is None:
            raise InvalidInputError(
                "ResampledClassifier.fit needs sensitive_features (the group of each row) "
                "to resample the (group x label) cells: fit(X, y, sensitive_features=g)"
            )
        if self.resampler is None:
            resampler = GroupResampler(sampling="independent", random_state=0)
        else:
            resampler = clone(self.resampler)
        X_res, y_res = resampler.fit_resample(X, y, sensitive_features=sensitive_features)
        estimator = clone(self._estimator())
        fit_with_groups(estimator, X_res, y_res, resampler.sensitive_features_)
        self.resampler_ = resampler
        self.estimator_ = estimator
        self.classes_ = estimator.classes_
        return self

    def _has(name: str):  # noqa: N805 - a decorator factory used in the class body
        def check(self: ResampledClassifier) -> bool:
            if hasattr(self, "estimator_"):
                return hasattr(self.estimator_, name)
            return hasattr(self._estimator(), name)

        return check

    @available_if(_has("predict"))
    def predict(self, X: Any) -> np.ndarray:
        """The fitted estimator's labels for ``X``, shape (n,)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(check_predict_input(self, X, attribute="estimator_"))

    @available_if(_has("predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        """The fitted estimator's class probabilities for ``X``, shape (n, n_classes)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(
            check_predict_input(self, X, attribute="estimator_")
        )

    @available_if(_has("decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        """The fitted estimator's decision function for ``X``."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.decision_function(
            check_predict_input(self, X, attribute="estimator_")
        )

    del _has
