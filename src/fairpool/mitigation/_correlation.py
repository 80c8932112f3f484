"""Correlation removal with the groups as metadata: fairlearn's ``CorrelationRemover``
behind fairpool's interface, and a classifier trained on its output.

fairlearn's :class:`fairlearn.preprocessing.CorrelationRemover` projects the
non-sensitive columns of ``X`` onto the orthogonal complement of the centred sensitive
columns (a least-squares fit of each feature on the sensitive columns, minus its
prediction) and blends the result with the original by ``alpha``. It expects the
sensitive columns *inside* ``X``, named by ``sensitive_feature_ids``. In fairpool the
groups are metadata (``sensitive_features``, one label per row, as everywhere else), so
:class:`CorrelationRemover` one-hot encodes them, appends the indicator columns to
``X`` and hands the combined matrix to fairlearn, which does the projection and drops
the indicators again. What is written here: that encoding (with the group names fixed at
``fit``, so that ``transform`` on other rows encodes them the same way), and the
classifier that needs the groups at prediction time too.

A full set of indicators is passed (one column per group): the centred indicators sum
to zero, so fairlearn's least-squares solve has a rank-deficient design; its
minimum-norm solution gives the same projection as dropping one indicator would.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    OneToOneFeatureMixin,
    TransformerMixin,
    clone,
)
from sklearn.linear_model import LogisticRegression
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from fairpool.errors import InvalidInputError, LengthMismatchError, MissingValueError
from fairpool.learners import check_fit_input, check_predict_input, single_class_message
from fairpool.metrics import encode_sensitive_features

__all__ = ["CorrelationRemovedClassifier", "CorrelationRemover"]


def _check_alpha(alpha: Any) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.integer | np.floating):
        raise InvalidInputError(f"alpha must be a number in [0, 1], got {alpha!r}")
    if not 0.0 <= float(alpha) <= 1.0:
        raise InvalidInputError(f"alpha must be a number in [0, 1], got {alpha!r}")
    return float(alpha)


def _validate(estimator: Any, X: Any, *, reset: bool) -> np.ndarray:
    """X as a finite float 2-D array (fairpool errors for bad input)."""
    try:
        X = validate_data(estimator, X, reset=reset, dtype="numeric", ensure_all_finite=False)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from exc
    if not np.isfinite(X).all():
        raise MissingValueError(
            "X holds NaN or infinity: the least-squares projection needs finite values; "
            "fill or drop them first"
        )
    return np.asarray(X, dtype=np.float64)


class CorrelationRemover(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Remove the linear correlation of every feature with the groups.

    With ``S`` the one-hot indicators of the groups and ``S_c = S - mean(S)`` (means
    of the training rows), each feature column ``z`` of ``X`` becomes
    ``alpha * (z - S_c w) + (1 - alpha) * z``, where ``w`` is the least-squares fit
    of ``z`` on ``S_c`` over the training rows. With ``alpha = 1`` every feature of
    the training rows has zero correlation with every group indicator (equivalently:
    every group has the same mean of every feature). The computation is fairlearn's
    ``CorrelationRemover`` on ``[X, S]``.

    Parameters
    ----------
    alpha : float in [0, 1], default=1.0
        How much to remove: 1 removes all linear correlation, 0 nothing.

    Attributes
    ----------
    remover_ : fairlearn.preprocessing.CorrelationRemover
        The fitted fairlearn transformer (on ``[X, S]``).
    group_names_ : tuple of str
        The groups seen in ``fit`` (the indicator columns, in this order).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.

    References
    ----------
    fairlearn's ``CorrelationRemover`` (fairlearn.preprocessing, since 0.6).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> g = rng.integers(0, 2, 100); X = rng.normal(size=(100, 2)) + g[:, None]
    >>> Z = CorrelationRemover().fit_transform(X, sensitive_features=g)
    >>> bool(abs(Z[g == 0].mean(0) - Z[g == 1].mean(0)).max() < 1e-10)
    True
    """

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags: dense input, no target."""
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    def _indicators(self, sensitive_features: Any, n: int, *, fit: bool) -> np.ndarray:
        """The one-hot group matrix of shape (n, n_groups), in ``group_names_`` order."""
        if sensitive_features is None:
            raise InvalidInputError(
                "CorrelationRemover needs sensitive_features (the group of each row): the "
                "projection removes the correlation with them, so fit and transform both "
                "need them, e.g. transform(X, sensitive_features=groups)"
            )
        encoded = encode_sensitive_features(sensitive_features)
        codes = np.asarray(encoded.codes)
        if codes.shape[0] != n:
            raise LengthMismatchError(
                f"sensitive_features has {codes.shape[0]} rows but X has {n}: give one "
                "group per row"
            )
        names = tuple(encoded.names)
        if fit:
            self.group_names_ = names
            if len(names) < 2:
                warnings.warn(
                    f"CorrelationRemover got a single group ({names[0]!r}): there is no "
                    "correlation with the group to remove, the transform leaves X as it is",
                    UserWarning, stacklevel=3,
                )
        position = {name: i for i, name in enumerate(self.group_names_)}
        unknown = sorted(set(names) - set(position))
        if unknown:
            warnings.warn(
                f"sensitive_features holds groups not seen in fit: {unknown} (fit saw "
                f"{list(self.group_names_)}); their rows are left as they are, since fit "
                "learnt no shift for those groups",
                UserWarning, stacklevel=3,
            )
        columns = np.array([position.get(name, -1) for name in names])[codes]
        S = np.zeros((n, len(self.group_names_)))
        known = columns >= 0
        S[np.flatnonzero(known), columns[known]] = 1.0
        if not known.all():
            # indicators equal to the training means: the centred indicators are 0
            S[~known] = self.remover_.sensitive_mean_
        return S

    def fit(self, X: Any, y: Any = None, *, sensitive_features: Any = None) -> CorrelationRemover:
        """Learn the projection from ``X`` and the groups.

        Parameters
        ----------
        X : array-like of shape (n, d)
            Numeric features (the groups are not among them).
        y : ignored
        sensitive_features : array-like of shape (n,), or DataFrame of columns
            Group of each row. Required.

        Returns
        -------
        self

        Raises
        ------
        InvalidInputError
            ``alpha`` outside [0, 1], no ``sensitive_features``, bad ``X``.
        LengthMismatchError
            ``sensitive_features`` has another length than ``X``.
        MissingValueError
            NaN or infinity in ``X``, NaN in ``sensitive_features``.
        TypeError
            Sparse ``X``.

        Warns
        -----
        UserWarning
            A single group: nothing to remove.
        """
        from fairlearn.preprocessing import CorrelationRemover as FairlearnRemover

        alpha = _check_alpha(self.alpha)
        X = _validate(self, X, reset=True)
        S = self._indicators(sensitive_features, X.shape[0], fit=True)
        d = X.shape[1]
        self.remover_ = FairlearnRemover(
            sensitive_feature_ids=list(range(d, d + S.shape[1])), alpha=alpha
        ).fit(np.hstack([X, S]))
        return self

    def transform(self, X: Any, *, sensitive_features: Any = None) -> np.ndarray:
        """Project the correlation with the groups out of ``X``.

        Parameters
        ----------
        X : array-like of shape (n, d)
        sensitive_features : array-like of shape (n,), or DataFrame of columns
            Group of each row (groups seen in ``fit``). Required.

        Returns
        -------
        ndarray of float64, shape (n, d)

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        InvalidInputError
            No ``sensitive_features``, or ``X`` with another number of features.
        LengthMismatchError, MissingValueError, TypeError
            As in :meth:`fit`.

        Warns
        -----
        UserWarning
            A group not seen in ``fit``: its rows are returned unchanged (their centred
            indicators are set to 0), since ``fit`` learnt no shift for it.
        """
        check_is_fitted(self, "remover_")
        X = _validate(self, X, reset=False)
        S = self._indicators(sensitive_features, X.shape[0], fit=False)
        return np.asarray(self.remover_.transform(np.hstack([X, S])), dtype=np.float64)

    def fit_transform(
        self, X: Any, y: Any = None, *, sensitive_features: Any = None
    ) -> np.ndarray:
        """``fit`` then ``transform`` on the same rows and groups.

        Returns
        -------
        ndarray of float64, shape (n, d)
        """
        return self.fit(X, y, sensitive_features=sensitive_features).transform(
            X, sensitive_features=sensitive_features
        )


class CorrelationRemovedClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` on the features after :class:`CorrelationRemover`.

    The removal is a function of the row's group too, so prediction needs the groups:
    ``predict(X, sensitive_features=groups)`` (the active-learning loop passes them).

    Parameters
    ----------
    estimator : classifier, optional
        Default ``LogisticRegression(max_iter=1000)``.
    alpha : float in [0, 1], default=1.0
        :class:`CorrelationRemover`'s ``alpha``.

    Attributes
    ----------
    remover_ : CorrelationRemover
    estimator_ : classifier
    classes_ : ndarray
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> g = rng.integers(0, 2, 200); X = rng.normal(size=(200, 2)) + g[:, None]
    >>> y = (X[:, 0] > 0.5).astype(int)
    >>> clf = CorrelationRemovedClassifier().fit(X, y, sensitive_features=g)
    >>> clf.predict(X, sensitive_features=g).shape
    (200,)
    """

    def __init__(self, estimator: Any = None, alpha: float = 1.0) -> None:
        self.estimator = estimator
        self.alpha = alpha

    def _estimator(self) -> Any:
        return LogisticRegression(max_iter=1000) if self.estimator is None else self.estimator

    def fit(
        self, X: Any, y: Any, *, sensitive_features: Any = None
    ) -> CorrelationRemovedClassifier:
        """Fit the remover on ``X`` and the groups, then a clone of ``estimator``.

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : array-like of shape (n,)
        sensitive_features : array-like of shape (n,), or DataFrame of columns
            Group of each row. Required. With metadata routing request it with
            ``set_fit_request(sensitive_features=True)`` (and the same for predict).

        Returns
        -------
        self

        Raises
        ------
        InvalidInputError
            No ``sensitive_features``, a single class, bad ``alpha`` or ``X``.
        LengthMismatchError, MissingValueError, TypeError
            As :meth:`CorrelationRemover.fit`.
        """
        X, y = check_fit_input(self, X, y)
        classes = np.unique(y)
        if classes.shape[0] < 2:
            raise InvalidInputError(single_class_message(classes[0]))
        remover = CorrelationRemover(alpha=self.alpha)
        Z = remover.fit_transform(X, sensitive_features=sensitive_features)
        self.estimator_ = clone(self._estimator()).fit(Z, y)
        self.remover_ = remover
        self.classes_ = self.estimator_.classes_
        return self

    def _features(self, X: Any, sensitive_features: Any) -> np.ndarray:
        X = check_predict_input(self, X, attribute="estimator_")
        if sensitive_features is None:
            raise InvalidInputError(
                "CorrelationRemovedClassifier needs sensitive_features to predict: the "
                "correlation removal subtracts a group-dependent shift from each row, so "
                "the model's input depends on the row's group; call "
                "predict(X, sensitive_features=groups)"
            )
        return self.remover_.transform(X, sensitive_features=sensitive_features)

    def _has(name: str):  # noqa: N805 - a decorator factory used in the class body
        def check(self: CorrelationRemovedClassifier) -> bool:
            if hasattr(self, "estimator_"):
                return hasattr(self.estimator_, name)
            return hasattr(self._estimator(), name)

        return check

    @available_if(_has("predict"))
    def predict(self, X: Any, *, sensitive_features: Any = None) -> np.ndarray:
        """Labels for ``X`` with the groups ``sensitive_features`` (required), shape (n,).

        Raises
        ------
        InvalidInputError
            No ``sensitive_features`` (the projection needs the groups), or ``X``
            with another number of features.

        Warns
        -----
        UserWarning
            A group not seen in ``fit`` (its rows are not projected).
        """
        Z = self._features(X, sensitive_features)
        return self.estimator_.predict(Z)

    @available_if(_has("predict_proba"))
    def predict_proba(self, X: Any, *, sensitive_features: Any = None) -> np.ndarray:
        """Class probabilities for ``X`` with the groups (required), shape (n, n_classes).

        Raises
        ------
        InvalidInputError
            As :meth:`predict`.
        """
        Z = self._features(X, sensitive_features)
        return self.estimator_.predict_proba(Z)

    @available_if(_has("decision_function"))
    def decision_function(self, X: Any, *, sensitive_features: Any = None) -> np.ndarray:
        """The estimator's decision function for ``X`` with the groups (required).

        Raises
        ------
        InvalidInputError
            As :meth:`predict`.
        """
        Z = self._features(X, sensitive_features)
        return self.estimator_.decision_function(Z)

    del _has
