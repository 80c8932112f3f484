"""The learners the active-learning loop can build by name.

Each factory returns a fresh, unfitted estimator with the scikit-learn API
(``fit``, ``predict_proba``, ``get_params``). The loop seeds a learner it builds by
name through its ``random_state`` parameter, so every factory exposes one.

==========  ==============================================================
name        estimator
==========  ==============================================================
logreg      ``sklearn.linear_model.LogisticRegression`` (lbfgs, L2)
xgboost     ``xgboost.XGBClassifier`` (``tree_method="hist"``)
linear      :class:`~fairpool.learners.torch_classifier.TorchLinearClassifier`
mlp         :class:`~fairpool.learners.torch_classifier.TorchMLPClassifier`
==========  ==============================================================
"""

from __future__ import annotations

from typing import Any

from sklearn.linear_model import LogisticRegression

from fairpool.active.registry import register_learner
from fairpool.learners.torch_classifier import TorchLinearClassifier, TorchMLPClassifier

__all__ = ["logistic_regression", "xgboost_classifier", "torch_linear", "torch_mlp"]


@register_learner("logreg")
def logistic_regression(
    *, C: float = 1.0, max_iter: int = 1000, random_state: int | None = 0, **options: Any
) -> LogisticRegression:
    """L2-regularised logistic regression (lbfgs) from scikit-learn.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength.
    max_iter : int, default=1000
    random_state : int, optional
        Unused by lbfgs; accepted so the loop seeds every learner the same way.
    **options
        Any other ``LogisticRegression`` parameter.
    """
    return LogisticRegression(
        C=C, solver="lbfgs", max_iter=max_iter, random_state=random_state, **options
    )


@register_learner("xgboost")
def xgboost_classifier(
    *,
    n_estimators: int = 100,
    max_depth: int = 4,
    learning_rate: float = 0.1,
    n_jobs: int = 1,
    random_state: int | None = 0,
    **options: Any,
) -> Any:
    """Gradient-boosted trees from xgboost (histogram method).

    ``n_jobs`` defaults to 1: the loop refits every round on a small labelled set,
    where threads cost more than they save, and runs of many seeds are parallelised
    one level up (the bench runner).

    Parameters
    ----------
    n_estimators, max_depth, learning_rate : see ``xgboost.XGBClassifier``
    n_jobs : int, default=1
    random_state : int, optional
        Seed of xgboost's sampling.
    **options
        Any other ``XGBClassifier`` parameter.
    """
    from xgboost import XGBClassifier  # imported here: xgboost is slow to import

    return XGBClassifier(
        tree_method="hist",
        n_estimators=n_estimators,
        max_depth=max_depth,
        learning_rate=learning_rate,
        n_jobs=n_jobs,
        random_state=random_state,
        **options,
    )


@register_learner("linear")
def torch_linear(**options: Any) -> TorchLinearClassifier:
    """L2-regularised logistic regression in torch (GPU when available); see its class."""
    return TorchLinearClassifier(**options)


@register_learner("mlp")
def torch_mlp(**options: Any) -> TorchMLPClassifier:
    """Multi-layer perceptron in torch (GPU when available); see its class."""
    return TorchMLPClassifier(**options)
