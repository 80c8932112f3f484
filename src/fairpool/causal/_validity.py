"""Causal validity: does a model rely on the sensitive attribute's proxies or on true causes?

Three measures, each a pure function of a fitted model and labelled rows:

* :func:`counterfactual_inconsistency` / :func:`counterfactual_fairness_gap` --
  how much the predicted probability moves when a row's sensitive attribute is
  set to each other group (``|h(x) - h(x')|``, averaged over the other groups;
  the total-variation distance between the predicted class distributions, which
  is ``|p_1(x) - p_1(x')|`` for two classes). A counterfactually fair model
  (Kusner et al. 2017) scores 0.
* :func:`causal_importance_share` -- the share of the model's feature importance
  that falls on the true causal features (on genomes1000, the causal SNPs):
  mean ``|SHAP|`` from xgboost's exact tree SHAP (``pred_contribs``) for boosted
  trees, scikit-learn's permutation importance otherwise.
* :func:`accuracy_by_group` -- accuracy against the *true* labels per group (on
  genomes1000, ``y_true``, before the recording bias).

:func:`validity_metrics` bundles them as callables the active-learning loop
records every round (``fp.active.run(..., model_metrics=...)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

from fairpool.causal._counterfactual import CounterfactualModel, fit_counterfactual_model
from fairpool.errors import (
    EmptyInputError,
    InvalidInputError,
    LengthMismatchError,
    UnknownColumnError,
)

__all__ = [
    "counterfactual_inconsistency",
    "counterfactual_fairness_gap",
    "causal_importance_share",
    "accuracy_by_group",
    "validity_metrics",
]

ImportanceMethod = Literal["auto", "shap", "permutation"]


def _proba(model: Any, X: np.ndarray) -> np.ndarray:
    if callable(model) and not hasattr(model, "predict_proba"):
        return np.asarray(model(X), dtype=np.float64)
    return np.asarray(model.predict_proba(X), dtype=np.float64)


def counterfactual_inconsistency(
    model: Any,
    X: Any,
    groups: Any,
    counterfactuals: CounterfactualModel,
) -> np.ndarray:
    """Per-row change of the prediction when the sensitive attribute is set to other groups.

    ``c(x) = mean over groups g' != g(x) of TV(h(x), h(x'_{g'}))`` where ``TV`` is
    the total-variation distance between predicted class distributions
    (``|p_1(x) - p_1(x')|`` for binary classifiers). All counterfactuals are
    predicted in one call.

    Parameters
    ----------
    model : estimator with ``predict_proba``, or callable
        A fitted classifier, or a function mapping ``X`` to class probabilities.
    X : array-like of shape (n, d)
        Rows in the representation ``counterfactuals`` was fitted on.
    groups : array-like of int, shape (n,)
    counterfactuals : CounterfactualModel
        A fitted counterfactual model.

    Returns
    -------
    ndarray of shape (n,), values in [0, 1]
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise EmptyInputError(f"X must be a non-empty 2-D array, got shape {X.shape}")
    cf, valid = counterfactuals.all_counterfactuals(X, groups)
    k, n, d = cf.shape
    proba = _proba(model, X)
    proba_cf = _proba(model, cf.reshape(k * n, d)).reshape(k, n, -1)
    tv = 0.5 * np.abs(proba_cf - proba[None]).sum(axis=2)
    n_other = valid.sum(axis=0)
    return np.where(n_other > 0, (tv * valid).sum(axis=0) / np.maximum(n_other, 1), 0.0)


def counterfactual_fairness_gap(
    model: Any, X: Any, groups: Any, counterfactuals: CounterfactualModel
) -> float:
    """Mean counterfactual inconsistency over rows (0 = counterfactually fair).

    See :func:`counterfactual_inconsistency` for the parameters.

    Returns
    -------
    float in [0, 1]
    """
    return float(counterfactual_inconsistency(model, X, groups, counterfactuals).mean())


def _unwrap(model: Any) -> Any:
    """The innermost fitted estimator of wrappers that keep it as ``estimator_``."""
    seen = 0
    while hasattr(model, "estimator_") and seen < 8:
        model = model.estimator_
        seen += 1
    return model


def _tree_shap_importance(booster_owner: Any, X: np.ndarray) -> np.ndarray:
    import xgboost

    booster = booster_owner.get_booster()
    contributions = booster.predict(xgboost.DMatrix(X), pred_contribs=True)
    if contributions.ndim == 3:  # multi-class: (n, classes, d + 1)
        contributions = np.abs(contributions).sum(axis=1)
    return np.abs(contributions[:, :-1]).mean(axis=0)  # last column is the bias


def causal_importance_share(
    model: Any,
    X: Any,
    y: Any,
    *,
    feature_names: Sequence[str],
    causal_features: Sequence[str],
    method: ImportanceMethod = "auto",
    n_repeats: int = 5,
    random_state: int = 0,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> float:
    """Share of the model's feature importance that falls on the true causal features.

    ``sum_{j causal} I_j / sum_j I_j`` with ``I_j >= 0``: 1 means the model uses
    only the causal features, the causal features' share of the columns (``m / d``)
    is what a model spreading importance evenly would get.

    Parameters
    ----------
    model : fitted estimator
        A classifier (wrappers exposing ``estimator_`` are unwrapped for SHAP).
    X : array-like of shape (n, d)
        Rows to measure importance on (the test split).
    y : array-like of shape (n,)
        Labels for permutation importance (ignored by SHAP).
    feature_names : sequence of str
        Names of the columns of ``X``.
    causal_features : sequence of str
        The true causal features (``info["causal_features"]``).
    method : {"auto", "shap", "permutation"}, default="auto"
        ``"shap"``: mean ``|SHAP|`` from xgboost's tree SHAP (``pred_contribs``);
        ``"permutation"``: scikit-learn's permutation importance (drop in
        accuracy, negative values clipped to 0); ``"auto"``: SHAP when the model
        has an xgboost booster, permutation otherwise.
    n_repeats : int, default=5
        Permutations per feature.
    random_state : int, default=0
        Seed of the permutations.
    transform : callable, optional
        Maps ``X`` to the representation the unwrapped model was fitted on (the
        loop's standardisation); SHAP is computed on ``transform(X)``.

    Returns
    -------
    float in [0, 1], or NaN when every importance is 0.

    Raises
    ------
    UnknownColumnError
        A causal feature is not among ``feature_names``.
    InvalidInputError
        Unknown ``method``, or ``"shap"`` for a model without an xgboost booster.
    """
    X = np.asarray(X, dtype=np.float64)
    names = list(feature_names)
    if X.ndim != 2 or X.shape[0] == 0:
        raise EmptyInputError(f"X must be a non-empty 2-D array, got shape {X.shape}")
    if len(names) != X.shape[1]:
        raise LengthMismatchError(
            f"feature_names has {len(names)} names for {X.shape[1]} columns of X"
        )
    missing = [c for c in causal_features if c not in names]
    if missing:
        raise UnknownColumnError(f"causal feature(s) {missing} are not among feature_names")
    if method not in ("auto", "shap", "permutation"):
        raise InvalidInputError(
            f"method must be 'auto', 'shap' or 'permutation', got {method!r}"
        )
    inner = _unwrap(model)
    has_booster = hasattr(inner, "get_booster")
    if method == "shap" and not has_booster:
        raise InvalidInputError(
            f"method='shap' needs an xgboost model, got {type(inner).__name__}"
        )
    if method == "shap" or (method == "auto" and has_booster):
        importance = _tree_shap_importance(inner, X if transform is None else transform(X))
    else:
        from sklearn.inspection import permutation_importance

        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise LengthMismatchError(f"y must have shape ({X.shape[0]},), got {y.shape}")
        result = permutation_importance(
            model, X, y, n_repeats=n_repeats, random_state=random_state, scoring="accuracy"
        )
        importance = np.clip(result.importances_mean, 0.0, None)
    total = float(importance.sum())
    if total <= 0:
        return float("nan")
    causal = np.isin(np.asarray(names), np.asarray(list(causal_features)))
    return float(importance[causal].sum() / total)


def accuracy_by_group(
    y_true: Any, y_pred: Any, groups: Any, *, group_names: Sequence[str]
) -> dict[str, float]:
    """Accuracy of ``y_pred`` against ``y_true`` within each group (NaN for empty groups).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
    groups : array-like of int codes, shape (n,)
    group_names : sequence of str
        Name of each code.

    Returns
    -------
    dict of str to float
    """
    y_true, y_pred, groups = (np.asarray(a) for a in (y_true, y_pred, groups))
    n = y_true.shape[0]
    for arg, a in (("y_pred", y_pred), ("groups", groups)):
        if a.shape != (n,):
            raise LengthMismatchError(f"{arg} must have shape ({n},), got {a.shape}")
    k = len(group_names)
    if n and (groups.min() < 0 or groups.max() >= k):
        raise InvalidInputError(f"groups must be codes in [0, {k})")
    totals = np.bincount(groups, minlength=k)
    correct = np.bincount(groups, weights=(y_true == y_pred).astype(np.float64), minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(totals > 0, correct / np.maximum(totals, 1), np.nan)
    return dict(zip(group_names, acc.tolist(), strict=True))


def validity_metrics(
    dataset: Any,
    *,
    fit_rows: Any,
    known_causal_fraction: float = 1.0,
    seed: int = 0,
    importance: ImportanceMethod = "auto",
) -> dict[str, Callable[[Any, Any], Any]]:
    """The causal-validity measures as callables for the loop's ``model_metrics`` hook.

    Each callable takes ``(learner, test)`` -- the loop's fitted
    :class:`~fairpool.active.ActiveLearner` (whose ``predict_proba`` takes raw
    features) and the test split as a Dataset -- and returns a float or a dict of
    floats.

    Parameters
    ----------
    dataset : Dataset
        The whole dataset (its graph, feature names and info are used).
    fit_rows : array of int
        Rows whose *features* fit the counterfactual mechanisms (the training part:
        labelled and pool rows; never the test split). Labels are not used.
    known_causal_fraction : float, default 1.0
        genomes1000: share of causal SNPs declared admissible.
    seed : int
        Seed of the counterfactual draws and of that choice.
    importance : {"auto", "shap", "permutation"}
        Importance method of :func:`causal_importance_share`.

    Returns
    -------
    dict
        ``"cf_gap"`` always; ``"causal_share"`` when ``info["causal_features"]``
        exists; ``"acc_true"`` (accuracy against ``y_true`` overall and per group,
        and F1) when ``y_true`` exists.
    """
    counterfactuals = fit_counterfactual_model(
        dataset.subset(np.asarray(fit_rows)),
        known_causal_fraction=known_causal_fraction,
        seed=seed,
    )

    def cf_gap(learner: Any, test: Any) -> float:
        return counterfactual_fairness_gap(learner, test.X, test.groups, counterfactuals)

    metrics: dict[str, Callable[[Any, Any], Any]] = {"cf_gap": cf_gap}
    causal = dataset.info.get("causal_features")
    if causal:

        def causal_share(learner: Any, test: Any) -> float:
            # Tree SHAP needs the representation the booster was fitted in (the
            # loop's standardised features); permutation importance works on raw
            # rows through the learner's own predict.
            inner = _unwrap(getattr(learner, "model_", learner))
            transform = getattr(learner, "transform", None)
            use_shap = importance != "permutation" and hasattr(inner, "get_booster")
            return causal_importance_share(
                inner if use_shap else learner,
                test.X,
                test.y,
                feature_names=test.feature_names,
                causal_features=list(causal),
                method="shap" if use_shap else "permutation",
                random_state=seed,
                transform=transform if use_shap else None,
            )

        metrics["causal_share"] = causal_share
    if dataset.y_true is not None:

        def acc_true(learner: Any, test: Any) -> dict[str, float]:
            from sklearn.metrics import f1_score

            pred = learner.predict(test.X)
            out = {"all": float(np.mean(pred == test.y_true))}
            out["f1"] = float(f1_score(test.y_true, pred, zero_division=0.0))
            per_group = accuracy_by_group(
                test.y_true, pred, test.groups, group_names=test.group_names
            )
            out.update(per_group)
            out["worst"] = float(np.nanmin(list(per_group.values())))
            return out

        metrics["acc_true"] = acc_true
    return metrics
