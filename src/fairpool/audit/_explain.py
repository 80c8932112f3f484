"""SHAP explanations of a fitted model compared across groups.

::

    import fairpool as fp
    ds = fp.datasets.load("adult")
    model = xgboost.XGBClassifier().fit(ds.X, ds.y)
    ex = fp.audit.explain_by_group(model, ds)
    ex.importance        # mean |SHAP| per feature (rows) per group (columns) and overall
    ex.shares            # share of attribution on the sensitive columns and on its proxies
    ex.plot(top=10)      # a bar chart per group

The SHAP values are the ``shap`` library's (Lundberg & Lee 2017, "A unified approach
to interpreting model predictions", NeurIPS): ``TreeExplainer`` (Lundberg et al. 2020,
the exact path-dependent tree algorithm) for tree models and ``LinearExplainer`` for
linear ones, which for independent features gives ``phi_j(x) = w_j (x_j - E[x_j])``
(the closed form; ``E`` over the background rows, by default the rows explained).
Other model types raise: shap's model-agnostic ``KernelExplainer`` would need
thousands of model evaluations per row, too slow for an audit of a whole table.

Written here by hand: choosing the explainer, unwrapping a scikit-learn pipeline whose
steps before the model keep the columns (a scaler), and the per-group summary (mean
``|SHAP|`` per feature per group; shares of the total on the sensitive attribute's own
columns and on its proxies, which come from :func:`fairpool.causal.proxy_features`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairpool.errors import (
    EmptyInputError,
    FairpoolError,
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    SingleGroupError,
    UnknownColumnError,
)

__all__ = ["GroupExplanation", "explain_by_group"]

_TREE_MODULES = ("sklearn.tree", "sklearn.ensemble", "xgboost", "lightgbm", "catboost")
_LINEAR_MODULES = ("sklearn.linear_model", "sklearn.svm")


@dataclass(frozen=True, eq=False)
class GroupExplanation:
    """SHAP values of one model on some rows, summarised per group.

    Attributes
    ----------
    values : ndarray of shape (n, d)
        SHAP value of each feature for each row, in the units of ``output``.
    expected_value : float
        The explainer's base value: ``values.sum(axis=1) + expected_value`` is the
        model's output for each row.
    output : str
        What the values add up to: ``"log-odds"`` (linear models, boosted trees'
        margin) or ``"probability"`` (scikit-learn tree classifiers' class-1 probability).
    explainer : {"tree", "linear"}
    feature_names : tuple of str
    groups : ndarray of int, shape (n,)
    group_names : tuple of str
    sensitive_columns : tuple of str
        The sensitive attribute's own feature columns (may be empty).
    proxies : tuple of str
        Its proxies among the other features.
    """

    values: np.ndarray
    expected_value: float
    output: str
    explainer: str
    feature_names: tuple[str, ...]
    groups: np.ndarray
    group_names: tuple[str, ...]
    sensitive_columns: tuple[str, ...]
    proxies: tuple[str, ...]

    @property
    def importance(self) -> pd.DataFrame:
        """Mean ``|SHAP|`` per feature (rows) in each group and over all rows (``"all"``)."""
        absolute = np.abs(self.values)
        k = len(self.group_names)
        counts = np.bincount(self.groups, minlength=k).astype(np.float64)
        sums = np.stack([np.bincount(self.groups, weights=absolute[:, j], minlength=k)
                         for j in range(absolute.shape[1])], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums / counts[:, None]
        frame = pd.DataFrame(means.T, index=list(self.feature_names),
                             columns=list(self.group_names))
        frame["all"] = absolute.mean(axis=0)
        frame.index.name = "feature"
        return frame

    @property
    def shares(self) -> pd.DataFrame:
        """Share of the total mean ``|SHAP|`` on the sensitive columns, the proxies, the rest.

        One row per group and ``"all"``; columns ``sensitive``, ``proxies``, ``other``
        (summing to 1; NaN when every attribution is 0).
        """
        importance = self.importance
        names = np.asarray(self.feature_names, dtype=object)
        sensitive = np.isin(names, list(self.sensitive_columns))
        proxies = np.isin(names, list(self.proxies)) & ~sensitive
        total = importance.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = pd.DataFrame({
                "sensitive": importance[sensitive].sum(axis=0) / total,
                "proxies": importance[proxies].sum(axis=0) / total,
            })
        out["other"] = 1.0 - out["sensitive"] - out["proxies"]
        out.index.name = "group"
        return out.where(np.broadcast_to(total.to_numpy()[:, None] > 0, out.shape))

    def plot(self, *, top: int = 10, path: str | Path | None = None) -> Any:
        """A bar chart per group of the ``top`` features by mean ``|SHAP|`` over all rows.

        Bars on the sensitive columns are red, on proxies orange, others grey; the
        panel title gives the group's shares.

        Parameters
        ----------
        top : int, default 10
        path : str or Path, optional
            Where to save the figure.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib

        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        if not isinstance(top, int) or isinstance(top, bool) or top < 1:
            raise InvalidInputError(f"top must be a positive integer, got {top!r}")
        importance = self.importance
        order = importance["all"].sort_values(ascending=False).index[:top][::-1]
        colours = ["tab:red" if f in self.sensitive_columns else
                   "tab:orange" if f in self.proxies else "tab:gray" for f in order]
        groups = list(self.group_names)
        fig, axes = plt.subplots(1, len(groups), sharex=True, squeeze=False,
                                 figsize=(2.6 * len(groups) + 2.2, 0.28 * len(order) + 1.4))
        shares = self.shares
        for i, g in enumerate(groups):
            ax = axes[0][i]
            ax.barh(range(len(order)), importance.loc[order, g], color=colours)
            ax.set_yticks(range(len(order)))
            ax.set_yticklabels(order if i == 0 else [], fontsize=7)
            s = shares.loc[g]
            ax.set_title(f"{g}\nsensitive {s['sensitive']:.0%}, proxies {s['proxies']:.0%}",
                         fontsize=8)
            ax.tick_params(axis="x", labelsize=7)
            ax.set_xlabel(f"mean |SHAP| ({self.output})", fontsize=7)
        from matplotlib.patches import Patch

        fig.legend(handles=[Patch(color="tab:red", label="sensitive attribute"),
                            Patch(color="tab:orange", label="proxy"),
                            Patch(color="tab:gray", label="other")],
                   loc="lower center", ncol=3, fontsize=7, frameon=False)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig


def _unwrap(model: Any) -> tuple[Any, Any]:
    """The final estimator and a function mapping raw rows to its inputs."""
    from sklearn.pipeline import Pipeline

    from fairpool.active import ActiveLearner

    if isinstance(model, ActiveLearner):
        if not hasattr(model, "model_"):
            raise InvalidInputError("the ActiveLearner is not fitted yet; call fit first")
        return model.model_, model.transform
    if isinstance(model, Pipeline):
        steps = model[:-1]
        return model[-1], steps.transform
    return model, None


def _kind(estimator: Any) -> str:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(estimator)
    except NotFittedError:
        raise InvalidInputError(f"{type(estimator).__name__} is not fitted; fit it first") from None
    except TypeError:  # not a scikit-learn estimator at all: the message below says so
        pass
    module = type(estimator).__module__
    if module.startswith(_LINEAR_MODULES) and hasattr(estimator, "coef_"):
        return "linear"
    if module.startswith(_TREE_MODULES):
        return "tree"
    raise InvalidInputError(
        f"explain_by_group explains tree models (shap.TreeExplainer: scikit-learn trees "
        f"and forests, XGBoost, LightGBM) and linear models (shap.LinearExplainer), not "
        f"{type(estimator).__name__} ({module}); shap's KernelExplainer would explain it "
        "but needs thousands of model evaluations per row, too slow for a whole table"
    )


def _shap_values(estimator: Any, kind: str, X: np.ndarray, background: np.ndarray
                 ) -> tuple[np.ndarray, float, str]:
    try:
        import shap
    except ImportError:
        raise FairpoolError(
            "explanations need the shap library: pip install 'fairpool[explain]' (or shap)"
        ) from None
    if kind == "linear":
        coef = np.asarray(estimator.coef_)
        if coef.ndim == 2 and coef.shape[0] != 1:
            raise InvalidInputError(
                f"explain_by_group explains binary classifiers; {type(estimator).__name__} "
                f"has {coef.shape[0]} classes"
            )
        masker = shap.maskers.Independent(background, max_samples=background.shape[0])
        explainer = shap.LinearExplainer(estimator, masker)
        values = np.asarray(explainer.shap_values(X), dtype=np.float64)
        return values, float(np.ravel(explainer.expected_value)[0]), "log-odds"
    try:
        explainer = shap.TreeExplainer(estimator)
        values = np.asarray(explainer.shap_values(X, check_additivity=False), dtype=np.float64)
    except Exception as exc:  # shap raises plain errors for models it cannot parse
        raise InvalidInputError(
            f"shap.TreeExplainer cannot explain {type(estimator).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    expected = np.ravel(explainer.expected_value)
    if values.ndim == 3:  # (n, d, classes): keep the positive class
        if values.shape[2] != 2:
            raise InvalidInputError(
                f"explain_by_group explains binary classifiers; {type(estimator).__name__} "
                f"has {values.shape[2]} classes"
            )
        values, expected = values[:, :, 1], expected[1:]
    module = type(estimator).__module__
    output = "probability" if module.startswith("sklearn") else "log-odds"
    return values, float(expected[0]), output


def _table(data: Any, groups: Any, feature_names: Any, group_names: Any,
           sensitive_columns: Any) -> tuple[Any, np.ndarray, np.ndarray, list[str],
                                            list[str], list[str]]:
    from fairpool.datasets import Dataset

    if isinstance(data, Dataset):
        if groups is not None or feature_names is not None or group_names is not None:
            raise InvalidInputError("groups=, feature_names= and group_names= come from the "
                                    "Dataset; pass them only with an array or a DataFrame")
        sensitive = (list(data.info.get("sensitive_columns", ()))
                     if sensitive_columns is None else list(sensitive_columns))
        return (data, data.X.astype(np.float64), data.groups, list(data.feature_names),
                [str(g) for g in data.group_names], sensitive)
    if groups is None:
        raise InvalidInputError("groups= is needed with an array or a DataFrame")
    if isinstance(data, pd.DataFrame):
        names = [str(c) for c in data.columns] if feature_names is None else list(feature_names)
        X = data.to_numpy(dtype=np.float64)
    else:
        X = np.asarray(data, dtype=np.float64)
        names = ([f"x{j}" for j in range(X.shape[1])] if feature_names is None and X.ndim == 2
                 else list(feature_names or []))
    if X.ndim != 2 or X.shape[0] == 0:
        raise EmptyInputError(f"X must be a non-empty 2-D table, got shape {X.shape}")
    if len(names) != X.shape[1]:
        raise LengthMismatchError(f"feature_names has {len(names)} names for {X.shape[1]} columns")
    g = np.asarray(groups)
    if g.shape != (X.shape[0],):
        raise LengthMismatchError(f"groups must have shape ({X.shape[0]},), got {g.shape}")
    if pd.isna(g).any():
        raise MissingValueError("groups holds missing values")
    if group_names is None:
        values, codes = np.unique(g, return_inverse=True)
        gnames = [str(v) for v in values]
    else:
        gnames = [str(v) for v in group_names]
        if g.dtype.kind not in "iu" or g.min() < 0 or g.max() >= len(gnames):
            raise InvalidInputError(
                f"with group_names=, groups must be codes in [0, {len(gnames)})")
        codes = g
    return (None, X, np.asarray(codes, dtype=np.int64), names, gnames,
            list(sensitive_columns or ()))


def explain_by_group(
    model: Any,
    data: Any,
    *,
    groups: Any = None,
    feature_names: Sequence[str] | None = None,
    group_names: Sequence[str] | None = None,
    sensitive_columns: Sequence[str] | None = None,
    proxies: str | Sequence[str] = "auto",
    proxy_threshold: float = 0.3,
    background: Any = None,
) -> GroupExplanation:
    """SHAP values of a fitted binary classifier, compared across groups.

    Parameters
    ----------
    model : fitted estimator
        A tree model (scikit-learn trees and forests, XGBoost, LightGBM) or a linear
        one (scikit-learn ``linear_model``, ``LinearSVC``); a scikit-learn ``Pipeline``
        ending in one (its earlier steps must keep the columns, e.g. a scaler), or a
        fitted :class:`fairpool.active.ActiveLearner` (its scaler and model).
    data : Dataset, pandas.DataFrame or array of shape (n, d)
        The rows to explain, in the model's input columns.
    groups : array-like of shape (n,), optional
        Each row's group (labels, or codes with ``group_names``); from a Dataset otherwise.
    feature_names : sequence of str, optional
        Column names (a DataFrame's columns, ``x0, x1, ...`` for an array).
    group_names : sequence of str, optional
        Names of the group codes.
    sensitive_columns : sequence of str, optional
        The sensitive attribute's own feature columns (a Dataset's
        ``info["sensitive_columns"]`` by default; none for an array).
    proxies : {"auto", "graph", "association"} or sequence of str, default "auto"
        How to find the proxies (:func:`fairpool.causal.proxy_features`; ``"graph"``
        needs a Dataset), or their names.
    proxy_threshold : float, default 0.3
        Correlation-ratio threshold of the association screen.
    background : array-like of shape (m, d), optional
        Rows whose means ``LinearExplainer`` takes as ``E[x]`` (default: the rows
        explained). Tree models use the path-dependent algorithm, no background.

    Returns
    -------
    GroupExplanation

    Raises
    ------
    InvalidInputError
        A model type neither tree nor linear (KernelExplainer would be slow), an
        unfitted or multi-class model, bad ``proxies``.
    UnknownColumnError
        A sensitive column or proxy is not a feature.
    SingleGroupError
        The rows hold one group.
    MissingValueError
        NaN or infinite features, missing groups.
    LengthMismatchError, EmptyInputError
        Mismatched or empty inputs.
    FairpoolError
        shap is not installed.
    """
    from fairpool.causal import association_proxies, proxy_features

    dataset, X, codes, names, gnames, sensitive = _table(
        data, groups, feature_names, group_names, sensitive_columns)
    if not np.isfinite(X).all():
        raise MissingValueError("the rows to explain hold NaN or infinite features")
    if np.unique(codes).size < 2:
        raise SingleGroupError(f"the rows hold one group ({gnames[int(codes[0])]}); "
                               "there is nothing to compare")
    for column in sensitive:
        if column not in names:
            raise UnknownColumnError(f"sensitive column {column!r} is not a feature column")
    if isinstance(proxies, str):
        if proxies == "graph" and dataset is None:
            raise InvalidInputError("proxies='graph' needs a fairpool Dataset (its causal graph)")
        if dataset is not None:
            proxy_list = proxy_features(dataset, method=proxies, threshold=proxy_threshold)
        elif proxies in ("auto", "association"):
            proxy_list = association_proxies(X, codes, feature_names=names,
                                             threshold=proxy_threshold, exclude=sensitive)
        else:
            raise InvalidInputError(f"proxies must be 'auto', 'graph', 'association' or a "
                                    f"list of feature names, got {proxies!r}")
    else:
        proxy_list = list(proxies)
        for column in proxy_list:
            if column not in names:
                raise UnknownColumnError(f"proxy {column!r} is not a feature column")
    estimator, transform = _unwrap(model)
    kind = _kind(estimator)
    Z = X if transform is None else np.asarray(transform(X), dtype=np.float64)
    if Z.shape != X.shape:
        raise InvalidInputError(f"the pipeline's steps before the model change the columns "
                                f"({X.shape[1]} -> {Z.shape[1]}); SHAP values would not "
                                "match the features")
    if background is None:
        back = Z
    else:
        back = np.asarray(background, dtype=np.float64)
        if back.ndim != 2 or back.shape[1] != X.shape[1] or back.shape[0] == 0:
            raise LengthMismatchError(f"background must have shape (m, {X.shape[1]})")
        back = back if transform is None else np.asarray(transform(back), dtype=np.float64)
    values, expected, output = _shap_values(estimator, kind, Z, back)
    return GroupExplanation(
        values=values, expected_value=expected, output=output, explainer=kind,
        feature_names=tuple(names), groups=codes, group_names=tuple(gnames),
        sensitive_columns=tuple(sensitive), proxies=tuple(p for p in proxy_list
                                                          if p not in sensitive),
    )
