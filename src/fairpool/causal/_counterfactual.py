"""Counterfactual features ``X'``: each row with its sensitive attribute set to another group.

Given a :class:`~fairpool.causal.CausalGraph`, the counterfactual of a row
``x`` of group ``g`` for target group ``g'`` follows Pearl's three steps:

1. **abduction** -- recover each regenerated variable's noise from ``x`` and its
   factual parents;
2. **action** -- set the sensitive attribute to ``g'`` (and the feature columns
   that encode it to ``g'``'s encoding);
3. **prediction** -- recompute, in topological order, every non-admissible
   descendant of the sensitive attribute from its (counterfactual) parents and
   its own noise. Admissible variables and non-descendants keep their values.

Mechanisms, one per regenerated variable, fitted on features only (no labels):

* **continuous** variables (a numeric column with more than ``max_discrete_values``
  distinct values): an additive noise model ``v = f(parents) + N`` with a linear
  ``f`` (scikit-learn's ``LinearRegression``). Abduction is the residual
  ``N = v - f(parents)``, prediction ``f(parents') + N``: the same computation as
  DoWhy gcm's ``AdditiveNoiseModel`` with ``create_linear_regressor()``, and the tests
  check that the counterfactual equals the one ``gcm.counterfactual_samples``
  returns for the same graph. It is written here on scikit-learn directly because
  installing DoWhy pulls ~420 MB of solvers and compilers (cvxpy, numba) that none
  of these two mechanisms uses, which a first ``make run`` cannot afford.
* **discrete** variables (a one-hot block, or a numeric column with few values,
  such as an SNP dosage 0/1/2): the conditional distribution ``P(v | parents)``,
  and abduction by a quantile coupling written here: the row's noise ``u`` is
  drawn uniformly inside its category's interval ``[F(v-), F(v)]`` of the factual
  conditional CDF (the posterior of the noise given the row), and the
  counterfactual is the category whose interval of the counterfactual CDF holds
  ``u``. gcm's ``ClassifierFCM`` is not invertible (it draws a fresh sample, so
  a row would lose its identity), and its ``DiscreteAdditiveNoiseModel`` moves
  values off their support (an SNP dosage of 4). The coupling keeps the support,
  returns the factual value whenever the parents do not change, and moves a
  group's rows to exactly the other group's conditional distribution. For an
  ordinal column it is the rank-preserving map ``F'^{-1}(F(v))``. The draws come
  from ``random_state``, so the same call gives the same counterfactuals. The
  conditional table is counted by hand with ``np.bincount`` when every parent is
  discrete (the exact maximum-likelihood table, smoothed towards the marginal);
  with a continuous parent it comes from a logistic regression (the model DoWhy gcm's
  ``ClassifierFCM`` wraps, fitted the same way: categories as text labels).

Every mechanism works on whatever representation ``X`` is in (raw or
standardised): categories are the distinct values, so affine rescaling of columns
changes nothing. Counterfactuals are computed for all rows at once; fitting is a
few milliseconds per variable, so the active-learning loop refits each round in
the round's feature space.

Why one module of ~650 lines: :class:`CounterfactualModel` and the three private
mechanism types it fits per variable (additive noise, discrete coupling, group blocks)
are one idea, abduction-action-prediction over the graph; the mechanisms are not used
anywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairpool.causal._graph import SENSITIVE, CausalGraph, dataset_graph, variable_of
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    LengthMismatchError,
    SingleGroupError,
)

__all__ = ["CounterfactualModel", "fit_counterfactual_model"]

# Parent configurations above which a discrete variable's table is replaced by a
# classifier (the table would be mostly empty cells).
_MAX_TABLE_CONFIGS = 4096


# -- category codes --------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Categories:
    """Distinct rows of a variable's columns, and the map from rows to codes.

    Rows are coded by a mixed-radix number of their per-column value ranks, so the
    match is exact and vectorised; codes follow the lexicographic order of the rows.
    A row not seen at fit time (a rare genotype or category outside the rows the
    model was fitted on) gets the code of the nearest seen category (Euclidean
    distance, ties to the lower code): its noise is abducted as that category's.
    """

    values: tuple[np.ndarray, ...]  # sorted distinct values of each column
    keys: np.ndarray  # sorted mixed-radix key of each category
    rows: np.ndarray  # (m, c) the category rows, in code order

    @classmethod
    def fit(cls, block: np.ndarray) -> _Categories:
        values = tuple(np.unique(block[:, j]) for j in range(block.shape[1]))
        radix = np.prod([float(v.shape[0]) for v in values])
        if radix >= 2.0**62:
            raise InvalidInputError(
                f"a discrete variable spans {block.shape[1]} columns with too many value "
                "combinations to code; model it as continuous or split it"
            )
        keys, _ = cls._keys_of(block, values)
        keys, first = np.unique(keys, return_index=True)
        return cls(values=values, keys=keys, rows=block[first].copy())

    @staticmethod
    def _keys_of(
        block: np.ndarray, values: tuple[np.ndarray, ...]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mixed-radix key of each row, and whether every value of the row was seen."""
        key = np.zeros(block.shape[0], dtype=np.int64)
        seen = np.ones(block.shape[0], dtype=bool)
        for j, column_values in enumerate(values):
            rank = np.minimum(
                np.searchsorted(column_values, block[:, j]), column_values.shape[0] - 1
            )
            seen &= column_values[rank] == block[:, j]
            key = key * column_values.shape[0] + rank
        return key, seen

    @property
    def n(self) -> int:
        return int(self.keys.shape[0])

    def encode(self, block: np.ndarray) -> np.ndarray:
        key, seen = self._keys_of(block, self.values)
        code = np.minimum(np.searchsorted(self.keys, key), self.n - 1)
        seen &= self.keys[code] == key
        if not seen.all():
            unseen = block[~seen]
            distance = ((unseen[:, None, :] - self.rows[None]) ** 2).sum(axis=2)
            code[~seen] = np.argmin(distance, axis=1)
        return code


# -- mechanisms ------------------------------------------------------------------
class _AdditiveNoiseMechanism:
    """``v = f(parents) + N`` with a linear ``f`` (DoWhy gcm's AdditiveNoiseModel, on sklearn)."""

    def __init__(self) -> None:
        from sklearn.linear_model import LinearRegression

        self._model = LinearRegression()

    def fit(self, parents: np.ndarray, values: np.ndarray) -> _AdditiveNoiseMechanism:
        self._model.fit(parents, values[:, 0])
        return self

    def counterfactual(
        self, values: np.ndarray, parents: np.ndarray, parents_cf: np.ndarray
    ) -> np.ndarray:
        # Abduction: the residual of the factual row; prediction: the same noise on top of
        # the mechanism evaluated at the counterfactual parents.
        noise = values[:, :1] - self._model.predict(parents).reshape(-1, 1)
        predicted = self._model.predict(parents_cf).reshape(-1, 1)
        return np.asarray(predicted + noise, dtype=np.float64)


class _DiscreteMechanism:
    """``P(v | parents)`` plus the quantile coupling described in the module docstring."""

    def __init__(self, categories: _Categories, smoothing: float) -> None:
        self.categories = categories
        self.smoothing = smoothing

    def fit(
        self,
        parents: np.ndarray,
        parent_codes: np.ndarray | None,
        n_configs: int,
        values: np.ndarray,
    ) -> _DiscreteMechanism:
        codes = self.categories.encode(values)
        m = self.categories.n
        self._marginal = np.bincount(codes, minlength=m) / codes.shape[0]
        if parent_codes is not None:
            # Hand-counted table: one bincount over (configuration, category) pairs.
            counts = np.bincount(parent_codes * m + codes, minlength=n_configs * m).reshape(
                n_configs, m
            )
            totals = counts.sum(axis=1, keepdims=True)
            self._table = (counts + self.smoothing * self._marginal) / (totals + self.smoothing)
            self._classifier = None
        else:
            from sklearn.linear_model import LogisticRegression

            self._table = None
            self._classifier = LogisticRegression(max_iter=1000)
            # Categories as text labels, as gcm's ClassifierFCM fits them (its class order
            # is the text order, so "10" < "2"); map that order back to the codes.
            self._classifier.fit(parents, codes.astype(str))
            self._seen = self._classifier.classes_.astype(np.int64)
        return self

    def _probabilities(self, parents: np.ndarray, parent_codes: np.ndarray | None) -> np.ndarray:
        if self._table is not None:
            return self._table[parent_codes]
        probs = np.zeros((parents.shape[0], self.categories.n))
        probs[:, self._seen] = self._classifier.predict_proba(parents)
        if self._seen.shape[0] == 1:
            probs[:, self._seen] = 1.0
        return probs

    def counterfactual(
        self,
        values: np.ndarray,
        parents: np.ndarray,
        parents_cf: np.ndarray,
        parent_codes: np.ndarray | None,
        parent_codes_cf: np.ndarray | None,
        rng: np.random.Generator,
    ) -> np.ndarray:
        codes = self.categories.encode(values)
        p = self._probabilities(parents, parent_codes)
        p_cf = self._probabilities(parents_cf, parent_codes_cf)
        cdf = np.cumsum(p, axis=1)
        rows = np.arange(codes.shape[0])
        u = cdf[rows, codes] - rng.random(codes.shape[0]) * p[rows, codes]
        cdf_cf = np.cumsum(p_cf, axis=1)
        new = np.minimum((cdf_cf <= u[:, None]).sum(axis=1), self.categories.n - 1)
        return self.categories.rows[new]


class _GroupDiscreteBlock:
    """Many single-column discrete variables whose only parent is the group, at once.

    The common case on wide data (every SNP of genomes1000): the same quantile
    coupling as :class:`_DiscreteMechanism`, with the conditional tables of all
    ``V`` variables in one ``(V, n_groups, M)`` array, fitted by one ``bincount``
    and applied to all variables and rows in array operations.
    """

    def __init__(self, columns: np.ndarray, n_groups: int, smoothing: float) -> None:
        self.columns = columns
        self.n_groups = n_groups
        self.smoothing = smoothing

    def _codes(self, X: np.ndarray) -> np.ndarray:
        """Code of each value: its rank among the seen values, or the nearest seen one's."""
        block = X[:, self.columns]
        upper = np.minimum((block[:, :, None] > self.values[None]).sum(axis=2), self.n_values - 1)
        lower = np.maximum(upper - 1, 0)
        values = self.values.T
        closer = np.abs(np.take_along_axis(values, lower, axis=0) - block) < np.abs(
            np.take_along_axis(values, upper, axis=0) - block
        )
        return np.where(closer, lower, upper)

    def fit(self, X: np.ndarray, groups: np.ndarray) -> _GroupDiscreteBlock:
        distinct = [np.unique(X[:, c]) for c in self.columns]
        self.n_values = np.array([d.shape[0] for d in distinct])
        m = int(self.n_values.max())
        # Pad each variable's sorted values with its largest one (never matched twice:
        # codes are capped at n_values - 1).
        self.values = np.stack([np.pad(d, (0, m - d.shape[0]), mode="edge") for d in distinct])
        codes = self._codes(X)
        v = self.columns.shape[0]
        k = self.n_groups
        cells = (np.arange(v)[None, :] * k + groups[:, None]) * m + codes
        counts = np.bincount(cells.ravel(), minlength=v * k * m).reshape(v, k, m)
        marginal = counts.sum(axis=1) / X.shape[0]
        totals = counts.sum(axis=2, keepdims=True)
        self.table = (counts + self.smoothing * marginal[:, None, :]) / (totals + self.smoothing)
        self.cdf = np.cumsum(self.table, axis=2)
        return self

    def counterfactual(
        self, X: np.ndarray, groups: np.ndarray, target: int, rng: np.random.Generator
    ) -> np.ndarray:
        codes = self._codes(X)
        v = np.arange(self.columns.shape[0])[None, :]
        g = groups[:, None]
        u = self.cdf[v, g, codes] - rng.random(codes.shape) * self.table[v, g, codes]
        new = (self.cdf[:, target, :][None] <= u[:, :, None]).sum(axis=2)
        new = np.minimum(new, self.n_values - 1)
        return np.take_along_axis(self.values.T, new, axis=0)


# -- the model -------------------------------------------------------------------
class CounterfactualModel:
    """Fitted causal mechanisms that turn rows into their other-group counterfactuals.

    Parameters
    ----------
    graph : CausalGraph
        The dataset's causal graph (see :func:`~fairpool.causal.dataset_graph`).
    max_discrete_values : int, default=10
        A single numeric column with at most this many distinct values is discrete
        (coupled by quantiles); with more it is continuous (additive noise).
    smoothing : float, default=1.0
        Pseudo-count pulling each conditional table row towards the marginal, so
        every observed category keeps a positive probability.
    random_state : int, default=0
        Seeds the noise draws of discrete variables: a call with the same rows,
        groups and target returns the same counterfactuals.

    Attributes
    ----------
    bound_ : BoundGraph
        The graph mapped onto the fitted feature columns.
    n_groups_ : int
    available_groups_ : ndarray of bool, shape (n_groups_,)
        Groups seen at fit time (their encoding in the sensitive columns is known).
    sensitive_fixed_columns_ : ndarray of int
        Sensitive columns constant within each group (set to the target's value);
        sensitive columns that vary within a group are regenerated as children of
        the group instead.
    encoding_ : ndarray of shape (n_groups_, len(sensitive_fixed_columns_))
        Value of those columns for each group.

    Examples
    --------
    >>> import numpy as np
    >>> from fairpool.causal._graph import CausalGraph, SENSITIVE
    >>> g = np.array([0, 0, 1, 1]); X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> graph = CausalGraph(edges=((SENSITIVE, "x"),))
    >>> cf = CounterfactualModel(graph).fit(X, g, feature_names=["x"])
    >>> cf.counterfactual(X, g, target=1)[:, 0].round(6).tolist()
    [2.0, 3.0, 2.0, 3.0]
    """

    def __init__(
        self,
        graph: CausalGraph,
        *,
        max_discrete_values: int = 10,
        smoothing: float = 1.0,
        random_state: int = 0,
    ) -> None:
        if not isinstance(graph, CausalGraph):
            raise InvalidInputError(f"graph must be a CausalGraph, got {type(graph).__name__}")
        if isinstance(max_discrete_values, bool) or int(max_discrete_values) < 1:
            raise InvalidInputError(
                f"max_discrete_values must be a positive integer, got {max_discrete_values!r}"
            )
        if not np.isfinite(smoothing) or smoothing <= 0:
            raise InvalidInputError(f"smoothing must be a positive number, got {smoothing!r}")
        self.graph = graph
        self.max_discrete_values = int(max_discrete_values)
        self.smoothing = float(smoothing)
        if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer):
            raise InvalidInputError(f"random_state must be an int, got {random_state!r}")
        self.random_state = int(random_state)

    # -- fitting -----------------------------------------------------------------
    def fit(
        self,
        X: Any,
        groups: Any,
        *,
        feature_names: Sequence[str],
        sensitive_columns: Sequence[str] = (),
        n_groups: int | None = None,
    ) -> CounterfactualModel:
        """Fit one mechanism per regenerated variable on ``X`` (features only, no labels).

        Parameters
        ----------
        X : array-like of shape (n, d)
            Features, in the representation counterfactuals will be asked for.
        groups : array-like of int, shape (n,)
            Group code of each row, ``0 .. n_groups - 1``.
        feature_names : sequence of str
            Name of each column of ``X``.
        sensitive_columns : sequence of str
            Columns that encode the group (set to the target group's values).
        n_groups : int, optional
            Number of group codes; by default ``groups.max() + 1``.

        Returns
        -------
        self

        Raises
        ------
        EmptyInputError, LengthMismatchError, SingleGroupError, InvalidInputError
        """
        X = np.asarray(X, dtype=np.float64)
        groups = np.asarray(groups)
        if X.ndim != 2:
            raise InvalidInputError(f"X must be 2-D (n, d), got shape {X.shape}")
        if X.shape[0] == 0:
            raise EmptyInputError("X has no rows to fit the counterfactual model on")
        if groups.shape != (X.shape[0],):
            raise LengthMismatchError(
                f"groups must have shape ({X.shape[0]},) to match X, got {groups.shape}"
            )
        if groups.dtype.kind not in "iu" or groups.min() < 0:
            raise InvalidInputError("groups must be non-negative integer codes")
        if len(feature_names) != X.shape[1]:
            raise LengthMismatchError(
                f"feature_names has {len(feature_names)} names for {X.shape[1]} columns of X"
            )
        k = int(groups.max()) + 1 if n_groups is None else int(n_groups)
        if groups.max() >= k:
            raise InvalidInputError(f"groups hold code {groups.max()} but n_groups is {k}")
        present = np.bincount(groups, minlength=k) > 0
        if present.sum() < 2:
            raise SingleGroupError(
                "groups hold a single group: a counterfactual needs another group to move to"
            )
        self.n_groups_ = k
        self.n_features_in_ = X.shape[1]
        self.feature_names_ = tuple(str(f) for f in feature_names)
        self.bound_ = self.graph.bind(self.feature_names_, list(sensitive_columns))
        self.available_groups_ = present
        self._columns = dict(self.bound_.columns)
        self._parents = dict(self.bound_.parents)
        self._regenerate = self._split_sensitive_columns(X, groups)

        needed = set(self._regenerate) | {
            p for v in self._regenerate for p in self._parents[v] if p != SENSITIVE
        }
        self._kinds: dict[str, str] = {}
        self._categories: dict[str, _Categories] = {}
        for variable in needed:
            cols = self._columns[variable]
            block = X[:, cols]
            if cols.shape[0] > 1 or np.unique(block[:, 0]).shape[0] <= self.max_discrete_values:
                self._kinds[variable] = "discrete"
                self._categories[variable] = _Categories.fit(block)
            else:
                self._kinds[variable] = "continuous"

        # Single-column discrete children of the group alone: one vectorised block.
        in_block = [
            v
            for v in self._regenerate
            if self._kinds[v] == "discrete"
            and self._columns[v].shape[0] == 1
            and self._parents[v] == (SENSITIVE,)
        ]
        self._block = (
            _GroupDiscreteBlock(
                np.array([self._columns[v][0] for v in in_block], dtype=np.int64),
                self.n_groups_,
                self.smoothing,
            ).fit(X, groups)
            if in_block
            else None
        )
        self._mechanisms: dict[str, Any] = {}
        for variable in self._regenerate:
            if variable in in_block:
                continue
            values = X[:, self._columns[variable]]
            parents = self._parent_matrix(X, groups, variable)
            if self._kinds[variable] == "continuous":
                self._mechanisms[variable] = _AdditiveNoiseMechanism().fit(parents, values)
            else:
                codes, n_configs = self._parent_codes(X, groups, variable)
                self._mechanisms[variable] = _DiscreteMechanism(
                    self._categories[variable], self.smoothing
                ).fit(parents, codes, n_configs, values)
        return self

    def _split_sensitive_columns(self, X: np.ndarray, groups: np.ndarray) -> tuple[str, ...]:
        """Sort the sensitive columns into those the group fixes and those it only causes.

        A column constant within every group (a one-hot of the group) is set to the
        target group's value (``encoding_``). A column that varies within a group
        (numeric age when the groups are age buckets; the five superpopulation
        one-hots when the groups are two ancestry blocks) is a child of the group:
        it becomes a variable regenerated first, by the same mechanisms as others.
        """
        cols = self.bound_.sensitive_columns
        varying = np.zeros(cols.shape[0], dtype=bool)
        if cols.size:
            for g in np.flatnonzero(self.available_groups_):
                varying |= np.ptp(X[groups == g][:, cols], axis=0) > 0
        self.sensitive_fixed_columns_ = cols[~varying]
        self.encoding_ = np.full((self.n_groups_, self.sensitive_fixed_columns_.shape[0]), np.nan)
        for g in np.flatnonzero(self.available_groups_):
            self.encoding_[g] = X[np.flatnonzero(groups == g)[0], self.sensitive_fixed_columns_]
        detail: dict[str, list[int]] = {}
        for c in cols[varying]:
            name = f"{SENSITIVE}:{variable_of(self.feature_names_[c])}"
            detail.setdefault(name, []).append(int(c))
        for name, members in detail.items():
            self._columns[name] = np.asarray(members, dtype=np.int64)
            self._parents[name] = (SENSITIVE,)
        return (*detail, *self.bound_.regenerate)

    def _parent_matrix(self, X: np.ndarray, groups: np.ndarray, variable: str) -> np.ndarray:
        parts = []
        for parent in self._parents[variable]:
            if parent == SENSITIVE:
                parts.append(np.eye(self.n_groups_)[groups])
            else:
                parts.append(X[:, self._columns[parent]])
        return np.hstack(parts) if parts else np.zeros((X.shape[0], 0))

    def _parent_codes(
        self, X: np.ndarray, groups: np.ndarray, variable: str
    ) -> tuple[np.ndarray | None, int]:
        """Mixed-radix code of each row's parent configuration (None if a parent is continuous)."""
        code = np.zeros(X.shape[0], dtype=np.int64)
        n_configs = 1
        for parent in self._parents[variable]:
            if parent == SENSITIVE:
                radix, digit = self.n_groups_, groups.astype(np.int64)
            elif self._kinds[parent] == "discrete":
                categories = self._categories[parent]
                radix, digit = categories.n, categories.encode(X[:, self._columns[parent]])
            else:
                return None, 0
            code = code * radix + digit
            n_configs *= radix
            if n_configs > _MAX_TABLE_CONFIGS:
                return None, 0
        return code, n_configs

    # -- counterfactuals ---------------------------------------------------------
    def _check_fitted_input(self, X: Any, groups: Any) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "bound_"):
            raise InvalidInputError("CounterfactualModel is not fitted; call fit first")
        X = np.asarray(X, dtype=np.float64)
        groups = np.asarray(groups)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise InvalidInputError(
                f"X must have shape (n, {self.n_features_in_}), got {X.shape}"
            )
        if groups.shape != (X.shape[0],):
            raise LengthMismatchError(
                f"groups must have shape ({X.shape[0]},) to match X, got {groups.shape}"
            )
        if groups.size and (groups.min() < 0 or groups.max() >= self.n_groups_):
            raise InvalidInputError(f"groups must be codes in [0, {self.n_groups_})")
        return X, groups.astype(np.int64)

    def counterfactual(self, X: Any, groups: Any, target: int) -> np.ndarray:
        """Every row of ``X`` with its group set to ``target``.

        Parameters
        ----------
        X : array-like of shape (n, d)
        groups : array-like of int, shape (n,)
        target : int
            The group to move every row to; rows already in it come back unchanged.

        Returns
        -------
        ndarray of shape (n, d), float64
        """
        X, groups = self._check_fitted_input(X, groups)
        target = int(target)
        if not 0 <= target < self.n_groups_ or not self.available_groups_[target]:
            raise InvalidInputError(
                f"target group {target} was not seen when the counterfactual model was fitted"
            )
        out = X.copy()
        move = groups != target
        if not move.any():
            return out
        Xf, gf = X[move], groups[move]
        Xc = Xf.copy()
        gc = np.full_like(gf, target)
        Xc[:, self.sensitive_fixed_columns_] = self.encoding_[target]
        rng = np.random.default_rng([self.random_state, target])
        if self._block is not None:  # children of the group alone come first
            Xc[:, self._block.columns] = self._block.counterfactual(Xf, gf, target, rng)
        for variable in self._regenerate:
            if variable not in self._mechanisms:
                continue
            cols = self._columns[variable]
            mechanism = self._mechanisms[variable]
            parents = self._parent_matrix(Xf, gf, variable)
            parents_cf = self._parent_matrix(Xc, gc, variable)
            if isinstance(mechanism, _AdditiveNoiseMechanism):
                Xc[:, cols] = mechanism.counterfactual(Xf[:, cols], parents, parents_cf)
            else:
                codes, _ = self._parent_codes(Xf, gf, variable)
                codes_cf, _ = self._parent_codes(Xc, gc, variable)
                Xc[:, cols] = mechanism.counterfactual(
                    Xf[:, cols], parents, parents_cf, codes, codes_cf, rng
                )
        out[move] = Xc
        return out

    def all_counterfactuals(self, X: Any, groups: Any) -> tuple[np.ndarray, np.ndarray]:
        """Counterfactuals of every row for every other group seen at fit time.

        Parameters
        ----------
        X : array-like of shape (n, d)
        groups : array-like of int, shape (n,)

        Returns
        -------
        counterfactuals : ndarray of shape (n_groups_, n, d)
            ``counterfactuals[t]`` is ``X`` moved to group ``t`` (unused slices for
            groups not seen at fit time hold ``X``).
        valid : ndarray of bool, shape (n_groups_, n)
            ``valid[t, i]``: group ``t`` was seen at fit time and differs from row
            ``i``'s own group -- the pairs a counterfactual measure averages over.
        """
        X, groups = self._check_fitted_input(X, groups)
        out = np.broadcast_to(X, (self.n_groups_, *X.shape)).copy()
        valid = np.zeros((self.n_groups_, X.shape[0]), dtype=bool)
        for target in np.flatnonzero(self.available_groups_):
            out[target] = self.counterfactual(X, groups, int(target))
            valid[target] = groups != target
        return out, valid

    def kind_of(self, variable: str) -> str:
        """``"discrete"`` or ``"continuous"``: how ``variable`` was modelled.

        Raises
        ------
        InvalidInputError
            If ``variable`` is neither regenerated nor a parent of a regenerated one.
        """
        if variable not in self._kinds:
            raise InvalidInputError(f"variable {variable!r} has no mechanism in this model")
        return self._kinds[variable]


def fit_counterfactual_model(
    dataset: Any,
    *,
    graph: CausalGraph | None = None,
    known_causal_fraction: float = 1.0,
    seed: int = 0,
    max_discrete_values: int = 10,
) -> CounterfactualModel:
    """Fit the counterfactual model of a :class:`~fairpool.datasets.Dataset`.

    Parameters
    ----------
    dataset : Dataset
        Its features and groups are used (labels are not).
    graph : CausalGraph, optional
        Default: the graph declared for ``dataset.name`` (:func:`dataset_graph`).
    known_causal_fraction : float in [0, 1], default 1.0
        genomes1000: share of causal SNPs treated as admissible.
    seed : int
        Seed of that choice.
    max_discrete_values : int, default=10

    Returns
    -------
    CounterfactualModel
    """
    info: Mapping[str, Any] = dataset.info
    if graph is None:
        graph = dataset_graph(
            dataset.name,
            feature_names=dataset.feature_names,
            info=info,
            known_causal_fraction=known_causal_fraction,
            seed=seed,
        )
    return CounterfactualModel(graph, max_discrete_values=max_discrete_values).fit(
        dataset.X,
        dataset.groups,
        feature_names=dataset.feature_names,
        sensitive_columns=list(info.get("sensitive_columns", ())),
        n_groups=dataset.n_groups,
    )
