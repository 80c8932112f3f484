"""Linear and MLP classifiers in torch, with the scikit-learn estimator API.

Both minimise the sample-weighted mean cross-entropy plus an L2 penalty on the
weights (biases are not penalised), full batch:

    loss(theta) = sum_i w_i * CE(f(x_i), y_i) / sum_i w_i + weight_decay / 2 * ||W||^2

Two classes use one logit and the logistic loss (the same model as scikit-learn's
binary ``LogisticRegression``, whose objective ``||w||^2 / 2 + C * sum_i w_i * l_i``
has the same minimiser when ``weight_decay = 1 / (C * sum_i w_i)``); more classes use
softmax. Written here rather than taken from scikit-learn because the models must
run on a GPU when one is present and serve as the base of the torch learners that
add fairness terms to this loss.

Saving without pickle: a fitted model's state (``__getstate__``) holds the network's
weights as numpy arrays and its device as a string, so ``skops.io`` can write it;
loading rebuilds the network from the parameters, ``n_features_in_`` and ``classes_``
and puts the weights back, on the saved device when this machine has it, else on the
CPU.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from torch import nn
from torch.nn import functional as F

from fairpool.errors import InvalidInputError
from fairpool.learners._device import select_device
from fairpool.learners._validation import (
    check_fit_input,
    check_predict_input,
    single_class_message,
)
from fairpool.metrics import as_sample_weight

__all__ = ["TorchLinearClassifier", "TorchMLPClassifier", "load_numpy_state_dict",
           "numpy_state_dict", "seeded_mlp"]


def numpy_state_dict(module: nn.Module) -> dict[str, np.ndarray]:
    """A module's ``state_dict`` as CPU numpy arrays: how fairpool's torch models travel
    in skops files (which hold numpy arrays, never tensors or pickle).

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    dict of str to ndarray
        One copied array per parameter or buffer, under its ``state_dict`` name.
    """
    return {name: tensor.detach().to("cpu").numpy().copy()
            for name, tensor in module.state_dict().items()}


def load_numpy_state_dict(module: nn.Module, weights: dict[str, Any]) -> nn.Module:
    """Load :func:`numpy_state_dict`'s arrays into ``module`` (of the same shape).

    Parameters
    ----------
    module : torch.nn.Module
        Built with the saved model's sizes.
    weights : dict of str to ndarray

    Returns
    -------
    torch.nn.Module
        ``module``, loaded.

    Raises
    ------
    RuntimeError
        torch's own, when a name or shape does not match.
    """
    module.load_state_dict({name: torch.as_tensor(value) for name, value in weights.items()})
    return module


def seeded_mlp(
    n_inputs: int,
    hidden: Sequence[int],
    n_outputs: int,
    generator: torch.Generator,
    *,
    activation: str = "relu",
    name: str = "hidden_layer_sizes",
) -> nn.Module:
    """A multi-layer perceptron whose initial weights come from ``generator`` alone.

    Each layer is drawn from PyTorch's default uniform bound ``1 / sqrt(fan_in)``
    without touching the global torch RNG, so a seeded fit is reproducible whatever
    else ran before it. Shared by fairpool's torch classifiers and the adversary of
    :class:`~fairpool.mitigation.AdversarialDebiasingClassifier`.

    Parameters
    ----------
    n_inputs, n_outputs : int
        Widths of the input and of the output layer.
    hidden : sequence of int
        Widths of the hidden layers (empty: one linear layer).
    generator : torch.Generator
    activation : {"relu", "tanh", "gelu"}, default="relu"
        Between layers; none after the last.
    name : str
        The parameter ``hidden`` came from, for the error message.

    Returns
    -------
    torch.nn.Sequential

    Raises
    ------
    InvalidInputError
        A hidden width below 1.
    """
    sizes = [n_inputs, *(int(h) for h in hidden), n_outputs]
    if any(s < 1 for s in sizes[1:-1]):
        raise InvalidInputError(f"{name} must be positive, got {hidden!r}")
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        # skip_init leaves the global torch RNG untouched; the seeded generator fills in.
        layer = torch.nn.utils.skip_init(nn.Linear, fan_in, fan_out)
        bound = 1.0 / np.sqrt(fan_in)
        with torch.no_grad():
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)
        layers += [layer, _ACTIVATIONS[activation]()]
    return nn.Sequential(*layers[:-1])

_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}
# Rows per forward pass at prediction time: bounds the memory of the hidden layers
# on a 1e6-row pool without a Python loop over examples.
_PREDICT_CHUNK = 1 << 16


def _usable_device(name: str) -> torch.device:
    """The device ``name`` when a tensor can be put there on this machine, else the CPU."""
    try:
        device = torch.device(name)
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError):  # no such device here (CUDA saved, CPU loaded)
        return torch.device("cpu")
    return device


class _TorchClassifier(ClassifierMixin, BaseEstimator, metaclass=ABCMeta):
    """Shared fitting and prediction of the torch classifiers (full-batch training)."""

    def __getstate__(self) -> dict[str, Any]:
        # skops (no pickle) cannot hold tensors or torch devices: the network travels as
        # its state_dict in numpy arrays, the device as its name.
        state = dict(super().__getstate__())
        network = state.get("network_")
        if isinstance(network, nn.Module):
            state["network_"] = numpy_state_dict(network)
            state["device_"] = str(state["device_"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        weights = state.get("network_")
        super().__setstate__(state)
        if isinstance(weights, dict):
            device = _usable_device(self.device_)
            n_outputs = 1 if self.classes_.shape[0] == 2 else int(self.classes_.shape[0])
            network = self._network(self.n_features_in_, n_outputs, torch.Generator())
            load_numpy_state_dict(network, weights)
            self.network_ = network.to(device=device, dtype=self._dtype()).eval()
            self.device_ = device

    @abstractmethod
    def _network(self, n_features: int, n_outputs: int, generator: torch.Generator) -> nn.Module:
        """The untrained network mapping features to one logit (binary) or one per class."""

    def _dtype(self) -> torch.dtype:
        try:
            return _DTYPES[self.dtype]
        except KeyError:
            raise InvalidInputError(
                f"dtype must be one of {sorted(_DTYPES)}, got {self.dtype!r}"
            ) from None

    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, extra_objective: Any = None
    ) -> _TorchClassifier:
        """Fit the network on ``X``, ``y`` (full batch).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels; at least two distinct values.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight of each row in the mean loss.
        extra_objective : callable, optional
            ``f(network, dtype, device) -> (() -> scalar tensor)``: a term added to
            the training objective (the causal-consistency penalty of
            :class:`~fairpool.learners.CausallyConsistent`).

        Returns
        -------
        self

        Raises
        ------
        InvalidInputError
            Bad parameters (``optimizer``, ``dtype``, ``activation``,
            ``hidden_layer_sizes``), a single class in ``y``, a continuous ``y``, or
            ``X`` that is not a non-empty numeric 2-D array (scikit-learn's message).
        LengthMismatchError
            ``y`` or ``sample_weight`` does not have one entry per row of ``X``.
        MissingValueError
            NaN or infinity in ``X``, NaN in ``y``.
        TypeError
            Sparse ``X``.
        """
        X, y = check_fit_input(self, X, y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if self.classes_.shape[0] < 2:
            raise InvalidInputError(single_class_message(self.classes_[0]))
        if sample_weight is None:
            weight = np.ones(X.shape[0])
        else:
            weight = as_sample_weight(sample_weight, X.shape[0])
        if self.optimizer not in ("lbfgs", "adam"):
            raise InvalidInputError(f"optimizer must be 'lbfgs' or 'adam', got {self.optimizer!r}")

        device = select_device(self.device)
        dtype = self._dtype()
        generator = torch.Generator().manual_seed(
            0 if self.random_state is None else int(self.random_state)
        )
        n_outputs = 1 if self.classes_.shape[0] == 2 else int(self.classes_.shape[0])
        network = self._network(X.shape[1], n_outputs, generator).to(device=device, dtype=dtype)

        Xt = torch.as_tensor(X, dtype=dtype, device=device)
        wt = torch.as_tensor(weight / weight.sum(), dtype=dtype, device=device)
        if n_outputs == 1:
            target = torch.as_tensor(codes, dtype=dtype, device=device)

            def data_loss() -> torch.Tensor:
                logit = network(Xt).squeeze(1)
                return (
                    wt * F.binary_cross_entropy_with_logits(logit, target, reduction="none")
                ).sum()
        else:
            target = torch.as_tensor(codes, dtype=torch.long, device=device)

            def data_loss() -> torch.Tensor:
                return (wt * F.cross_entropy(network(Xt), target, reduction="none")).sum()

        weights = [p for name, p in network.named_parameters() if name.endswith("weight")]

        extra = None if extra_objective is None else extra_objective(network, dtype, device)

        def objective() -> torch.Tensor:
            penalty = sum((p * p).sum() for p in weights)
            value = data_loss() + 0.5 * self.weight_decay * penalty
            return value if extra is None else value + extra()

        self.n_iter_ = self._optimise(network, objective)
        with torch.no_grad():
            self.loss_ = float(objective())
        self.network_ = network.eval()
        self.device_ = device
        return self

    def _optimise(self, network: nn.Module, objective: Any) -> int:
        params = list(network.parameters())
        if self.optimizer == "lbfgs":
            opt = torch.optim.LBFGS(
                params,
                lr=1.0,
                max_iter=self.max_iter,
                tolerance_grad=self.tol,
                tolerance_change=self.tol * 1e-3,
                history_size=20,
                line_search_fn="strong_wolfe",
            )
            evaluations = 0

            def closure() -> torch.Tensor:
                nonlocal evaluations
                evaluations += 1
                opt.zero_grad()
                loss = objective()
                loss.backward()
                return loss

            opt.step(closure)
            return evaluations
        opt = torch.optim.Adam(params, lr=self.learning_rate)
        previous = np.inf
        for step in range(1, self.max_iter + 1):
            opt.zero_grad()
            loss = objective()
            loss.backward()
            opt.step()
            value = float(loss.detach())
            if abs(previous - value) < self.tol * max(1.0, abs(value)):
                return step
            previous = value
        return self.max_iter

    def decision_function(self, X: Any) -> np.ndarray:
        """Raw network outputs: one logit per row for two classes, else one per class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) for two classes, else (n_samples, n_classes)

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        InvalidInputError
            ``X`` has another number of features than the training data.
        MissingValueError
            NaN or infinity in ``X``.
        """
        X = check_predict_input(self, X, attribute="network_")
        dtype = self._dtype()
        outputs = []
        with torch.no_grad():
            for start in range(0, X.shape[0], _PREDICT_CHUNK):
                chunk = torch.as_tensor(
                    X[start : start + _PREDICT_CHUNK], dtype=dtype, device=self.device_
                )
                outputs.append(self.network_(chunk).to("cpu", torch.float64).numpy())
        out = np.concatenate(outputs) if outputs else np.empty((0, self.network_out_))
        return out[:, 0] if out.shape[1] == 1 else out

    @property
    def network_out_(self) -> int:
        """Number of network outputs (1 for binary tasks)."""
        return 1 if self.classes_.shape[0] == 2 else int(self.classes_.shape[0])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns ordered as ``classes_``."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            positive = 1.0 / (1.0 + np.exp(-scores))
            return np.column_stack([1.0 - positive, positive])
        scores = scores - scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return scores

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class of each row."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class TorchLinearClassifier(_TorchClassifier):
    """L2-regularised logistic (softmax for more than two classes) regression in torch.

    Parameters
    ----------
    weight_decay : float, default=1e-3
        Strength of the L2 penalty ``weight_decay / 2 * ||W||^2`` added to the mean loss.
    optimizer : {"lbfgs", "adam"}, default="lbfgs"
        Full-batch optimiser. The problem is convex, so L-BFGS converges in few steps.
    max_iter : int, default=500
        Most L-BFGS iterations, or Adam steps.
    learning_rate : float, default=0.05
        Adam step size (ignored by L-BFGS, which uses a strong-Wolfe line search).
    tol : float, default=1e-7
        Gradient tolerance of L-BFGS; relative loss change that stops Adam.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Where to train and predict; ``"auto"`` is CUDA when available, else the CPU.
    dtype : {"float32", "float64"}, default="float32"
    random_state : int, optional
        Seed of the torch generator (the linear model starts at zero, so it is unused
        by training; kept for a uniform interface with the MLP).

    Attributes
    ----------
    classes_ : ndarray
    network_ : torch.nn.Module
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray
    n_iter_ : int
        Adam steps, or L-BFGS function evaluations.
    loss_ : float
        The objective at the end of training.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(random_state=0)
    >>> TorchLinearClassifier(device="cpu").fit(X, y).predict(X[:3]).shape
    (3,)
    """

    def __init__(
        self,
        *,
        weight_decay: float = 1e-3,
        optimizer: Literal["lbfgs", "adam"] = "lbfgs",
        max_iter: int = 500,
        learning_rate: float = 0.05,
        tol: float = 1e-7,
        device: str = "auto",
        dtype: Literal["float32", "float64"] = "float32",
        random_state: int | None = 0,
    ) -> None:
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.tol = tol
        self.device = device
        self.dtype = dtype
        self.random_state = random_state

    def _network(self, n_features: int, n_outputs: int, generator: torch.Generator) -> nn.Module:
        layer = torch.nn.utils.skip_init(nn.Linear, n_features, n_outputs)
        with torch.no_grad():  # start at zero: the convex optimum does not depend on the start
            layer.weight.zero_()
            layer.bias.zero_()
        return layer

    @property
    def coef_(self) -> np.ndarray:
        """Weights, shaped like scikit-learn's ``LogisticRegression.coef_``."""
        return self.network_.weight.detach().to("cpu", torch.float64).numpy().copy()

    @property
    def intercept_(self) -> np.ndarray:
        """Biases, shaped like scikit-learn's ``LogisticRegression.intercept_``."""
        return self.network_.bias.detach().to("cpu", torch.float64).numpy().copy()


class TorchMLPClassifier(_TorchClassifier):
    """Multi-layer perceptron classifier in torch, trained full batch.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(64,)
        Width of each hidden layer.
    activation : {"relu", "tanh", "gelu"}, default="relu"
    weight_decay : float, default=1e-4
        Strength of the L2 penalty on all weight matrices.
    optimizer : {"adam", "lbfgs"}, default="adam"
    max_iter : int, default=300
        Most Adam steps (full-batch epochs), or L-BFGS iterations.
    learning_rate : float, default=0.01
        Adam step size.
    tol : float, default=1e-6
        Relative loss change that stops Adam; gradient tolerance of L-BFGS.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
    dtype : {"float32", "float64"}, default="float32"
    random_state : int, optional
        Seed of the ``torch.Generator`` that draws the initial weights.

    Attributes
    ----------
    classes_ : ndarray
    network_ : torch.nn.Module
    n_iter_ : int
    loss_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.
    """

    def __init__(
        self,
        *,
        hidden_layer_sizes: Sequence[int] = (64,),
        activation: Literal["relu", "tanh", "gelu"] = "relu",
        weight_decay: float = 1e-4,
        optimizer: Literal["adam", "lbfgs"] = "adam",
        max_iter: int = 300,
        learning_rate: float = 0.01,
        tol: float = 1e-6,
        device: str = "auto",
        dtype: Literal["float32", "float64"] = "float32",
        random_state: int | None = 0,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.tol = tol
        self.device = device
        self.dtype = dtype
        self.random_state = random_state

    def _network(self, n_features: int, n_outputs: int, generator: torch.Generator) -> nn.Module:
        if self.activation not in _ACTIVATIONS:
            raise InvalidInputError(
                f"activation must be one of {sorted(_ACTIVATIONS)}, got {self.activation!r}"
            )
        return seeded_mlp(n_features, self.hidden_layer_sizes, n_outputs, generator,
                          activation=self.activation, name="hidden_layer_sizes")
