"""Mixed-effects deep learning (ARMED, Fair MEDL) as scikit-learn estimators.

:class:`MEDLClassifier` (binary) and :class:`MEDLRegressor` fit the network of
:mod:`fairpool.learners._medl_network` on rows grouped in clusters (schools, occupations,
hospitals): a fixed-effects MLP kept cluster-invariant by a cluster adversary, Bayesian
random intercepts and slopes per cluster, and their sum on the link scale. With
``fairness=True`` (Fair MEDL, Wang, Nguyen & Montillo, arXiv 2310.03146) adversaries
that predict each sensitive variable from ``(prediction, label)`` of the FE and the ME
head are defeated too (equalized odds).

Training alternates, per mini-batch (ARMED, section 3; Fair MEDL, section 3):

1. the adversary step: every adversary minimises its cross-entropy on the current
   (detached) FE activations and predictions;
2. the main step: the FE and RE parameters minimise ::

       w_ME * L(y, eta_ME) + w_FE * L(y, eta_FE) + kl_weight * KL(q || p) / n
         + cluster_adversary_weight * A_cluster
         - fairness_weight * sum_s (CE_s,FE + CE_s,ME)

   with ``L`` the logistic loss (classifier) or the squared error of the standardised
   target (regressor), and ``A_cluster`` either ARMED's ``-CE_cluster`` or the
   cross-entropy of the adversary's output to the uniform distribution
   (``cluster_adversary_loss``, default the latter: see its entry). The subtracted
   cross-entropies go through
   :class:`~fairpool.learners.GradientReversal` (the identity forward, the gradient
   times ``-weight`` backward), the same layer the adversarial debiasing of
   :mod:`fairpool.mitigation` uses; only the main parameters step here.

The KL term is divided by the number of training rows, so ``kl_weight=1`` (the
default) is the evidence lower bound per row. ARMED's prior ``N(0, 0.1^2)`` is the
default prior; ARMED's KL weight 1e-3 is not: with it the random slopes (one per
feature and cluster) were barely shrunk and overfitted, and the mixed-effects
prediction was worse than the FE net's alone on HSB82 (docs/medl.md, "Readings").
Its Adam step size 1e-3 is not the default either: see ``learning_rate``. Prediction uses the
posterior means; a row whose cluster was not seen in ``fit`` (or any row when
``clusters`` is omitted) gets the FE prediction, as in ARMED.

Hand-written (torch) because no library implements ARMED or Fair MEDL; scikit-learn does
the input validation, torch the autograd and Adam.

Why one module (over 600 lines): the two estimators share one training loop, one set of
parameter checks and one input encoding (clusters, sensitive variables), and differ only
in the link and the loss; splitting them would spread one algorithm over three files.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import validate_data
from torch.nn import functional as F

from fairpool.errors import (
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    NonBinaryLabelError,
)
from fairpool.learners._device import select_device
from fairpool.learners._gradient_reversal import GradientReversal
from fairpool.learners._medl_network import MixedEffectsNetwork, equalized_odds_input
from fairpool.learners._torch_classifier import (
    _usable_device,
    load_numpy_state_dict,
    numpy_state_dict,
)
from fairpool.learners._validation import (
    check_fit_input,
    check_predict_input,
    single_class_message,
)
from fairpool.metrics import as_checked_array, encode_sensitive_features

__all__ = ["MEDLClassifier", "MEDLOutputs", "MEDLRegressor"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_ACTIVATIONS = ("relu", "tanh", "gelu")
_PREDICT_CHUNK = 1 << 16
_CLUSTER_LOSSES = ("confusion", "reversal")


@dataclass(frozen=True)
class MEDLOutputs:
    """The heads of a fitted mixed-effects model on the link scale (logit or target units).

    Attributes
    ----------
    fixed : ndarray of shape (n,)
        The FE prediction ``f_FE(x)``.
    random : ndarray of shape (n,)
        The RE contribution ``x . beta_z + b_z`` (posterior means); 0 for a row whose
        cluster was not seen in ``fit``.
    mixed : ndarray of shape (n,)
        ``fixed + random``: the ME prediction, equal to ``fixed`` for unseen clusters.
    random_head : ndarray of shape (n,)
        The RE head's own prediction, ``mean(f_FE) + random``: the random effects around
        the average FE output of the training rows (fairpool's reading of the paper's
        "RE prediction", which reports fairness of FE, RE and ME predictions).
    seen : ndarray of bool, shape (n,)
        Rows whose cluster was seen in ``fit``.
    """

    fixed: np.ndarray
    random: np.ndarray
    mixed: np.ndarray
    random_head: np.ndarray
    seen: np.ndarray


def _sensitive_columns(sensitive_features: Any) -> list[tuple[str, Any]]:
    """One (name, column) per sensitive variable: a DataFrame or 2-D array's columns."""
    if isinstance(sensitive_features, pd.DataFrame):
        return [(str(c), sensitive_features[c]) for c in sensitive_features.columns]
    if hasattr(sensitive_features, "to_pandas") and hasattr(sensitive_features, "columns"):
        frame = sensitive_features.to_pandas()  # a polars DataFrame
        return [(str(c), frame[c]) for c in frame.columns]
    if isinstance(sensitive_features, dict):
        return [(str(k), v) for k, v in sensitive_features.items()]
    array = sensitive_features
    if not hasattr(array, "shape"):
        array = np.asarray(array, dtype=object)
    if getattr(array, "ndim", 1) == 2:
        return [(f"sensitive_features[{j}]", array[:, j]) for j in range(array.shape[1])]
    return [("sensitive_features", sensitive_features)]


def _check_positive_int(name: str, value: Any, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InvalidInputError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _check_weight(name: str, value: Any, *, positive: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInputError(f"{name} must be a number, got {value!r}")
    bad = value <= 0 if positive else value < 0
    if not math.isfinite(value) or bad:
        relation = "> 0" if positive else ">= 0"
        raise InvalidInputError(f"{name} must be a finite number {relation}, got {value!r}")


class _MEDLBase(BaseEstimator):
    """What the classifier and the regressor share: parameters, encoding, training loop."""

    _task: Literal["classification", "regression"]

    def __init__(
        self,
        *,
        hidden_layer_sizes: Sequence[int] = (64, 32),
        activation: Literal["relu", "tanh", "gelu"] = "relu",
        mixed_effects: bool = True,
        random_slopes: bool = True,
        fairness: bool = False,
        prior_scale: float = 0.1,
        kl_weight: float = 1.0,
        fixed_loss_weight: float = 1.0,
        mixed_loss_weight: float = 1.0,
        cluster_adversary_weight: float = 0.3,
        cluster_adversary_loss: Literal["confusion", "reversal"] = "confusion",
        fairness_weight: float = 0.3,
        adversary_layer_sizes: Sequence[int] = (32,),
        learning_rate: float = 1e-2,
        adversary_learning_rate: float = 3e-2,
        adversary_steps: int = 1,
        epochs: int = 30,
        min_steps: int = 300,
        batch_size: int = 256,
        device: str = "auto",
        dtype: Literal["float32", "float64"] = "float32",
        random_state: int | None = 0,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.mixed_effects = mixed_effects
        self.random_slopes = random_slopes
        self.fairness = fairness
        self.prior_scale = prior_scale
        self.kl_weight = kl_weight
        self.fixed_loss_weight = fixed_loss_weight
        self.mixed_loss_weight = mixed_loss_weight
        self.cluster_adversary_weight = cluster_adversary_weight
        self.cluster_adversary_loss = cluster_adversary_loss
        self.fairness_weight = fairness_weight
        self.adversary_layer_sizes = adversary_layer_sizes
        self.learning_rate = learning_rate
        self.adversary_learning_rate = adversary_learning_rate
        self.adversary_steps = adversary_steps
        self.epochs = epochs
        self.min_steps = min_steps
        self.batch_size = batch_size
        self.device = device
        self.dtype = dtype
        self.random_state = random_state

    # -- saving without pickle ----------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        # skops (no pickle) holds numpy arrays, not tensors or devices: the network travels
        # as its state_dict in numpy, the device as its name.
        state = dict(super().__getstate__())
        network = state.get("network_")
        if isinstance(network, torch.nn.Module):
            state["network_"] = numpy_state_dict(network)
            state["device_"] = str(state["device_"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        weights = state.get("network_")
        super().__setstate__(state)
        if isinstance(weights, dict):
            network = self._network(len(self.cluster_names_), self.group_counts_)
            load_numpy_state_dict(network, weights)
            device = _usable_device(self.device_)
            self.network_ = network.to(device=device, dtype=_DTYPES[self.dtype]).eval()
            self.device_ = device

    # -- checks -------------------------------------------------------------------------

    def _check_parameters(self) -> None:
        for name in ("epochs", "batch_size", "adversary_steps"):
            _check_positive_int(name, getattr(self, name))
        _check_positive_int("min_steps", self.min_steps, minimum=0)
        for name in ("kl_weight", "fixed_loss_weight", "mixed_loss_weight",
                     "cluster_adversary_weight", "fairness_weight"):
            _check_weight(name, getattr(self, name))
        for name in ("prior_scale", "learning_rate", "adversary_learning_rate"):
            _check_weight(name, getattr(self, name), positive=True)
        if self.activation not in _ACTIVATIONS:
            raise InvalidInputError(
                f"activation must be one of {list(_ACTIVATIONS)}, got {self.activation!r}")
        if self.cluster_adversary_loss not in _CLUSTER_LOSSES:
            raise InvalidInputError(f"cluster_adversary_loss must be one of "
                                    f"{list(_CLUSTER_LOSSES)}, got {self.cluster_adversary_loss!r}")
        if self.dtype not in _DTYPES:
            raise InvalidInputError(f"dtype must be one of {sorted(_DTYPES)}, got {self.dtype!r}")
        for name in ("mixed_effects", "random_slopes", "fairness"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise InvalidInputError(f"{name} must be True or False, got "
                                        f"{getattr(self, name)!r}")
        if self.mixed_effects and self.fixed_loss_weight == 0 and self.mixed_loss_weight == 0:
            raise InvalidInputError("fixed_loss_weight and mixed_loss_weight are both 0: "
                                    "nothing would fit the labels")

    def _encode_clusters_fit(self, clusters: Any, n: int) -> np.ndarray:
        name = type(self).__name__
        if clusters is None:
            raise InvalidInputError(
                f"{name}.fit needs clusters=: one cluster id per row of X (the school, "
                "occupation or hospital each row belongs to); the cluster adversary and "
                "the random effects are defined by them")
        values = self._cluster_values(clusters, n)
        try:
            codes, names = pd.factorize(values, sort=True)
        except TypeError:  # ids of mixed types that cannot be ordered
            codes, names = pd.factorize(values, sort=False)
        names = np.asarray(names)
        if names.dtype == object and all(isinstance(v, str) for v in names):
            names = names.astype(str)
        self.cluster_names_ = names
        counts = np.bincount(codes, minlength=len(names))
        self.cluster_counts_ = counts
        single = names[counts == 1]
        if single.size:
            warnings.warn(
                f"{name}.fit: {single.size} cluster(s) have a single row (e.g. "
                f"{single[:3].tolist()!r}): their random effects rest on that row and the "
                "prior alone; raise kl_weight to shrink them more",
                UserWarning, stacklevel=3)
        if len(names) == 1:
            warnings.warn(
                f"{name}.fit got a single cluster ({names[0]!r}): there is no cluster "
                "to tell apart, so the cluster adversary is off",
                UserWarning, stacklevel=3)
        return codes.astype(np.int64)

    @staticmethod
    def _cluster_values(clusters: Any, n: int) -> np.ndarray:
        values = as_checked_array(clusters, "clusters")
        if values.ndim != 1:
            raise InvalidInputError(
                f"clusters must be one id per row (1-D), got shape {values.shape}")
        if values.shape[0] != n:
            raise LengthMismatchError(
                f"clusters has {values.shape[0]} entries, X has {n} rows: pass one "
                "cluster id per row")
        missing = pd.isna(values)
        if missing.any():
            raise MissingValueError(
                f"clusters has a missing id (NaN or None) at position "
                f"{int(np.flatnonzero(missing)[0])}: give every row a cluster (a new id "
                "for rows of an unknown cluster, which then get the FE prediction)")
        return values

    def _encode_clusters_predict(self, clusters: Any, n: int) -> np.ndarray:
        if clusters is None:
            return np.full(n, -1, dtype=np.int64)
        values = self._cluster_values(clusters, n)
        return pd.Index(self.cluster_names_).get_indexer(values).astype(np.int64)

    def _encode_sensitive(self, sensitive_features: Any, n: int) -> list[np.ndarray]:
        """Group codes per sensitive variable that has two or more groups (may be empty)."""
        name = type(self).__name__
        self.sensitive_names_: list[str] = []
        self.group_names_: list[tuple[str, ...]] = []
        if not self.fairness:
            return []
        if sensitive_features is None:
            raise InvalidInputError(
                f"{name}.fit with fairness=True needs sensitive_features=: one group per "
                "row (a DataFrame's columns are separate sensitive variables, each with "
                "its own adversaries)")
        kept = []
        for label, column in _sensitive_columns(sensitive_features):
            encoded = encode_sensitive_features(column)
            codes = np.asarray(encoded.codes, dtype=np.int64)
            if codes.shape[0] != n:
                raise LengthMismatchError(
                    f"{label} has {codes.shape[0]} rows, X has {n}: pass one group per row")
            if len(encoded.names) < 2:
                warnings.warn(
                    f"{name}.fit: {label} has a single group ({encoded.names[0]!r}); there "
                    "is no disparity to remove, so it gets no fairness adversary",
                    UserWarning, stacklevel=3)
                continue
            self.sensitive_names_.append(label)
            self.group_names_.append(tuple(encoded.names))
            kept.append(codes)
        return kept

    @property
    def group_counts_(self) -> list[int]:
        """Number of groups of each sensitive variable with adversaries."""
        return [len(g) for g in self.group_names_]

    # -- the network and training -------------------------------------------------------

    def _network(self, n_clusters: int, group_counts: Sequence[int],
                 generator: torch.Generator | None = None) -> MixedEffectsNetwork:
        return MixedEffectsNetwork(
            self.n_features_in_, n_clusters, tuple(self.hidden_layer_sizes),
            tuple(self.adversary_layer_sizes), group_counts, bool(self.random_slopes),
            float(self.prior_scale), self.activation,
            torch.Generator() if generator is None else generator)

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self._task == "classification":
            return F.binary_cross_entropy_with_logits(output, target)
        return F.mse_loss(output, target)

    def _train(self, X: np.ndarray, target: np.ndarray, clusters: np.ndarray,
               groups: list[np.ndarray]) -> None:
        _warn_unscaled(X, type(self).__name__)
        device = select_device(self.device)
        dtype = _DTYPES[self.dtype]
        seed = 0 if self.random_state is None else int(self.random_state)
        generator = torch.Generator().manual_seed(seed)
        network = self._network(len(self.cluster_names_), [int(g.max()) + 1 for g in groups],
                                generator).to(device=device, dtype=dtype)
        noise = torch.Generator(device=device).manual_seed(seed + 1)
        Xt = torch.tensor(X, dtype=dtype, device=device)  # a copy: X may be read-only
        yt = torch.as_tensor(target, dtype=dtype, device=device)
        zt = torch.as_tensor(clusters, dtype=torch.long, device=device)
        gts = [torch.as_tensor(np.array(g), dtype=torch.long, device=device) for g in groups]
        mixed = bool(self.mixed_effects)
        use_cluster = network.cluster_adversary is not None and self.cluster_adversary_weight > 0
        use_fair = bool(gts) and self.fairness_weight > 0
        adversaries = []
        if use_cluster:
            adversaries += list(network.cluster_adversary.parameters())
        if use_fair:  # one stacked module: FE adversaries, then ME (unused without RE)
            adversaries += list(network.fairness_adversaries.parameters())
        n_vars = len(gts)
        g_stack = torch.stack(gts) if gts else None  # (n_vars, n)
        main_params = [*network.fixed.parameters()]
        if mixed:
            main_params += list(network.random.parameters())
        main_opt = torch.optim.Adam(main_params, lr=float(self.learning_rate))
        adv_opt = (torch.optim.Adam(adversaries, lr=float(self.adversary_learning_rate))
                   if adversaries else None)
        n = Xt.shape[0]
        size = min(int(self.batch_size), n)
        per_epoch = math.ceil(n / size)
        epochs = max(int(self.epochs), math.ceil(int(self.min_steps) / per_epoch))
        kl_scale = float(self.kl_weight) / n

        def adversary_losses(h, fixed, mixed_out, yb, zb, gb, reverse: bool):
            """Cross-entropy of every adversary; through gradient reversal when ``reverse``."""
            def seen(t: torch.Tensor, weight: float) -> torch.Tensor:
                return GradientReversal.apply(t, weight) if reverse else t.detach()
            total = torch.zeros((), dtype=dtype, device=device)
            if use_cluster:
                if reverse and self.cluster_adversary_loss == "confusion":
                    # cross-entropy to the uniform distribution over the clusters
                    scores = network.cluster_adversary(h)
                    total = total - float(self.cluster_adversary_weight) * F.log_softmax(
                        scores, dim=1).mean()
                else:
                    weight = float(self.cluster_adversary_weight)
                    scores = network.cluster_adversary(seen(h, weight))
                    total = total + F.cross_entropy(scores, zb)
            if use_fair:
                # every variable's FE adversary reads the FE head, its ME adversary the ME
                # head: one batched pass (StackedAdversaries), the sum of their losses
                w = float(self.fairness_weight)
                heads = [equalized_odds_input(seen(fixed, w), yb)]
                if mixed:
                    heads.append(equalized_odds_input(seen(mixed_out, w), yb))
                inputs = torch.cat([x.unsqueeze(0).expand(n_vars, -1, -1) for x in heads])
                targets = gb.repeat(len(heads), 1)
                total = total + network.fairness_adversaries.loss(inputs, targets)
            return total

        def forward(xb, zb):
            fixed, h = network.fixed_forward(xb)
            mixed_out = fixed + network.random(xb, zb, noise) if mixed else fixed
            return fixed, h, mixed_out

        step = 0
        network.train()
        for _ in range(epochs):
            order = torch.randperm(n, generator=generator).to(device)
            for start in range(0, n, size):
                rows = order[start:start + size]
                xb, yb, zb = Xt[rows], yt[rows], zt[rows]
                gb = g_stack[:, rows] if g_stack is not None else None
                if adv_opt is not None:  # 1. adversaries, on detached FE / ME outputs
                    with torch.no_grad():
                        fixed, h, mixed_out = forward(xb, zb)
                    for _ in range(int(self.adversary_steps)):
                        adv_opt.zero_grad()
                        adversary_losses(h, fixed, mixed_out, yb, zb, gb,
                                         reverse=False).backward()
                        adv_opt.step()
                # 2. FE and RE against the adversaries (reversed gradients)
                fixed, h, mixed_out = forward(xb, zb)
                loss = float(self.fixed_loss_weight) * self._loss(fixed, yb) if mixed \
                    else self._loss(fixed, yb)
                if mixed:
                    loss = loss + float(self.mixed_loss_weight) * self._loss(mixed_out, yb)
                    loss = loss + kl_scale * network.random.kl()
                if adv_opt is not None:
                    loss = loss + adversary_losses(h, fixed, mixed_out, yb, zb, gb,
                                                   reverse=True)
                main_opt.zero_grad()
                loss.backward()
                main_opt.step()
                step += 1

        self.network_ = network.eval()
        self.device_ = device
        self.n_iter_ = step
        self.n_epochs_ = epochs
        with torch.no_grad():
            fixed, _ = self._chunks(X, np.full(n, -1, dtype=np.int64))
        self.fixed_offset_ = float(fixed.mean())
        loc = network.random.loc.detach().to("cpu", torch.float64).numpy()
        scale = self._target_scale()
        self.random_intercepts_ = loc[:, 0] * scale if mixed else np.zeros(loc.shape[0])
        self.random_slopes_ = (loc[:, 1:] * scale if mixed and self.random_slopes
                               else np.zeros((loc.shape[0], 0)))

    def _target_scale(self) -> float:
        return 1.0

    def _chunks(self, X: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """FE output and RE contribution (posterior means), in chunks, on the link scale."""
        dtype = _DTYPES[self.dtype]
        fixed_parts, random_parts = [], []
        with torch.no_grad():
            for start in range(0, X.shape[0], _PREDICT_CHUNK):
                xb = torch.tensor(X[start:start + _PREDICT_CHUNK], dtype=dtype,
                                  device=self.device_)
                zb = torch.as_tensor(codes[start:start + _PREDICT_CHUNK], device=self.device_)
                fixed, _ = self.network_.fixed_forward(xb)
                fixed_parts.append(fixed.to("cpu", torch.float64).numpy())
                random = (self.network_.random(xb, zb) if self.mixed_effects
                          else torch.zeros_like(fixed))
                random_parts.append(random.to("cpu", torch.float64).numpy())
        if not fixed_parts:
            return np.empty(0), np.empty(0)
        return np.concatenate(fixed_parts), np.concatenate(random_parts)

    def decompose(self, X: Any, clusters: Any = None) -> MEDLOutputs:
        """The FE, RE and ME heads of each row on the link scale (logit, or target units).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        clusters : array-like of shape (n_samples,), optional
            Cluster ids; an id not seen in ``fit``, or ``clusters=None`` for all rows,
            gives the FE prediction (random part 0).

        Returns
        -------
        MEDLOutputs

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        LengthMismatchError
            ``clusters`` of another length than ``X``.
        MissingValueError
            NaN in ``X`` or in ``clusters``.
        """
        X = check_predict_input(self, X, attribute="network_")
        codes = self._encode_clusters_predict(clusters, X.shape[0])
        fixed, random = self._chunks(X, codes)
        offset, scale = self._target_offset(), self._target_scale()
        fixed = fixed * scale + offset
        random = random * scale
        return MEDLOutputs(fixed=fixed, random=random, mixed=fixed + random,
                           random_head=self.fixed_offset_ * scale + offset + random,
                           seen=codes >= 0)

    def _target_offset(self) -> float:
        return 0.0

    def fixed_effects_representation(self, X: Any) -> np.ndarray:
        """The FE net's hidden activations, concatenated: what the cluster adversary reads.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, sum(hidden_layer_sizes))
        """
        X = check_predict_input(self, X, attribute="network_")
        with torch.no_grad():
            _, h = self.network_.fixed_forward(
                torch.as_tensor(X, dtype=_DTYPES[self.dtype], device=self.device_))
        return h.to("cpu", torch.float64).numpy()


_PARAMETERS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(64, 32)
        Hidden widths of the FE MLP.
    activation : {"relu", "tanh", "gelu"}, default="relu"
    mixed_effects : bool, default=True
        False: the FE net alone (with its cluster adversary unless
        ``cluster_adversary_weight=0``); no random effects.
    random_slopes : bool, default=True
        A random slope per feature besides the random intercept.
    fairness : bool, default=False
        True: Fair MEDL's equalized-odds adversaries on the FE and ME heads, one pair per
        sensitive variable (``fit`` then needs ``sensitive_features``); False: plain
        MEDL (ARMED).
    prior_scale : float, default=0.1
        Standard deviation of the Normal prior of every random coefficient (ARMED's),
        on the link scale (for the regressor: in units of the target's standard
        deviation, as the target is standardised).
    kl_weight : float, default=1.0
        Weight of ``KL(posterior || prior) / n_rows``: 1 is the per-row ELBO; ARMED's
        1e-3 shrinks the random effects much less.
    fixed_loss_weight, mixed_loss_weight : float, default=1.0
        Weights of the FE head's and the ME head's data loss (ARMED trains both, so the
        FE head alone predicts unseen clusters).
    cluster_adversary_weight : float, default=0.3
        Weight of the cluster adversary's term in the FE objective; 0 turns the adversary
        off. With both this and ``fairness_weight`` at 1, Fair MEDL's accuracy on Adult
        (occupation clusters) fell to 0.68, below the majority rate; 0.3 and 0.3 did
        better in accuracy or MSE on 4 of 5 seeds of Adult, HSB82 and STAR each
        (docs/medl.md, ``benchmarks/medl_defaults.py``).
    cluster_adversary_loss : {"confusion", "reversal"}, default="confusion"
        How the FE net fights the cluster adversary. ``"reversal"`` is ARMED's: subtract
        the adversary's cross-entropy (through gradient reversal), which the FE can meet
        by making the adversary confidently *wrong* while the cluster stays readable.
        ``"confusion"`` pushes the adversary's output to the uniform distribution (the
        confusion loss of Alvi, Zisserman & Nellaker 2018, "Turning a blind eye",
        section 3.2). Measured on 4 clusters that shift two of four features (majority
        rate 0.26): a fresh logistic regression read the cluster from the FE
        activations with accuracy 0.72 after "reversal", as after no adversary, and
        0.39 after "confusion", at the same label accuracy.
    fairness_weight : float, default=0.3
        Weight of each fairness adversary's loss subtracted (with ``fairness=True``).
    adversary_layer_sizes : sequence of int, default=(32,)
        Hidden widths of every adversary.
    learning_rate : float, default=1e-2
    adversary_learning_rate : float, default=3e-2
        Adam step sizes of the main and of the adversary step (the adversaries move
        faster, so that they track the FE net). ARMED uses 1e-3 for both; Adam
        moves a random intercept by about one step size per step, so at 1e-3 and 30
        epochs of 3 000 rows the intercepts reached 19 % of their true spread on
        synthetic data (90 % at 1e-2, correlation 0.97 either way).
    adversary_steps : int, default=1
        Adversary updates per main update (ARMED and Fair MEDL alternate one each).
    epochs : int, default=30
        Passes over the training rows (at least; see ``min_steps``).
    min_steps : int, default=300
        The fewest mini-batch steps a fit takes (small training sets, as in an
        active-learning round, get more epochs); 0 keeps exactly ``epochs``.
    batch_size : int, default=256
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        ``"auto"`` is CUDA when available (:func:`~fairpool.learners.select_device`).
    dtype : {"float32", "float64"}, default="float32"
    random_state : int, optional
        Seeds the initial weights, the batch order and the posterior draws (None: 0).

    Attributes
    ----------
    network_ : torch.nn.Module
    device_ : torch.device
    cluster_names_ : ndarray of shape (n_clusters,)
        The cluster ids seen in ``fit`` (sorted when they can be).
    cluster_counts_ : ndarray of int, shape (n_clusters,)
    random_intercepts_ : ndarray of shape (n_clusters,)
        Posterior means of the random intercepts (link scale; target units for the
        regressor); zeros with ``mixed_effects=False``.
    random_slopes_ : ndarray of shape (n_clusters, n_features) or (n_clusters, 0)
        Posterior means of the random slopes (none without ``random_slopes``).
    fixed_offset_ : float
        Mean FE output over the training rows (the RE head's baseline).
    sensitive_names_ : list of str
        The sensitive variables that got fairness adversaries.
    group_names_ : list of tuple of str
        Their groups.
    n_iter_ : int
        Mini-batch steps (each one adversary step and one main step).
    n_epochs_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.
"""


#: Column spreads and centres above this (in the columns' own units) mean the features
#: were not standardised.
_UNSCALED = 5.0


def _warn_unscaled(X: np.ndarray, who: str) -> None:
    """Warn when a column of ``X`` has a standard deviation or a mean beyond ``_UNSCALED``.

    MEDL's random slopes share one prior scale across features and its networks take
    one learning rate: on raw columns (ages in years, scores in hundreds) the slopes of
    wide columns blow up (on STAR's raw features the ME prediction's MSE was 27 000
    against 2 000 standardised, in development). The estimator does not rescale the
    features itself, so that ``random_slopes_`` stay per unit of the columns given.
    """
    sd, mean = X.std(axis=0), X.mean(axis=0)
    wide = np.flatnonzero((sd > _UNSCALED) | (np.abs(mean) > _UNSCALED * np.maximum(sd, 1.0)))
    if wide.size:
        warnings.warn(
            f"{who}.fit: {wide.size} feature column(s) are not standardised (e.g. column "
            f"{int(wide[0])}: mean {mean[wide[0]]:.3g}, sd {sd[wide[0]]:.3g}); the random "
            "slopes share one prior scale, so standardise X first (sklearn's StandardScaler, "
            "fitted on the training rows)", UserWarning, stacklevel=3)


class MEDLClassifier(ClassifierMixin, _MEDLBase):
    __doc__ = (
        """Mixed-effects deep learning binary classifier (ARMED; Fair MEDL with ``fairness=True``).

    ``P(y = classes_[1] | x, z) = sigmoid(f_FE(x) + x . beta_z + b_z)`` for a row of a
    cluster ``z`` seen in ``fit``, ``sigmoid(f_FE(x))`` otherwise (an unseen cluster, or
    ``clusters`` omitted at prediction). See :mod:`fairpool.learners._medl` for the
    training objective and :func:`~fairpool.learners.tune_medl` for a seeded search of
    the weights.
"""
        + _PARAMETERS_DOC
        + """    classes_ : ndarray of shape (2,)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); z = rng.integers(0, 4, 200)
    >>> y = (X[:, 0] + z - 1.5 > 0).astype(int)
    >>> model = MEDLClassifier(epochs=5, min_steps=0, device="cpu").fit(X, y, clusters=z)
    >>> model.predict_proba(X[:2], clusters=z[:2]).shape
    (2, 2)
    """
    )

    _task = "classification"

    def __sklearn_tags__(self) -> Any:
        """Binary classification only."""
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X: Any, y: Any, *, clusters: Any = None,
            sensitive_features: Any = None) -> MEDLClassifier:
        """Fit the FE net, the random effects and the adversaries.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric features (standardise them: the random slopes share one prior).
        y : array-like of shape (n_samples,)
            Two classes.
        clusters : array-like of shape (n_samples,)
            The cluster id of each row (required; any hashable ids, no missing ones).
        sensitive_features : array-like of shape (n_samples,), Series, DataFrame or 2-D array
            Needed with ``fairness=True``: each column is one sensitive variable with its
            own FE and ME adversaries (unlike fairpool's metrics, where several columns
            form intersectional groups: Fair MEDL debiases age, race, sex and marital
            status side by side). Ignored with ``fairness=False``.

        Returns
        -------
        self

        Raises
        ------
        InvalidInputError
            ``clusters`` missing (or 2-D), ``sensitive_features`` missing with
            ``fairness=True``, a single class, bad parameters or bad ``X``.
        NonBinaryLabelError
            More than two classes.
        LengthMismatchError
            ``y``, ``clusters`` or ``sensitive_features`` of another length than ``X``.
        MissingValueError
            NaN in ``X``, ``y``, ``clusters`` or ``sensitive_features``.
        TypeError
            Sparse ``X``.

        Warns
        -----
        UserWarning
            A cluster with a single row; a single cluster (no cluster adversary); a
            sensitive variable with a single group (no fairness adversary for it).
        """
        self._check_parameters()
        X, y = check_fit_input(self, X, y)
        classes, target = np.unique(y, return_inverse=True)
        if classes.shape[0] < 2:
            raise InvalidInputError(single_class_message(classes[0]))
        if classes.shape[0] > 2:
            raise NonBinaryLabelError(
                f"Only binary classification is supported by {type(self).__name__}; y has "
                f"{classes.shape[0]} classes {classes.tolist()!r}: map them to two classes")
        codes = self._encode_clusters_fit(clusters, X.shape[0])
        groups = self._encode_sensitive(sensitive_features, X.shape[0])
        self.classes_ = classes
        self._train(X, target.astype(np.float64), codes, groups)
        return self

    def decision_function(self, X: Any, clusters: Any = None) -> np.ndarray:
        """The ME logit of ``classes_[1]`` (the FE logit for unseen or absent clusters).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        clusters : array-like of shape (n_samples,), optional

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self.decompose(X, clusters).mixed

    def predict_proba(self, X: Any, clusters: Any = None) -> np.ndarray:
        """Probabilities of ``classes_[0]`` and ``classes_[1]``: the ME head for rows of
        clusters seen in ``fit``, the FE head for the others (or for all rows when
        ``clusters`` is None).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        clusters : array-like of shape (n_samples,), optional

        Returns
        -------
        ndarray of shape (n_samples, 2)
        """
        positive = 1.0 / (1.0 + np.exp(-self.decision_function(X, clusters)))
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: Any, clusters: Any = None) -> np.ndarray:
        """The more probable class of each row (see :meth:`predict_proba`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        clusters : array-like of shape (n_samples,), optional

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X, clusters)
        return self.classes_[(scores > 0).astype(np.int64)]


class MEDLRegressor(RegressorMixin, _MEDLBase):
    __doc__ = (
        """Mixed-effects deep learning regressor (ARMED; Fair MEDL with ``fairness=True``).

    ``E[y | x, z] = f_FE(x) + x . beta_z + b_z`` for a row of a cluster ``z`` seen in
    ``fit``, ``f_FE(x)`` otherwise (an unseen cluster, or ``clusters`` omitted at
    prediction). The target is standardised for training (squared error) and the
    outputs and ``random_*_`` attributes are reported in its units.
"""
        + _PARAMETERS_DOC
        + """    target_mean_, target_scale_ : float
        The standardisation of ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)); z = rng.integers(0, 5, 200)
    >>> y = X[:, 0] + z + rng.normal(size=200)
    >>> model = MEDLRegressor(epochs=5, min_steps=0, device="cpu").fit(X, y, clusters=z)
    >>> model.predict(X[:3], clusters=[0, 1, 99]).shape
    (3,)
    """
    )

    _task = "regression"

    def fit(self, X: Any, y: Any, *, clusters: Any = None,
            sensitive_features: Any = None) -> MEDLRegressor:
        """Fit the FE net, the random effects and the adversaries.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Numeric target.
        clusters : array-like of shape (n_samples,)
            The cluster id of each row (required).
        sensitive_features : array-like, Series, DataFrame or 2-D array
            As for :meth:`MEDLClassifier.fit`; the fairness adversaries read the
            standardised ``(prediction, y)``.

        Returns
        -------
        self

        Raises
        ------
        InvalidInputError
            ``clusters`` missing, ``sensitive_features`` missing with
            ``fairness=True``, a non-numeric ``y``, bad parameters or bad ``X``.
        LengthMismatchError
            ``y``, ``clusters`` or ``sensitive_features`` of another length than ``X``.
        MissingValueError
            NaN or infinity in ``X`` or ``y``; NaN in ``clusters`` or
            ``sensitive_features``.
        TypeError
            Sparse ``X``.

        Warns
        -----
        UserWarning
            As for :meth:`MEDLClassifier.fit`.
        """
        self._check_parameters()
        n = None if not hasattr(X, "shape") or len(X.shape) == 0 else X.shape[0]
        if y is not None and n is not None and np.shape(y)[:1] != (n,):
            raise LengthMismatchError(f"y must have shape ({n},) to match X, got "
                                      f"{np.shape(y)}")
        target = None  # y None or not numbers: validate_data names the problem
        if y is not None:
            try:
                target = np.asarray(y, dtype=np.float64)
            except (TypeError, ValueError):
                target = None
        if target is not None and not np.isfinite(target).all():
            raise MissingValueError("y contains NaN or infinite values")
        try:
            X, y = validate_data(self, X, y, y_numeric=True, ensure_all_finite=False)
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from exc
        if not np.isfinite(X).all():
            raise MissingValueError("X contains NaN or infinite values")
        y = np.asarray(y, dtype=np.float64)
        if not np.isfinite(y).all():
            raise MissingValueError("y contains NaN or infinite values")
        codes = self._encode_clusters_fit(clusters, X.shape[0])
        groups = self._encode_sensitive(sensitive_features, X.shape[0])
        self.target_mean_ = float(y.mean())
        spread = float(y.std())
        self.target_scale_ = spread if spread > 0 else 1.0
        self._train(X, (y - self.target_mean_) / self.target_scale_, codes, groups)
        return self

    def _target_scale(self) -> float:
        return self.target_scale_

    def _target_offset(self) -> float:
        return self.target_mean_

    def predict(self, X: Any, clusters: Any = None) -> np.ndarray:
        """The ME prediction (the FE prediction for unseen or absent clusters).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        clusters : array-like of shape (n_samples,), optional

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self.decompose(X, clusters).mixed
