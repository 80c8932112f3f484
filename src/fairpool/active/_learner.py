"""The active learner: the one loop every strategy and every simulation goes through.

A user with a real, unlabelled pool::

    al = ActiveLearner(strategy="entropy", learner="logreg", seed=0)
    al.fit(X_labelled, y_labelled, groups_labelled)
    idx = al.query(X_pool, groups_pool, 50)     # positions into X_pool
    al.teach(idx, labels_from_annotators)        # adds X_pool[idx] with the labels, refits

``teach`` refers to the pool of the last ``query`` call, which the learner keeps.
Passing the *same* pool objects to ``query`` again continues that pool: rows taught
from it are not offered to the strategy again, so a user can keep one pool array
for the whole campaign. Passing different objects starts a new pool.

A campaign that runs one round per process (a labelling session) saves
``al.state_dict()`` after a round and, in the next process, fits a new learner built
with the same arguments on the labelled rows and calls ``load_state_dict``: the
random generators, the round and the strategy's state continue, the model is refitted
from the rows. A fresh pool array holding only the rows still available, in the same
order, gives the same picks as the remembered pool with its taught rows left out.

Why one module over 600 lines: :class:`ActiveLearner` is one class whose fit, query,
teach and state hooks read and write the same private attributes (the labelled rows,
the remembered pool and its taught mask, the generators); split, each part would need
the others' internals. What stands alone is elsewhere: the scaler in
:mod:`~fairpool.active._preprocessing`, the state's format and checks in
:mod:`~fairpool.active._checkpoint`. Much of the length is the numpydoc documentation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from fairpool.active._checkpoint import (
    LEARNER_STATE_FORMAT,
    check_learner_state,
    copy_tree,
)
from fairpool.active._preprocessing import LabelledScaler
from fairpool.active._registry import make_strategy
from fairpool.active._state import LabelledSet, Pool, QueryState, model_output
from fairpool.active._strategy import Strategy, check_query_size
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    SingleGroupError,
)
from fairpool.learners import call_with_groups, make_learner
from fairpool.metrics import as_checked_array, check_binary_labels

__all__ = ["ActiveLearner"]


#: Largest sparse matrix the loop densifies (bytes as float32); past it, a clear error.
MAX_DENSE_BYTES = 2**30
def _changes_the_model(strategy: Any) -> bool:
    """Whether ``strategy`` overrides ``wrap_learner`` (its state may shape the model)."""
    return type(strategy).wrap_learner is not Strategy.wrap_learner if isinstance(
        strategy, Strategy
    ) else callable(getattr(strategy, "wrap_learner", None))


def _densified(X: Any, arg: str) -> Any:
    """A SciPy sparse ``X`` as a dense array when it fits :data:`MAX_DENSE_BYTES`.

    The strategies score the pool with dense array operations (entropy, expected
    fairness, PANDA's policy), so the loop works on dense features; a sparse matrix that
    fits comfortably is densified, a larger one is refused with the way out.
    """
    import scipy.sparse

    if not scipy.sparse.issparse(X):
        return X
    n, d = X.shape
    if n * d * 4 > MAX_DENSE_BYTES:
        raise InvalidInputError(
            f"{arg} is a SciPy sparse {type(X).__name__} of shape {X.shape}, which would take "
            f"{n * d * 4 / 2**30:.1f} GiB as dense float32 features; the active-learning loop "
            "scores pools with dense arrays. Reduce the features first, e.g. with "
            "sklearn.decomposition.TruncatedSVD, or pass a smaller pool"
        )
    return X.toarray()


def _features(X: Any, arg: str, *, n_features: int | None = None) -> np.ndarray:
    """``X`` as a finite 2-D float32 array (no copy when it already is one).

    SciPy sparse matrices are densified up to :data:`MAX_DENSE_BYTES`; polars and
    pyarrow tables convert through numpy.
    """
    X = _densified(X, arg)
    try:
        out = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        as_checked_array(X, arg)  # a None among numbers: say it is missing, not non-numeric
        raise InvalidInputError(f"{arg} must be a numeric 2-D array: {exc}") from None
    if out.ndim != 2:
        raise InvalidInputError(f"{arg} must be 2-D (n_samples, n_features), got shape {out.shape}")
    if n_features is not None and out.shape[1] != n_features:
        raise InvalidInputError(
            f"{arg} has {out.shape[1]} feature columns, the labelled data has {n_features}"
        )
    if not np.isfinite(out).all():
        raise MissingValueError(f"{arg} contains NaN or infinite values")
    return out


def _labels(y: Any, arg: str, n: int) -> np.ndarray:
    y = as_checked_array(y, arg)  # missing labels refused before numpy can stringify them
    if y.shape != (n,):
        raise LengthMismatchError(f"{arg} must have shape ({n},) to match the rows, got {y.shape}")
    return y


def _check_groups(raw: Any, arg: str, n: int) -> np.ndarray:
    raw = as_checked_array(raw, arg)
    if raw.ndim != 1 or raw.shape[0] != n:
        raise LengthMismatchError(
            f"{arg} must be 1-D with {n} entries (one group per row), got shape {raw.shape}; "
            "combine several sensitive columns into one intersectional group first"
        )
    return raw


def _check_clusters(raw: Any, arg: str, n: int) -> np.ndarray | None:
    """Cluster codes as int64 (None stays None): 1-D, ``n`` long, non-negative integers."""
    if raw is None:
        return None
    codes = as_checked_array(raw, arg)  # a None or NaN is named as missing, with the count
    if codes.shape != (n,):
        raise LengthMismatchError(
            f"{arg} must be 1-D with {n} entries (one cluster per row), got shape {codes.shape}"
        )
    if codes.dtype.kind == "f" and n and not np.all(np.mod(codes, 1) == 0):
        raise InvalidInputError(f"{arg} must be integer cluster codes, got fractions")
    if codes.dtype.kind not in "iuf" and not (codes.dtype.kind == "b"):
        raise InvalidInputError(
            f"{arg} must be integer cluster codes (Dataset.clusters), got dtype {codes.dtype}"
        )
    codes = codes.astype(np.int64)
    if n and codes.min() < 0:
        raise InvalidInputError(f"{arg} must be non-negative cluster codes, got {codes.min()}")
    return codes


class _GroupVocabulary:
    """Fixed mapping from a user's group values to codes ``0 .. n_groups - 1``.

    With explicit ``names``, group values may be those names or integer codes into
    them. Without, the vocabulary is the sorted distinct values seen at ``fit`` (in
    the labelled data and the validation set) and stays fixed, so codes mean the
    same in every round; a pool with a value outside it is an error.
    """

    def __init__(self, names: Sequence[str] | None, seen: Sequence[np.ndarray]) -> None:
        self._codes_allowed = names is not None
        if names is not None:
            categories = np.asarray([str(n) for n in names])
        elif all(a.dtype.kind in "iub" for a in seen):
            categories = np.unique(np.concatenate(seen).astype(np.int64))
        else:
            categories = np.unique(np.concatenate([a.astype(str) for a in seen]))
        if categories.shape[0] == 0:
            raise EmptyInputError("no group names: pass group_names= or non-empty groups")
        self._categories = categories
        self.names = tuple(str(c) for c in categories)

    def encode(self, raw: Any, arg: str, n: int) -> np.ndarray:
        """Codes of the group values ``raw`` (length ``n``)."""
        raw = _check_groups(raw, arg, n)
        if self._codes_allowed and raw.dtype.kind in "iu":
            codes = raw.astype(np.int64)
            bad = (codes < 0) | (codes >= len(self.names))
        else:
            # Hash-based lookup (pandas) rather than a Python loop over rows.
            if self._categories.dtype.kind in "iu" and raw.dtype.kind in "iub":
                values, categories = raw.astype(np.int64), self._categories
            else:
                values, categories = raw.astype(str), self._categories.astype(str)
            codes = pd.Index(categories).get_indexer(values).astype(np.int64)
            bad = codes < 0
        if bad.any():
            unknown = pd.unique(raw[bad])[:5].tolist()
            raise InvalidInputError(
                f"{arg} holds group values {unknown} outside the groups {list(self.names)}; "
                "pass group_names= to ActiveLearner to fix the set of groups"
            )
        return codes


class ActiveLearner:
    """Pool-based active learning with fairness-aware strategies, one round at a time.

    Parameters
    ----------
    strategy : str or Strategy, default="entropy"
        A name from :func:`~fairpool.active.available_strategies` or a strategy object.
        A strategy with ``requires_fit`` built here by name must be trained with
        :meth:`fit_strategy` before the first query; an object is assumed trained.
    learner : str or estimator, default="logreg"
        A name from :func:`~fairpool.active.available_learners` or any scikit-learn
        classifier with ``predict_proba``. It is cloned at every refit.
    seed : int, default=0
        Seeds the strategy's random generator and (for learners built by name) the
        learner's ``random_state``. The same seed gives the same queries.
    validation : (X, y, groups) tuple, LabelledSet or Dataset, optional
        Labelled reference set for strategies that measure disparity. Without one,
        strategies see the labelled set in its place.
    group_names : sequence of str, optional
        Names of the groups; ``groups`` arrays may then hold these names or integer
        codes into them. Without it, the groups are the distinct values in the
        labelled data (and validation set) at :meth:`fit`.
    feature_names : sequence of str, optional
    info : mapping, optional
        Facts about the data that strategies may read (sensitive attribute names,
        causal features, ...): ``QueryState.info``.
    standardize : bool, default=True
        Standardise features with the labelled set's mean and scale before fitting
        and querying (see :mod:`fairpool.active._preprocessing`).
    strategy_options, learner_options : mapping, optional
        Keyword options for building the strategy / learner by name.

    Attributes
    ----------
    model_ : estimator
        The learner fitted on the current labelled set (standardised features).
    labelled_ : LabelledSet
        The labelled rows (raw features, labels, group codes), read-only views.
    group_names_ : tuple of str
    strategy_ : Strategy
    n_queries_ : int
        Number of ``query`` calls so far (the round number of the next query).
    last_info_ : dict
        What the strategy reported about its last selection (its ``last_info``).
    last_scores_ : ndarray of float64 or None
        The strategy's score of each row the last ``query`` returned, aligned with
        them (its ``last_scores``); ``None`` when it does not score rows. Not saved
        by :meth:`state_dict`.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=300, random_state=0)
    >>> g = (X[:, 0] > 0).astype(int)
    >>> al = ActiveLearner("entropy", "logreg", seed=0).fit(X[:40], y[:40], g[:40])
    >>> idx = al.query(X[40:], g[40:], 10)
    >>> al.teach(idx, y[40:][idx]).labelled_.X.shape
    (50, 20)
    """

    def __init__(
        self,
        strategy: str | Strategy = "entropy",
        learner: str | Any = "logreg",
        *,
        seed: int = 0,
        validation: Any = None,
        group_names: Sequence[str] | None = None,
        feature_names: Sequence[str] | None = None,
        info: Mapping[str, Any] | None = None,
        standardize: bool = True,
        strategy_options: Mapping[str, Any] | None = None,
        learner_options: Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise InvalidInputError(f"seed must be an int, got {seed!r}")
        self.seed = int(seed)
        select_seq, fit_seq = np.random.SeedSequence(self.seed).spawn(2)
        self._select_rng = np.random.default_rng(select_seq)
        self._strategy_fit_rng = np.random.default_rng(fit_seq)

        if isinstance(strategy, str):
            self.strategy_ = make_strategy(strategy, **dict(strategy_options or {}))
            self._strategy_ready = not getattr(self.strategy_, "requires_fit", False)
        else:
            if strategy_options:
                raise InvalidInputError(
                    "strategy_options apply only to a strategy given by name, not an object"
                )
            self.strategy_ = strategy
            self._strategy_ready = True
        if not callable(getattr(self.strategy_, "select", None)):
            raise InvalidInputError(
                f"strategy must be a registered name or have a select method, got {strategy!r}"
            )

        if isinstance(learner, str):
            options = dict(learner_options or {})
            self._template = make_learner(learner, **options)
            if "random_state" not in options and "random_state" in self._template.get_params():
                self._template.set_params(random_state=self.seed)
        else:
            if learner_options:
                raise InvalidInputError(
                    "learner_options apply only to a learner given by name, not an estimator"
                )
            if not (hasattr(learner, "fit") and hasattr(learner, "predict_proba")):
                raise InvalidInputError(
                    f"learner must be a registered name or a classifier with fit and "
                    f"predict_proba, got {learner!r}"
                )
            self._template = clone(learner)
        self.learner_name = learner if isinstance(learner, str) else type(learner).__name__
        # A strategy that changes the model, not only the choice of rows (the fairlearn
        # baselines, Falcon), wraps the learner once here; every refit clones the wrap.
        wrap = getattr(self.strategy_, "wrap_learner", None)
        if callable(wrap):
            self._template = wrap(self._template)

        self._validation_raw = validation
        self._group_names_arg = group_names
        self.feature_names = None if feature_names is None else tuple(map(str, feature_names))
        self.info = dict(info or {})
        self._scaler = LabelledScaler(enabled=standardize)
        self.last_info_: dict[str, Any] = {}
        self.last_scores_: np.ndarray | None = None
        self.n_queries_ = 0

    # -- fitting -----------------------------------------------------------
    def fit(self, X: Any, y: Any, groups: Any, *, clusters: Any = None) -> ActiveLearner:
        """Start from the labelled set ``X, y, groups`` and fit the learner on it.

        Replaces any labelled data from before and forgets the remembered pool.

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : array-like of shape (n,)
            Class labels; the learner needs at least two classes.
        groups : array-like of shape (n,)
            Sensitive group of each row (names or codes, see ``group_names``).
        clusters : array-like of int, shape (n,), optional
            Cluster code of each row (``Dataset.clusters``) for a mixed-effects learner:
            a learner whose ``fit``, ``predict`` or ``predict_proba`` takes ``clusters``
            receives the rows' codes (through
            :func:`fairpool.learners.call_with_groups`); others ignore them. With
            clusters here, :meth:`query` needs ``clusters_pool``.

        Returns
        -------
        self

        Raises
        ------
        MissingValueError, LengthMismatchError, InvalidInputError
            Missing, misaligned or non-integer cluster codes (and the checks of ``X``,
            ``y`` and ``groups``).
        """
        X = _features(X, "X")
        n = X.shape[0]
        if n == 0:
            raise EmptyInputError("X has no rows: the labelled set must not be empty")
        y = _labels(y, "y", n)
        classes = np.unique(y)
        if classes.shape[0] < 2:
            raise InvalidInputError(
                f"y has a single class ({classes[0]!r}) in the labelled set; learner "
                f"{self.learner_name!r} needs at least two classes: label more rows first "
                "(in a simulation, enlarge or stratify the initial set)"
            )
        validation = self._unpack_validation(self._validation_raw, X.shape[1])
        seen = [_check_groups(groups, "groups", n)]
        if validation is not None:
            seen.append(_check_groups(validation[2], "validation groups", validation[0].shape[0]))
        self._vocabulary = _GroupVocabulary(self._group_names_arg, seen)
        self.group_names_ = self._vocabulary.names
        codes = self._vocabulary.encode(groups, "groups", n)
        cluster_codes = _check_clusters(clusters, "clusters", n)
        if validation is None:
            self._validation = None
        else:
            vX, vy, vg, vc = validation
            self._validation = LabelledSet(
                vX, vy, self._vocabulary.encode(vg, "validation groups", vX.shape[0]),
                _check_clusters(vc, "validation clusters", vX.shape[0])
                if cluster_codes is not None else None,
            )
        if self.feature_names is not None and len(self.feature_names) != X.shape[1]:
            raise LengthMismatchError(
                f"feature_names has {len(self.feature_names)} names for {X.shape[1]} columns of X"
            )
        self._X, self._y, self._g = X.copy(), y.copy(), codes
        self._c = cluster_codes
        self._forget_pool()
        self._refit()
        return self

    @staticmethod
    def _unpack_validation(validation: Any, n_features: int) -> tuple | None:
        if validation is None:
            return None
        vc = None
        if hasattr(validation, "X") and hasattr(validation, "y") and hasattr(validation, "groups"):
            vX, vy, vg = validation.X, validation.y, validation.groups
            vc = getattr(validation, "clusters", None)
        else:
            try:
                vX, vy, vg = validation
            except (TypeError, ValueError):
                raise InvalidInputError(
                    "validation must be an (X, y, groups) tuple, a LabelledSet or a Dataset"
                ) from None
        vX = _features(vX, "validation X", n_features=n_features)
        if vX.shape[0] == 0:
            raise EmptyInputError("the validation set has no rows")
        return vX, _labels(vy, "validation y", vX.shape[0]), np.asarray(vg), vc

    def fit_strategy(self, dataset: Any) -> ActiveLearner:
        """Train a strategy that ``requires_fit`` (PANDA, PPO-tuned FACA-GEN) on labelled data.

        Parameters
        ----------
        dataset : Dataset
            Labelled historical data the strategy learns to select from. It must not
            be the pool whose labels are hidden.
        """
        if getattr(self.strategy_, "needs_binary_labels", False):
            check_binary_labels(np.asarray(dataset.y), who=self._strategy_label())
        self.strategy_.fit(dataset, self._strategy_fit_rng)
        self._strategy_ready = True
        return self

    def _refit(self) -> None:
        self._scaler.fit(self._X)
        self._Z = self._scaler.transform(self._X)
        model = clone(self._template)
        # Fairness-constrained learners get the groups, mixed-effects learners the
        # clusters, each where fit takes them: the one mechanism predictions use too.
        call_with_groups(model, "fit", self._Z, self._g, clusters=self._c, y=self._y)
        self.model_ = model
        if self._validation is None:
            self._Z_validation = None
        else:
            self._Z_validation = self._scaler.transform(self._validation.X)

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise InvalidInputError("the ActiveLearner is not fitted: call fit(X, y, groups) first")

    # -- the pool ------------------------------------------------------------
    def _forget_pool(self) -> None:
        self._pool_source: tuple[Any, Any] | None = None
        self._pool_X: np.ndarray | None = None
        self._pool_g: np.ndarray | None = None
        self._pool_c: np.ndarray | None = None
        self._taught: np.ndarray | None = None

    def _remember_pool(self, X_pool: Any, groups_pool: Any, clusters_pool: Any) -> None:
        if (clusters_pool is None) != (self._c is None):
            raise InvalidInputError(
                "the labelled rows were fitted with clusters, so query needs clusters_pool"
                if clusters_pool is None else
                "clusters_pool given, but the labelled rows have no clusters: pass "
                "clusters= to fit"
            )
        source = self._pool_source
        if source is not None and source[0] is X_pool and source[1] is groups_pool \
                and source[2] is clusters_pool:
            return  # the same pool as before: keep which rows were taught
        X = _features(X_pool, "X_pool", n_features=self._X.shape[1])
        if X.shape[0] == 0:
            raise EmptyInputError("X_pool is empty: there is nothing to query")
        self._pool_g = self._vocabulary.encode(groups_pool, "groups_pool", X.shape[0])
        self._pool_c = _check_clusters(clusters_pool, "clusters_pool", X.shape[0])
        self._pool_X = X
        self._pool_source = (X_pool, groups_pool, clusters_pool)
        self._taught = np.zeros(X.shape[0], dtype=bool)

    def query(
        self, X_pool: Any, groups_pool: Any, n: int, *, clusters_pool: Any = None
    ) -> np.ndarray:
        """Ask the strategy for the ``n`` pool rows to label next.

        Parameters
        ----------
        X_pool : array-like of shape (m, d)
            Unlabelled candidates. Passing the same object again (with the same
            ``groups_pool`` object) continues the pool: rows already taught from it
            are left out.
        groups_pool : array-like of shape (m,)
            Sensitive group of each candidate.
        n : int
            How many rows to pick, at most the number of rows not yet taught.
        clusters_pool : array-like of int, shape (m,), optional
            Cluster code of each candidate; required when :meth:`fit` had ``clusters``
            (the taught rows carry them into the labelled set), refused otherwise.

        Returns
        -------
        ndarray of int64, shape (n,)
            Distinct positions into ``X_pool``.
        """
        self._check_fitted()
        self._remember_pool(X_pool, groups_pool, clusters_pool)
        if not self._strategy_ready:
            raise InvalidInputError(
                f"strategy {self.strategy_!r} must be trained first: call "
                "fit_strategy(dataset) with labelled historical data"
            )
        candidates = np.flatnonzero(~self._taught) if self._taught.any() else None
        n_candidates = self._pool_X.shape[0] if candidates is None else candidates.shape[0]
        n = check_query_size(n, n_candidates)
        pool_groups = self._pool_g if candidates is None else self._pool_g[candidates]
        self._check_labels_for_strategy()
        if getattr(self.strategy_, "needs_groups", False):
            n_groups = len(self.group_names_)
            counts = np.bincount(self._g, minlength=n_groups)
            counts += np.bincount(pool_groups, minlength=n_groups)
            present = np.flatnonzero(counts)
            if present.shape[0] < 2:
                raise SingleGroupError(
                    f"strategy {getattr(self.strategy_, 'name', self.strategy_)!r} needs at least "
                    f"two groups, but the labelled data and pool hold only "
                    f"{[self.group_names_[i] for i in present]}"
                )
        pool_clusters = None
        if self._pool_c is not None:
            pool_clusters = self._pool_c if candidates is None else self._pool_c[candidates]
        state = self._state(self._scaler.transform(self._pool_X, candidates), pool_groups,
                            pool_clusters)
        picks = self._checked_picks(self.strategy_.select(state, n, self._select_rng), n, state)
        self.last_info_ = dict(getattr(self.strategy_, "last_info", None) or {})
        self.last_scores_ = self._picked_scores(picks.shape[0])
        self.n_queries_ += 1
        return picks if candidates is None else candidates[picks]

    def _picked_scores(self, n: int) -> np.ndarray | None:
        """The strategy's ``last_scores`` as a float64 copy of ``n`` values, or ``None``."""
        scores = getattr(self.strategy_, "last_scores", None)
        if scores is None:
            return None
        scores = np.array(scores, dtype=np.float64).reshape(-1)
        if scores.shape[0] != n:
            raise InvalidInputError(
                f"{self._strategy_label()} reported {scores.shape[0]} last_scores for "
                f"{n} picks; they must be aligned with the returned positions"
            )
        return scores

    def _strategy_label(self) -> str:
        return f"strategy {getattr(self.strategy_, 'name', type(self.strategy_).__name__)!r}"

    def _check_labels_for_strategy(self) -> None:
        """Binary-only strategies get 0/1 labels, checked by the one shared function."""
        if getattr(self.strategy_, "needs_binary_labels", False):
            check_binary_labels(self._y, who=self._strategy_label())
            if self._validation is not None:
                check_binary_labels(self._validation.y, who=self._strategy_label())

    def _state(self, Z_pool: np.ndarray, pool_groups: np.ndarray,
               pool_clusters: np.ndarray | None = None) -> QueryState:
        labelled = LabelledSet(self._Z, self._y, self._g, self._c)
        validation = (
            labelled
            if self._validation is None
            else LabelledSet(self._Z_validation, self._validation.y, self._validation.groups,
                             self._validation.clusters)
        )
        n_features = self._X.shape[1]
        return QueryState(
            model=self.model_,
            labelled=labelled,
            pool=Pool(Z_pool, pool_groups, pool_clusters),
            validation=validation,
            group_names=self.group_names_,
            feature_names=self.feature_names or tuple(f"x{j}" for j in range(n_features)),
            make_learner=partial(clone, self._template),
            round=self.n_queries_,
            info=self.info,
        )

    def _checked_picks(self, picks: Any, n: int, state: QueryState) -> np.ndarray:
        picks = np.asarray(picks)
        name = type(self.strategy_).__name__
        if picks.shape != (n,) or (n and picks.dtype.kind not in "iu"):
            raise InvalidInputError(
                f"strategy {name} returned {picks.shape} {picks.dtype} picks; expected {n} integers"
            )
        picks = picks.astype(np.int64)
        if n and (picks.min() < 0 or picks.max() >= len(state.pool)):
            raise InvalidInputError(f"strategy {name} returned positions outside the pool")
        if np.unique(picks).shape[0] != n:
            raise InvalidInputError(f"strategy {name} returned the same pool position twice")
        return picks

    def teach(self, indices: Any, labels: Any) -> ActiveLearner:
        """Add the pool rows ``indices`` with their ``labels`` to the labelled set and refit.

        Everything is validated before anything is added, so a bad call changes
        nothing; once added, labelled rows are never dropped (a failing refit keeps them).

        Parameters
        ----------
        indices : array-like of int, shape (k,)
            Positions into the pool of the last :meth:`query` call (usually what it
            returned; any rows of that pool not taught yet are allowed).
        labels : array-like, shape (k,)
            The label of each row, e.g. from annotators.

        Returns
        -------
        self
        """
        self._check_fitted()
        if self._pool_X is None:
            raise InvalidInputError(
                "teach(indices, labels) refers to the pool of the last query: call query first"
            )
        idx = np.asarray(indices)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise InvalidInputError(
                "indices must be a 1-D array of integer pool positions, "
                f"got {idx.dtype} of shape {idx.shape}"
            )
        if idx.size == 0:
            raise EmptyInputError("indices is empty: nothing to teach")
        idx = idx.astype(np.int64)
        m = self._pool_X.shape[0]
        outside = idx[(idx < 0) | (idx >= m)]
        if outside.size:
            raise InvalidInputError(
                f"indices {outside[:5].tolist()} are outside the pool of the last query "
                f"(positions 0..{m - 1})"
            )
        unique, counts = np.unique(idx, return_counts=True)
        if (counts > 1).any():
            raise InvalidInputError(
                f"indices repeat pool positions {unique[counts > 1][:5].tolist()}"
            )
        again = idx[self._taught[idx]]
        if again.size:
            raise InvalidInputError(f"pool positions {again[:5].tolist()} were already taught")
        labels = _labels(labels, "labels", idx.shape[0])
        if (labels.dtype.kind in "biuf") != (self._y.dtype.kind in "biuf"):
            raise InvalidInputError(
                f"labels have dtype {labels.dtype}, the labelled set's labels {self._y.dtype}"
            )
        self._X = np.concatenate([self._X, self._pool_X[idx]])
        self._y = np.concatenate([self._y, labels])
        self._g = np.concatenate([self._g, self._pool_g[idx]])
        if self._c is not None and self._pool_c is not None:
            self._c = np.concatenate([self._c, self._pool_c[idx]])
        self._taught[idx] = True
        self._refit()
        return self

    # -- resuming in another process -----------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """What the loop carries from one round to the next, for resuming in another process.

        A labelling session runs one round per process. To continue where this
        learner stands, a new process builds an ``ActiveLearner`` with the same
        arguments, :meth:`fit` s it on the whole labelled set in the order it was
        taught (the initial rows, then every batch in the order :meth:`query` returned
        it), calls :meth:`load_state_dict` with this state, and queries the rows still
        available: it picks exactly what this learner would pick next. The model is
        not part of the state: it is refitted from the labelled rows, deterministically.
        Save after :meth:`teach` or right after :meth:`query` (the labels of that batch
        are then in the next process's labelled set); both resume the same loop.

        Returns
        -------
        dict
            ``format``, ``seed``, ``strategy`` (name and class, checked on loading),
            ``n_queries``, ``select_rng`` and ``strategy_fit_rng`` (the generators'
            ``bit_generator.state``), ``strategy_trained``, ``last_info``,
            ``group_names``, ``n_features``, ``n_labelled`` (informative; not checked)
            and ``strategy_state`` (the strategy's
            :meth:`~fairpool.active.Strategy.state_dict`). Plain values and numpy
            arrays only: :func:`~fairpool.active.pack_state` turns it into bytes.

        Raises
        ------
        InvalidInputError
            Before :meth:`fit`.
        """
        self._check_fitted()
        hook = getattr(self.strategy_, "state_dict", None)
        return {
            "format": LEARNER_STATE_FORMAT,
            "seed": self.seed,
            "strategy": self._strategy_identity(),
            "n_queries": int(self.n_queries_),
            "select_rng": copy_tree(self._select_rng.bit_generator.state),
            "strategy_fit_rng": copy_tree(self._strategy_fit_rng.bit_generator.state),
            "strategy_trained": bool(self._strategy_ready),
            "last_info": copy_tree(dict(self.last_info_)),
            "group_names": list(self.group_names_),
            "n_features": int(self._X.shape[1]),
            "n_labelled": int(self._X.shape[0]),
            "strategy_state": dict(hook()) if callable(hook) else {},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> ActiveLearner:
        """Continue the loop :meth:`state_dict` saved: random generators, round, strategy state.

        Call it after :meth:`fit` on the labelled set (see :meth:`state_dict`), on a
        learner built with the same arguments. A strategy that changes the model
        (Falcon holds postponed rows back from training) has its model refitted here,
        so that it trains on what the original trained on.

        Parameters
        ----------
        state : mapping
            What :meth:`state_dict` returned, possibly through
            :func:`~fairpool.active.pack_state` and :func:`~fairpool.active.unpack_state`.

        Returns
        -------
        self

        Raises
        ------
        InvalidInputError
            Before :meth:`fit`; ``state`` is not a learner state or lacks a key; it was
            saved with another seed, strategy, group names or number of features; or
            the strategy refuses its part.
        """
        self._check_fitted()
        check_learner_state(
            state,
            seed=self.seed,
            strategy=self._strategy_identity(),
            group_names=list(self.group_names_),
            n_features=int(self._X.shape[1]),
        )
        generators = {}  # checked before anything changes, so a bad state changes nothing
        for key in ("select_rng", "strategy_fit_rng"):
            bit_generator = type(self._select_rng.bit_generator)()
            try:
                bit_generator.state = copy_tree(state[key])
            except (TypeError, ValueError, KeyError) as exc:
                raise InvalidInputError(
                    f"state[{key!r}] is not the state of a {type(bit_generator).__name__} "
                    f"generator: {exc}"
                ) from None
            generators[key] = np.random.Generator(bit_generator)
        strategy_state = state["strategy_state"]
        hook = getattr(self.strategy_, "load_state_dict", None)
        if callable(hook):
            hook(strategy_state)
        elif strategy_state:
            raise InvalidInputError(
                f"{self._strategy_label()} has no load_state_dict, but the state holds its "
                f"state {sorted(strategy_state)[:8]}"
            )
        self._select_rng = generators["select_rng"]
        self._strategy_fit_rng = generators["strategy_fit_rng"]
        self.n_queries_ = int(state["n_queries"])
        self._strategy_ready = bool(state["strategy_trained"])
        self.last_info_ = copy_tree(dict(state["last_info"]))
        self.last_scores_ = None  # per-round, not saved
        if strategy_state and _changes_the_model(self.strategy_):
            self._refit()  # the model depends on the restored state (Falcon's postponements)
        return self

    def _strategy_identity(self) -> dict[str, str]:
        cls = type(self.strategy_)
        return {
            "name": str(getattr(self.strategy_, "name", cls.__name__)),
            "class": f"{cls.__module__}.{cls.__qualname__}",
        }

    # -- predictions and data ------------------------------------------------
    def predict_proba(self, X: Any, groups: Any = None, *, clusters: Any = None) -> np.ndarray:
        """Class probabilities of the current model for the rows ``X`` (raw features).

        ``groups`` (the rows' sensitive groups, names or codes) reach a model whose
        ``predict_proba`` takes ``sensitive_features``, ``clusters`` (cluster codes) one
        that takes ``clusters``; other models ignore them.
        """
        self._check_fitted()
        X = _features(X, "X", n_features=self._X.shape[1])
        codes = self._row_codes(groups, X.shape[0])
        return model_output(self.model_, "predict_proba", self._scaler.transform(X), codes,
                            _check_clusters(clusters, "clusters", X.shape[0]))

    def _row_codes(self, groups: Any, n: int) -> np.ndarray | None:
        if groups is None:
            return None
        return self._vocabulary.encode(_check_groups(groups, "groups", n), "groups", n)

    def transform(self, X: Any) -> np.ndarray:
        """The rows ``X`` (raw features) as the model sees them (standardised when enabled)."""
        self._check_fitted()
        X = _features(X, "X", n_features=self._X.shape[1])
        return self._scaler.transform(X)

    def predict(self, X: Any, groups: Any = None, *, clusters: Any = None) -> np.ndarray:
        """Predicted labels of the current model for the rows ``X`` (raw features).

        ``groups`` (the rows' sensitive groups, names or codes) reach a model whose
        ``predict`` takes ``sensitive_features`` (per-group thresholds need them),
        ``clusters`` (cluster codes) one that takes ``clusters``.
        """
        self._check_fitted()
        X = _features(X, "X", n_features=self._X.shape[1])
        codes = self._row_codes(groups, X.shape[0])
        return model_output(self.model_, "predict", self._scaler.transform(X), codes,
                            _check_clusters(clusters, "clusters", X.shape[0]))

    @property
    def labelled_(self) -> LabelledSet:
        """The labelled rows so far: raw features, labels, group and cluster codes (read-only)."""
        self._check_fitted()
        views = []
        for arr in (self._X, self._y, self._g, self._c):
            if arr is None:
                views.append(None)
                continue
            view = arr.view()
            view.flags.writeable = False
            views.append(view)
        return LabelledSet(*views)

    @property
    def n_labelled_(self) -> int:
        """Number of labelled rows."""
        self._check_fitted()
        return int(self._X.shape[0])

    def __repr__(self) -> str:
        return (
            f"ActiveLearner(strategy={self.strategy_!r}, learner={self.learner_name!r}, "
            f"seed={self.seed})"
        )
