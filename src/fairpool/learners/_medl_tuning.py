"""A seeded grid search of a mixed-effects model's adversary weights on a held-out split.

Fair MEDL (Wang, Nguyen & Montillo, arXiv 2310.03146) tunes its loss weights by hand
per data set; :func:`tune_medl` makes that choice reproducible: every setting of a small
grid is fitted on the same seeded training split and scored on the same validation
rows, and the least unfair setting whose performance is within ``tolerance`` of the best
is chosen. scikit-learn's ``ParameterGrid`` and ``clone`` enumerate and copy the
settings; fairpool's metrics (:func:`~fairpool.metrics.rate_by_group`,
:func:`~fairpool.metrics.regression_error_std`) measure the spreads. Hand-written only
for the selection rule, which scikit-learn's searches (one score) cannot express.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.model_selection import ParameterGrid

from fairpool.errors import InvalidInputError
from fairpool.metrics import rate_by_group, regression_error_std

__all__ = ["DEFAULT_GRID", "spread_of", "tune_medl"]

DEFAULT_GRID: dict[str, list[float]] = {
    "cluster_adversary_weight": [0.03, 0.1, 0.3],
    "fairness_weight": [0.3, 1.0, 3.0],
}


def _take(values: Any, rows: np.ndarray) -> Any:
    if values is None:
        return None
    if isinstance(values, pd.DataFrame | pd.Series):
        return values.iloc[rows]
    return np.asarray(values)[rows]


def spread_of(y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray, *,
              classification: bool) -> float:
    """Fair MEDL's spread of one sensitive variable: the standard deviation across its
    groups of the TPR and of the FPR, averaged (classification), or of the per-group MSE
    (regression).

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (n,)
        0/1 labels and predictions, or real targets and predictions.
    groups : ndarray of shape (n,)
    classification : bool

    Returns
    -------
    float
        NaN when a rate is undefined in every group.
    """
    if not classification:
        return float(regression_error_std(y_true, y_pred, sensitive_features=groups))
    spreads = []
    for rate in ("tpr", "fpr"):
        values = rate_by_group(y_true, y_pred, sensitive_features=groups, rate=rate)
        spreads.append(float(np.nanstd(values.to_numpy(dtype=np.float64))))
    return float(np.mean(spreads))


def tune_medl(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    clusters: Any,
    sensitive_features: Any = None,
    param_grid: dict[str, list[Any]] | None = None,
    validation_fraction: float = 0.25,
    tolerance: float = 0.01,
    random_state: int = 0,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Choose a mixed-effects model's weights on a seeded held-out split.

    Each setting of ``param_grid`` is fitted on the same ``1 - validation_fraction`` of
    the rows (a seeded permutation) and scored on the rest with the ME prediction
    (seen clusters): accuracy or MSE, and the spread of :func:`spread_of` averaged over
    the sensitive variables. The chosen setting has the smallest spread among those whose
    accuracy is at least ``best - tolerance`` (MSE at most ``best * (1 + tolerance)``);
    without ``sensitive_features`` the best performance wins.

    Parameters
    ----------
    estimator : MEDLClassifier or MEDLRegressor
        The unfitted model whose other parameters stay as they are.
    X : array-like of shape (n, d)
    y : array-like of shape (n,)
    clusters : array-like of shape (n,)
    sensitive_features : array-like, Series or DataFrame, optional
        Passed to ``fit`` and used for the spread (each column a sensitive variable).
    param_grid : dict of str to list, optional
        Default :data:`DEFAULT_GRID` (``fairness_weight`` only when the model has
        ``fairness=True``): 3 x 3 settings.
    validation_fraction : float, default=0.25
    tolerance : float, default=0.01
    random_state : int, default=0
        Seeds the split.

    Returns
    -------
    best : dict
        The chosen setting.
    table : pandas.DataFrame
        One row per setting: its parameters, ``score`` (accuracy or MSE), ``spread``.

    Raises
    ------
    InvalidInputError
        ``validation_fraction`` outside (0, 1) or an empty grid.
    """
    if not 0.0 < float(validation_fraction) < 1.0:
        raise InvalidInputError(
            f"validation_fraction must be in (0, 1), got {validation_fraction!r}")
    grid = dict(DEFAULT_GRID if param_grid is None else param_grid)
    if param_grid is None and not getattr(estimator, "fairness", False):
        grid.pop("fairness_weight")
    settings = list(ParameterGrid(grid))
    if not settings:
        raise InvalidInputError("param_grid holds no setting")
    Xa = X.to_numpy() if isinstance(X, pd.DataFrame) else np.asarray(X)
    ya = np.asarray(y)
    n = ya.shape[0]
    order = np.random.default_rng(random_state).permutation(n)
    n_val = max(1, int(round(validation_fraction * n)))
    val, train = order[:n_val], order[n_val:]
    classification = is_classifier(estimator)
    sensitive = None
    if sensitive_features is not None:
        frame = (sensitive_features if isinstance(sensitive_features, pd.DataFrame)
                 else pd.DataFrame({"sensitive": np.asarray(sensitive_features)}))
        sensitive = frame.reset_index(drop=True)
    rows = []
    for setting in settings:
        model = clone(estimator).set_params(**setting)
        model.fit(Xa[train], ya[train], clusters=_take(clusters, train),
                  sensitive_features=None if sensitive is None else sensitive.iloc[train])
        pred = model.predict(Xa[val], clusters=_take(clusters, val))
        if classification:
            score = float(np.mean(pred == ya[val]))
            truth = (ya[val] == model.classes_[1]).astype(int)
            pred01 = (pred == model.classes_[1]).astype(int)
        else:
            score = float(np.mean((pred - ya[val]) ** 2))
            truth, pred01 = ya[val], pred
        spread = np.nan
        if sensitive is not None:
            spread = float(np.nanmean([
                spread_of(truth, pred01, sensitive[c].to_numpy()[val],
                          classification=classification)
                for c in sensitive.columns]))
        rows.append({**setting, "score": score, "spread": spread})
    table = pd.DataFrame(rows)
    if classification:
        near = table["score"] >= table["score"].max() - tolerance
    else:
        near = table["score"] <= table["score"].min() * (1.0 + tolerance)
    candidates = table[near]
    if sensitive is not None and candidates["spread"].notna().any():
        pick = candidates["spread"].idxmin()
    else:
        pick = candidates["score"].idxmax() if classification else candidates["score"].idxmin()
    return dict(settings[int(pick)]), table
