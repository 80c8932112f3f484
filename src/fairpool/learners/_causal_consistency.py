"""Causal consistency: train a classifier to predict the same for ``x`` and its counterfactuals.

FACA-GEN's consistency loss is ``L = ||f(X) - f(X')||²``, ``X'`` being the rows
with their sensitive attribute set to another group through the dataset's causal
model (:mod:`fairpool.causal._counterfactual`). :class:`CausallyConsistent` wraps
any scikit-learn classifier and adds it in one of two ways:

``"penalty"`` (torch learners: fairpool's ``linear`` and ``mlp``)
    An explicit term in the training objective,
    ``consistency_weight · mean_{(i, g')} ||p(x_i) - p(x'_{i,g'})||²`` over every
    row and every other group, ``p`` the predicted class probabilities, trained
    jointly with the cross-entropy (:func:`consistency_objective`).
``"augment"`` (any learner with ``sample_weight``, e.g. XGBoost)
    Counterfactual data augmentation: fit on ``X`` and every ``X'`` with the
    factual labels, each counterfactual copy weighted ``consistency_weight``
    times its row. A tree ensemble cannot take a gradient penalty, but when ``x``
    and ``x'`` carry the same label it is pushed to give them the same prediction
    -- the data-level form of the same loss. At weight 1 every row appears once as
    a member of every group, so the labels no longer depend on the group given the
    admissible features: full balance. Below 1 the correction is partial; above
    1 it over-corrects (the group effect reverses), so 1 is the sensible maximum.

The counterfactual model is fitted at every ``fit`` on the rows it is given (the
features and their groups only), in whatever representation the caller uses (the
active-learning loop standardises every round). The loop passes groups as
``sensitive_features``, so the wrapper works with every strategy.

Everything that depends on the data is bound at ``fit``: the feature names (the
``feature_names`` parameter, else the DataFrame's columns, else ``x0, x1, ...``),
the causal graph (the ``graph`` parameter, else :func:`~fairpool.causal.default_graph`
of those names) and the groups (``sensitive_features``, fit metadata; request it with
``set_fit_request(sensitive_features=True)`` inside a scikit-learn ``Pipeline`` with
metadata routing enabled). Without groups there is nothing to swap, and the base
learner is fitted alone, with a warning. :func:`causally_consistent` (and the
registered ``*_cf`` learners given ``dataset=``) only fills in the parameters from a
:class:`~fairpool.datasets.Dataset`.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from fairpool.causal import CausalGraph, CounterfactualModel, dataset_graph, default_graph
from fairpool.errors import InvalidInputError, LengthMismatchError
from fairpool.learners._registry import make_learner, register_learner
from fairpool.learners._validation import (
    check_fit_input,
    check_predict_input,
    single_class_message,
)
from fairpool.metrics import as_sample_weight

__all__ = [
    "CausallyConsistent",
    "consistency_objective",
    "consistency_loss",
    "causally_consistent",
    "xgboost_cf",
    "linear_cf",
    "mlp_cf",
]

ConsistencyMode = Literal["auto", "penalty", "augment"]


def _probabilities(logits: Any) -> Any:
    import torch

    if logits.shape[1] == 1:
        positive = torch.sigmoid(logits)
        return torch.cat([1.0 - positive, positive], dim=1)
    return torch.softmax(logits, dim=1)


def consistency_loss(network: Any, X: Any, X_counterfactual: Any, source: Any) -> Any:
    """``mean_j ||p(X[source_j]) - p(X'_j)||²`` for a torch network (differentiable).

    Parameters
    ----------
    network : torch.nn.Module
        Maps rows to one logit (binary) or one per class.
    X : torch.Tensor of shape (n, d)
    X_counterfactual : torch.Tensor of shape (m, d)
        Counterfactual rows.
    source : torch.Tensor of int64, shape (m,)
        Row of ``X`` each counterfactual comes from.

    Returns
    -------
    torch.Tensor (scalar)
    """
    p = _probabilities(network(X))[source]
    p_cf = _probabilities(network(X_counterfactual))
    return ((p - p_cf) ** 2).sum(dim=1).mean()


def consistency_objective(
    X: np.ndarray, X_counterfactual: np.ndarray, source: np.ndarray, weight: float
) -> Callable[[Any, Any, Any], Callable[[], Any]]:
    """The ``extra_objective`` hook of fairpool's torch learners for the consistency term.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    X_counterfactual : ndarray of shape (m, d)
    source : ndarray of int, shape (m,)
    weight : float
        ``consistency_weight``.

    Returns
    -------
    callable
        ``(network, dtype, device) -> (() -> weight · consistency_loss)``.
    """

    def build(network: Any, dtype: Any, device: Any) -> Callable[[], Any]:
        import torch

        Xt = torch.as_tensor(X, dtype=dtype, device=device)
        Ct = torch.as_tensor(X_counterfactual, dtype=dtype, device=device)
        St = torch.as_tensor(source, dtype=torch.long, device=device)
        return lambda: weight * consistency_loss(network, Xt, Ct, St)

    return build


class CausallyConsistent(ClassifierMixin, BaseEstimator):
    """A classifier trained to agree with itself on counterfactuals of its training rows.

    Parameters
    ----------
    estimator : classifier
        The base learner (cloned at every fit).
    graph : CausalGraph, optional
        The causal graph; default: :func:`~fairpool.causal.default_graph` of the
        feature names, built at ``fit`` (the sensitive attribute causes every feature).
    feature_names : sequence of str, optional
        Names of the columns of ``X``; default, at ``fit``: the columns of a
        DataFrame ``X``, else ``x0, x1, ...``.
    sensitive_columns : sequence of str, default=()
        Columns encoding the group.
    consistency_weight : float, default=1.0
        Weight of the consistency term (penalty), or of each counterfactual copy
        relative to its row (augmentation; 1 = full balance, see the module
        docstring). 0 fits the base learner unchanged.
    mode : {"auto", "penalty", "augment"}, default="auto"
        ``"auto"``: the penalty when the base learner's ``fit`` takes
        ``extra_objective`` (fairpool's torch learners), else augmentation.
    random_state : int, default=0
        Seeds the counterfactual draws and, when it has one, the base learner.

    Attributes
    ----------
    estimator_ : classifier
        The fitted base learner, trained on the label codes ``0 .. n_classes - 1``
        (the positions in ``classes_``), so that any base learner takes any labels.
    counterfactual_model_ : CounterfactualModel or None
        None when the training rows hold a single group or ``fit`` got no groups
        (nothing to swap to), or when ``consistency_weight`` is 0.
    mode_ : str
        The mode used.
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3)); g = (X[:, 0] > 0).astype(int)
    >>> y = (X[:, 1] + X[:, 0] > 0).astype(int)
    >>> clf = CausallyConsistent(LogisticRegression()).fit(X, y, sensitive_features=g)
    >>> clf.predict_proba(X).shape
    (100, 2)
    """

    def __init__(
        self,
        estimator: Any = None,
        *,
        graph: CausalGraph | None = None,
        feature_names: Sequence[str] | None = None,
        sensitive_columns: Sequence[str] = (),
        consistency_weight: float = 1.0,
        mode: ConsistencyMode = "auto",
        random_state: int = 0,
    ) -> None:
        self.estimator = estimator
        self.graph = graph
        self.feature_names = feature_names
        self.sensitive_columns = sensitive_columns
        self.consistency_weight = consistency_weight
        self.mode = mode
        self.random_state = random_state

    def _check_params(self, n_features: int) -> tuple[list[str], CausalGraph, str]:
        if self.estimator is None or not hasattr(self.estimator, "fit"):
            raise InvalidInputError(
                f"estimator must be a classifier with fit, got {self.estimator!r}"
            )
        weight = self.consistency_weight
        if isinstance(weight, bool) or not np.isfinite(weight) or weight < 0:
            raise InvalidInputError(f"consistency_weight must be >= 0, got {weight!r}")
        if self.mode not in ("auto", "penalty", "augment"):
            raise InvalidInputError(
                f"mode must be 'auto', 'penalty' or 'augment', got {self.mode!r}"
            )
        if self.feature_names is not None:
            names = [str(f) for f in self.feature_names]
        elif hasattr(self, "feature_names_in_"):  # set by validate_data for a DataFrame
            names = [str(f) for f in self.feature_names_in_]
        else:
            names = [f"x{j}" for j in range(n_features)]
        if len(names) != n_features:
            raise LengthMismatchError(
                f"feature_names has {len(names)} names for {n_features} columns of X"
            )
        graph = self.graph or default_graph(names, list(self.sensitive_columns))
        parameters = inspect.signature(self.estimator.fit).parameters
        takes_penalty = "extra_objective" in parameters
        mode = self.mode if self.mode != "auto" else ("penalty" if takes_penalty else "augment")
        if mode == "penalty" and not takes_penalty:
            raise InvalidInputError(
                f"mode='penalty' needs a learner whose fit takes extra_objective "
                f"(fairpool's torch learners), got {type(self.estimator).__name__}"
            )
        if mode == "augment" and "sample_weight" not in parameters:
            raise InvalidInputError(
                f"mode='augment' needs a learner whose fit takes sample_weight, got "
                f"{type(self.estimator).__name__}"
            )
        return names, graph, mode

    def fit(
        self, X: Any, y: Any, sensitive_features: Any = None, sample_weight: Any = None
    ) -> CausallyConsistent:
        """Fit the counterfactual model on ``X`` and the base learner with the consistency term.

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : array-like of shape (n,)
        sensitive_features : array-like of shape (n,), optional
            Group of each row (the active-learning loop passes their codes). Without
            them the base learner is fitted alone and a ``UserWarning`` says so.
        sample_weight : array-like of shape (n,), optional

        Returns
        -------
        self

        Raises
        ------
        InvalidInputError
            Bad ``estimator``, ``consistency_weight`` or ``mode``, a continuous ``y``,
            bad ``sample_weight`` values, or ``X`` that is not a non-empty numeric
            2-D array.
        LengthMismatchError
            ``feature_names`` does not name every column, or ``y``,
            ``sensitive_features`` or ``sample_weight`` does not have one entry per row.
        MissingValueError
            NaN or infinity in ``X``, NaN in ``y``.
        """
        X, y = check_fit_input(self, X, y, dtype=np.float64)
        names, graph, mode = self._check_params(X.shape[1])
        labels, y = np.unique(y, return_inverse=True)  # the base learner sees codes 0..k-1
        if labels.shape[0] < 2:
            raise InvalidInputError(single_class_message(labels[0]))
        if sensitive_features is None:
            warnings.warn(
                "CausallyConsistent.fit got no sensitive_features: no counterfactuals, the "
                "base learner is fitted alone (pass fit(X, y, sensitive_features=groups); "
                "in a Pipeline, enable metadata routing and "
                "set_fit_request(sensitive_features=True))",
                UserWarning,
                stacklevel=2,
            )
            groups = np.zeros(X.shape[0], dtype=np.int64)
        else:
            groups = np.asarray(sensitive_features)
        if groups.shape != (X.shape[0],):
            raise LengthMismatchError(
                f"sensitive_features must have shape ({X.shape[0]},), got {groups.shape}"
            )
        if groups.dtype.kind not in "iu":
            _, groups = np.unique(groups, return_inverse=True)
        weight = (
            np.ones(X.shape[0])
            if sample_weight is None
            else as_sample_weight(sample_weight, X.shape[0])
        )
        estimator = clone(self.estimator)
        if "random_state" in estimator.get_params():
            estimator.set_params(random_state=self.random_state)
        self.mode_ = mode
        self.counterfactual_model_ = None
        if self.consistency_weight == 0 or np.unique(groups).shape[0] < 2:
            self.estimator_ = estimator.fit(X, y, sample_weight=weight)
            self.classes_ = labels
            return self

        model = CounterfactualModel(graph, random_state=self.random_state).fit(
            X, groups, feature_names=names, sensitive_columns=list(self.sensitive_columns)
        )
        counterfactuals, valid = model.all_counterfactuals(X, groups)
        target, source = np.nonzero(valid)
        X_cf = counterfactuals[target, source]
        self.counterfactual_model_ = model
        if mode == "penalty":
            hook = consistency_objective(X, X_cf, source, float(self.consistency_weight))
            estimator.fit(X, y, sample_weight=weight, extra_objective=hook)
        else:
            cf_weight = weight[source] * self.consistency_weight
            estimator.fit(
                np.concatenate([X, X_cf]),
                np.concatenate([y, y[source]]),
                sample_weight=np.concatenate([weight, cf_weight]),
            )
        self.estimator_ = estimator
        self.classes_ = labels
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of the fitted base learner, shape (n, n_classes).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        InvalidInputError
            ``X`` has another number of features than the training data.
        MissingValueError
            NaN or infinity in ``X``.
        """
        X = check_predict_input(self, X, attribute="estimator_")
        return np.asarray(self.estimator_.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted classes of the fitted base learner, shape (n,).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        InvalidInputError
            ``X`` has another number of features than the training data.
        MissingValueError
            NaN or infinity in ``X``.
        """
        X = check_predict_input(self, X, attribute="estimator_")
        return self.classes_[np.asarray(self.estimator_.predict(X))]


def causally_consistent(
    estimator: Any,
    dataset: Any,
    *,
    consistency_weight: float = 1.0,
    known_causal_fraction: float = 1.0,
    mode: ConsistencyMode = "auto",
    random_state: int = 0,
) -> CausallyConsistent:
    """Wrap ``estimator`` with the causal graph, feature names and sensitive columns of ``dataset``.

    Parameters
    ----------
    estimator : classifier or str
        A classifier, or a learner name for :func:`fairpool.learners.make_learner`.
    dataset : Dataset
        The data the learner will see (its graph is :func:`dataset_graph`).
    consistency_weight : float, default=1.0
    known_causal_fraction : float, default=1.0
        genomes1000: share of causal SNPs declared admissible.
    mode : {"auto", "penalty", "augment"}
    random_state : int, default=0

    Returns
    -------
    CausallyConsistent

    Examples
    --------
    >>> import fairpool as fp  # doctest: +SKIP
    >>> ds = fp.datasets.load("genomes1000", n_samples=999)  # doctest: +SKIP
    >>> learner = causally_consistent("xgboost", ds)  # doctest: +SKIP
    >>> fp.active.run(ds, "entropy", learner, split="facagen")  # doctest: +SKIP
    """
    if dataset is None or not hasattr(dataset, "feature_names"):
        raise InvalidInputError(
            "a causally consistent learner needs dataset=<the Dataset it will learn from>, "
            "whose causal graph defines the counterfactuals"
        )
    base = make_learner(estimator) if isinstance(estimator, str) else estimator
    names = list(dataset.feature_names)
    graph = dataset_graph(
        dataset.name,
        feature_names=names,
        info=dataset.info,
        known_causal_fraction=known_causal_fraction,
        seed=random_state,
    )
    return CausallyConsistent(
        base,
        graph=graph,
        feature_names=names,
        sensitive_columns=list(dataset.info.get("sensitive_columns", ())),
        consistency_weight=consistency_weight,
        mode=mode,
        random_state=random_state,
    )


def _registered(base_name: str) -> Callable[..., CausallyConsistent]:
    def factory(
        *,
        dataset: Any = None,
        consistency_weight: float = 1.0,
        known_causal_fraction: float = 1.0,
        random_state: int = 0,
        **options: Any,
    ) -> CausallyConsistent:
        base = make_learner(base_name, **options)
        if dataset is not None:
            return causally_consistent(
                base,
                dataset,
                consistency_weight=consistency_weight,
                known_causal_fraction=known_causal_fraction,
                random_state=random_state,
            )
        if known_causal_fraction != 1.0:
            raise InvalidInputError(
                "known_causal_fraction chooses among a dataset's causal features: it "
                "needs dataset=<the Dataset the learner will see>"
            )
        return CausallyConsistent(
            base, consistency_weight=consistency_weight, random_state=random_state
        )

    factory.__name__ = f"{base_name}_cf"
    factory.__doc__ = (
        f"``{base_name}`` trained with the causal consistency term.\n\n"
        "With ``dataset=``, the causal graph, feature names and sensitive columns are "
        "the dataset's (:func:`causally_consistent`); without, they are bound at ``fit`` "
        "(the default graph: the sensitive attribute causes every feature). Use as "
        "``fp.active.run(ds, ..., learner=\"" + base_name + "_cf\", "
        "learner_options={\"dataset\": ds})``; other options go to the base learner.\n\n"
        "Raises\n------\nInvalidInputError\n    ``known_causal_fraction`` other than 1 "
        "without ``dataset``."
    )
    return factory


xgboost_cf = register_learner("xgboost_cf")(_registered("xgboost"))
linear_cf = register_learner("linear_cf")(_registered("linear"))
mlp_cf = register_learner("mlp_cf")(_registered("mlp"))
