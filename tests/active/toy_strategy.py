"""A query strategy and a learner written outside fairpool, as a user would.

They use only public names. ``tests/active/test_checks.py`` registers both, passes
the strategy through :func:`fairpool.active.checks.check_strategy` and runs them with
:func:`fairpool.active.run`: the steps docs/contributing.md shows with this same
code. Keep the two in step.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted, check_X_y

from fairpool.active import QueryState, Strategy, check_query_size, top_k
from fairpool.active.strategies import entropy_score
from fairpool.errors import InvalidInputError


class MinorityEntropySampling(Strategy):
    """Entropy sampling with a bonus for the group that has the fewest labelled rows.

    Parameters
    ----------
    bonus : float, default=0.2
        Added to the entropy (in nats) of every pool row of that group.
    """

    needs_groups = True

    def __init__(self, *, bonus: float = 0.2) -> None:
        self.bonus = bonus  # stored as given; checked in select

    def _validate_params(self) -> None:
        bonus = self.bonus
        if isinstance(bonus, bool) or not isinstance(bonus, int | float) or not bonus >= 0:
            raise InvalidInputError(f"bonus must be a number >= 0, got {bonus!r}")

    def select(self, state: QueryState, k: int, rng: np.random.Generator) -> np.ndarray:
        self._validate_params()
        k = check_query_size(k, len(state.pool))
        counts = np.bincount(state.labelled.groups, minlength=state.n_groups)
        minority = int(np.argmin(counts))
        scores = entropy_score(state.pool_proba) + self.bonus * (state.pool.groups == minority)
        self.last_info = {"minority": state.group_names[minority]}
        picks = top_k(scores, k, rng)  # ties broken by rng, the only randomness allowed
        self.last_scores = scores[picks]
        return picks


class GroupBalancedLogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression that gives every group the same total weight.

    ``sensitive_features`` is fit metadata: optional, and passed by the loop (the
    labelled rows' group codes) because ``fit`` declares it.
    """

    def __init__(self, C: float = 1.0, random_state: int | None = None) -> None:
        self.C = C
        self.random_state = random_state

    def fit(self, X, y, sensitive_features=None):  # noqa: ANN001, ANN201
        X, y = check_X_y(X, y)
        weights = None
        if sensitive_features is not None:
            _, codes, counts = np.unique(sensitive_features, return_inverse=True,
                                         return_counts=True)
            weights = (len(codes) / (len(counts) * counts))[codes]
        self.model_ = LogisticRegression(C=self.C, random_state=self.random_state)
        self.model_.fit(X, y, sample_weight=weights)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):  # noqa: ANN001, ANN201
        check_is_fitted(self)
        return self.model_.predict_proba(X)

    def predict(self, X):  # noqa: ANN001, ANN201
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
