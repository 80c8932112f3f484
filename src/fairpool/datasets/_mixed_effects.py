"""A synthetic clustered dataset whose random intercepts and slopes are known.

Real clustered data (:func:`~fairpool.datasets.load` ``"hsb82"``, ``"star"``) has no
known truth, so a mixed-effects learner's estimated random effects can only be compared
with another estimator's. This generator draws them, so a test can compare the estimates
with the truth. The model is the linear mixed model of Laird & Ware (Biometrics 1982),
``y_ij = x_ij' beta + b0_j + z_ij' b1_j + e_ij``, with a logistic link for the
classification variant; it is a few lines of numpy, written here because no library
draws one with a chosen design and returns the effects it drew.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fairpool.datasets._dataset import Dataset
from fairpool.datasets._options import check_choice, check_count
from fairpool.errors import InvalidInputError

__all__ = ["MixedEffectsTruth", "make_mixed_effects"]


@dataclass(frozen=True, eq=False)
class MixedEffectsTruth:
    """The effects :func:`make_mixed_effects` drew.

    Attributes
    ----------
    fixed_effects : ndarray of shape (n_features,)
        ``beta``, the coefficients shared by every cluster.
    intercepts : ndarray of shape (n_clusters,)
        ``b0_j``, each cluster's random intercept (mean zero in distribution).
    slopes : ndarray of shape (n_clusters, n_random_slopes)
        ``b1_j``, each cluster's random slopes on the features ``slope_features``.
    slope_features : tuple of int
        Columns of ``X`` that have random slopes (the first ``n_random_slopes``).
    group_effect : float
        Shift of the linear predictor for group 1 (the sensitive attribute's effect).
    linear_predictor : ndarray of shape (n_samples,)
        ``eta`` before the noise (regression) or the logistic draw (classification).
    """

    fixed_effects: np.ndarray
    intercepts: np.ndarray
    slopes: np.ndarray
    slope_features: tuple[int, ...]
    group_effect: float
    linear_predictor: np.ndarray


def _scale(option: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value) \
            or value < 0:
        raise InvalidInputError(f"{option} must be a finite number >= 0, got {value!r}")
    return float(value)


def make_mixed_effects(
    n_clusters: int = 20,
    n_per_cluster: int = 50,
    *,
    n_features: int = 5,
    n_random_slopes: int = 1,
    intercept_sd: float = 1.0,
    slope_sd: float = 0.5,
    noise_sd: float = 0.5,
    group_effect: float = 0.0,
    task: str = "regression",
    random_state: int = 0,
) -> tuple[Dataset, MixedEffectsTruth]:
    """Draw a clustered dataset with known random intercepts and slopes.

    For row ``i`` of cluster ``j``: features ``x_ij ~ N(0, I)``, a binary sensitive
    group ``a_ij ~ Bernoulli(0.5)``, and the linear predictor
    ``eta_ij = x_ij' beta + b0_j + sum_k x_ij[k] b1_j[k] + group_effect * a_ij`` with
    ``beta ~ N(0, I)``, ``b0_j ~ N(0, intercept_sd^2)`` and
    ``b1_j[k] ~ N(0, slope_sd^2)`` for the first ``n_random_slopes`` features (Laird &
    Ware 1982, eq. 1.1). Regression: ``y = eta + e``, ``e ~ N(0, noise_sd^2)``.
    Classification: ``y ~ Bernoulli(sigmoid(eta))`` (``noise_sd`` unused). Every
    cluster has ``n_per_cluster`` rows, in cluster order.

    Parameters
    ----------
    n_clusters : int, default 20
        Number of clusters (>= 1).
    n_per_cluster : int, default 50
        Rows per cluster (>= 1).
    n_features : int, default 5
        Columns of ``X`` (>= 1), named ``x0 .. x{d-1}``; the group is not a feature.
    n_random_slopes : int, default 1
        How many of the first features have a random slope (0 .. ``n_features``).
    intercept_sd, slope_sd, noise_sd : float
        Standard deviations of the random intercepts, the random slopes and the
        residual noise (>= 0).
    group_effect : float, default 0.0
        Added to ``eta`` for group 1 (a group difference a fairness test can find).
    task : {"regression", "classification"}, default "regression"
    random_state : int, default 0
        Seed of every draw (``numpy.random.default_rng``).

    Returns
    -------
    dataset : Dataset
        ``X`` (n_clusters * n_per_cluster, n_features), ``y`` (float or 0/1),
        ``groups`` (0/1, names ``"a=0"``, ``"a=1"``), ``clusters`` (``0 .. n_clusters -
        1``, names ``"c0"`` ...), ``info["task"]``.
    truth : MixedEffectsTruth
        The fixed effects, intercepts and slopes drawn.

    Raises
    ------
    InvalidInputError
        A count outside its range, a negative or non-finite standard deviation, an
        unknown ``task``.

    Examples
    --------
    >>> import fairpool as fp
    >>> ds, truth = fp.datasets.make_mixed_effects(10, 30, random_state=1)
    >>> ds.n_samples, ds.n_clusters, truth.intercepts.shape, truth.slopes.shape
    (300, 10, (10,), (10, 1))
    """
    n_clusters = check_count("n_clusters", n_clusters, minimum=1)
    n_per_cluster = check_count("n_per_cluster", n_per_cluster, minimum=1)
    n_features = check_count("n_features", n_features, minimum=1)
    n_random_slopes = check_count("n_random_slopes", n_random_slopes, minimum=0,
                                  maximum=n_features)
    intercept_sd = _scale("intercept_sd", intercept_sd)
    slope_sd = _scale("slope_sd", slope_sd)
    noise_sd = _scale("noise_sd", noise_sd)
    if isinstance(group_effect, bool) or not isinstance(group_effect, int | float) \
            or not np.isfinite(group_effect):
        raise InvalidInputError(f"group_effect must be a finite number, got {group_effect!r}")
    check_choice("task", task, ["regression", "classification"])
    random_state = check_count("random_state", random_state, minimum=0)

    rng = np.random.default_rng(random_state)
    n = n_clusters * n_per_cluster
    clusters = np.repeat(np.arange(n_clusters, dtype=np.int64), n_per_cluster)
    beta = rng.normal(size=n_features)
    intercepts = rng.normal(scale=intercept_sd, size=n_clusters)
    slopes = rng.normal(scale=slope_sd, size=(n_clusters, n_random_slopes))
    X = rng.normal(size=(n, n_features))
    groups = rng.integers(0, 2, size=n)
    eta = (X @ beta + intercepts[clusters]
           + np.einsum("ik,ik->i", X[:, :n_random_slopes], slopes[clusters])
           + float(group_effect) * groups)
    if task == "regression":
        y: np.ndarray = eta + rng.normal(scale=noise_sd, size=n)
    else:
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(np.int64)
    truth = MixedEffectsTruth(
        fixed_effects=beta, intercepts=intercepts, slopes=slopes,
        slope_features=tuple(range(n_random_slopes)), group_effect=float(group_effect),
        linear_predictor=eta,
    )
    dataset = Dataset(
        X=X.astype(np.float32),
        y=y,
        groups=groups,
        group_names=("a=0", "a=1"),
        feature_names=tuple(f"x{k}" for k in range(n_features)),
        name="mixed_effects",
        clusters=clusters,
        info={
            "source": "synthetic: fairpool.datasets.make_mixed_effects",
            "licence": "generated",
            "task": task,
            "sensitive": ["a"],
            "sensitive_columns": [],
            "cluster_names": [f"c{j}" for j in range(n_clusters)],
            "clusters_column": "cluster",
            "random_state": random_state,
        },
    )
    return dataset, truth
