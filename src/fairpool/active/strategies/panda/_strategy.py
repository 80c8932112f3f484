"""PANDA: a meta-learned Transformer selection policy under a parity constraint.

Sharaf, Daumé III and Ni, "Promoting Fairness in Learned Models by Learning to
Active Learn under Parity Constraints", FAccT 2022. :meth:`PandaStrategy.fit`
meta-trains the policy on labelled historical rows (see
:mod:`fairpool.active.strategies.panda`); :meth:`PandaStrategy.select` then picks a
batch from the real pool with one forward pass of the policy
(:mod:`fairpool.active.strategies.panda._policy`). Design choices are written up in
``docs/panda.md``.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.preprocessing import StandardScaler

from fairpool.active._registry import register_strategy
from fairpool.active._state import QueryState
from fairpool.active._strategy import Strategy, check_query_size, top_k
from fairpool.active.strategies.panda._config import PandaConfig
from fairpool.active.strategies.panda._policy import (
    PandaPolicy,
    attention_context,
    policy_input_width,
)
from fairpool.active.strategies.panda._tasks import policy_view
from fairpool.active.strategies.panda._training import TrainingLog, meta_train
from fairpool.errors import (
    InvalidInputError,
    LengthMismatchError,
    SingleGroupError,
)
from fairpool.learners import select_device
from fairpool.metrics import check_binary_labels

__all__ = ["PandaStrategy"]

_FORMAT = "fairpool.panda/1"


@register_strategy("panda")
class PandaStrategy(Strategy):
    """Meta-learned, parity-constrained batch selection (PANDA).

    Parameters
    ----------
    stochastic : bool, default=True
        At selection time, ``True`` samples the batch from the learned policy:
        Gumbel-top-``k`` with noise drawn from the ``rng`` passed to :meth:`select`
        (what meta-training optimised; reproducible under a seed). ``False`` takes
        the top-``k`` logits (the policy's mode), which on Adult is a different,
        worse batch (docs/panda.md).
    **options
        Any :class:`~fairpool.active.strategies.panda.PandaConfig` field, e.g.
        ``budget=400``, ``constraint="demographic_parity"``, ``rho=0.04``,
        ``width=32``, ``n_layers=1``, ``device="auto"``. Each is a parameter of
        its own for :meth:`get_params` / :meth:`set_params` / ``sklearn.base.clone``;
        they are stored as given and checked (by building the config) at
        :meth:`fit`, :meth:`select` or :func:`~fairpool.active.make_strategy`.

    Attributes
    ----------
    config : PandaConfig
        The checked configuration built from the options (read-only; see
        :meth:`with_config` and :meth:`set_params`).
    policy_ : PandaPolicy or None
        The trained policy (None before :meth:`fit` or :meth:`load`).
    training_log_ : TrainingLog or None
        What meta-training did (None after :meth:`load`).
    training_summary_ : dict
        ``training_log_.as_dict()``; after :meth:`load`, the summary saved in the file.
    last_info : dict
        Temperature and forward-pass time of the last :meth:`select`.

    Examples
    --------
    >>> import fairpool as fp
    >>> panda = fp.active.make_strategy("panda", rho=0.04, budget=400)  # doctest: +SKIP
    >>> panda.fit(meta_train_dataset, np.random.default_rng(0))  # doctest: +SKIP
    >>> hist = fp.active.run(ds, strategy=panda, budget=400, batch_size=400)  # doctest: +SKIP
    """

    name: ClassVar[str] = "panda"
    requires_fit: ClassVar[bool] = True
    needs_groups: ClassVar[bool] = True
    needs_binary_labels: ClassVar[bool] = True
    #: Tiny episodes so the shared contract test trains in about a second.
    contract_test_options: ClassVar[dict[str, Any]] = {
        "budget": 5,
        "initial_size": 12,
        "episode_pool_size": 30,
        "validation_size": 30,
        "width": 8,
        "n_heads": 2,
        "inner_steps": 5,
        "prox_steps": 1,
        "max_episodes": 3,
        "eval_every": 3,
        "n_eval_tasks": 1,
        "pretrain_epochs": 1,
        "device": "cpu",
    }

    def __init__(self, *, stochastic: bool = True, **options: Any) -> None:
        self.stochastic = stochastic
        self._options = options
        self._checked: tuple | None = None
        self.policy_: PandaPolicy | None = None
        self.training_log_: TrainingLog | None = None
        self.training_summary_: dict[str, Any] = {}
        self._n_features = 0
        self._n_groups = 0
        self._group_names: tuple[str, ...] = ()
        self._feature_mean = np.zeros(0)
        self._feature_scale = np.ones(0)

    # -- parameters ----------------------------------------------------------
    @classmethod
    def _get_param_names(cls) -> list[str]:
        """``stochastic`` and every :class:`PandaConfig` field."""
        return sorted({"stochastic", *(f.name for f in dataclasses.fields(PandaConfig))})

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """``stochastic`` and every config field (given value, else the field's default).

        Options that are not config fields are returned too, so a clone keeps them
        and fails the same way when checked.
        """
        params: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(PandaConfig)}
        params.update(self._options)
        params["stochastic"] = self.stochastic
        return dict(sorted(params.items()))

    def set_params(self, **params: Any) -> PandaStrategy:
        """Set ``stochastic`` or config fields (stored as given, checked at the next use).

        Raises
        ------
        InvalidInputError
            If a name is neither ``stochastic`` nor a config field.
        """
        valid = set(self._get_param_names())
        unknown = sorted(set(params) - valid)
        if unknown:
            raise InvalidInputError(
                f"invalid parameters {unknown} for strategy PandaStrategy; valid parameters: "
                f"{sorted(valid)}"
            )
        options = dict(self._options)
        for key, value in params.items():
            if key == "stochastic":
                self.stochastic = value
            else:
                options[key] = value
        self._options = options
        return self

    def _validate_params(self) -> None:
        """Check the options: build :attr:`config` and resolve the device (once per values)."""
        key = (self.stochastic, *self._options.values())
        names = tuple(self._options)
        checked = self._checked
        if (
            checked is not None
            and checked[0][1] == names
            and len(checked[0][0]) == len(key)
            and all(a is b for a, b in zip(checked[0][0], key, strict=True))
        ):
            return
        unknown = sorted(set(self._options) - {f.name for f in dataclasses.fields(PandaConfig)})
        if unknown:
            raise InvalidInputError(f"unknown PANDA options: {unknown}")
        config = PandaConfig(**self._options)
        self._checked = ((key, names), config, select_device(config.device), bool(self.stochastic))

    @property
    def config(self) -> PandaConfig:
        """The checked configuration (:class:`PandaConfig`) of the current options."""
        self._validate_params()
        return self._checked[1]

    @property
    def _device(self) -> Any:
        """The torch device ``config.device`` resolves to."""
        self._validate_params()
        return self._checked[2]

    # -- training ----------------------------------------------------------
    def fit(
        self, dataset: Any, rng: np.random.Generator, *, verbose: bool = False
    ) -> PandaStrategy:
        """Meta-train the policy on a labelled :class:`~fairpool.datasets.Dataset`.

        Parameters
        ----------
        dataset : Dataset
            Labelled historical rows (the PANDA split's meta-train part). Binary labels,
            at least two groups, at least ``initial_size + budget + 10`` rows.
        rng : numpy.random.Generator
            Seeds everything random in meta-training.
        verbose : bool, default=False
            Print progress at each evaluation.

        Returns
        -------
        self
        """
        self._validate_params()
        X = np.asarray(dataset.X, dtype=np.float64)
        y = np.asarray(dataset.y)
        groups = np.asarray(dataset.groups, dtype=np.int64)
        check_binary_labels(y, who="PANDA's training data (dataset.y)")
        if len(dataset.group_names) < 2 or np.unique(groups).size < 2:
            raise SingleGroupError(
                "PANDA needs at least two sensitive groups in dataset.groups, "
                f"got {np.unique(groups).size} (group_names={list(dataset.group_names)})"
            )
        seed = int(rng.integers(2**31 - 1))
        policy, log = meta_train(
            X, y, groups, n_groups=len(dataset.group_names), config=self.config, seed=seed,
            device=self._device, verbose=verbose,
        )
        scaler = StandardScaler().fit(X)
        self.policy_, self.training_log_ = policy, log
        self.training_summary_ = log.as_dict()
        self._n_features, self._n_groups = X.shape[1], len(dataset.group_names)
        self._group_names = tuple(dataset.group_names)
        self._feature_mean, self._feature_scale = scaler.mean_, scaler.scale_
        return self

    def with_config(self, **changes: Any) -> PandaStrategy:
        """A copy that shares the trained policy but selects under changed options.

        Only options that do not change the policy's shape may change (for example
        ``attention_context``, ``device`` or ``budget``); the copy's
        ``training_log_`` and summary are the original's.

        Parameters
        ----------
        **changes
            :class:`~fairpool.active.strategies.panda.PandaConfig` fields.

        Returns
        -------
        PandaStrategy
        """
        fixed = {"width", "n_layers", "n_heads"} & set(changes)
        if fixed:
            raise InvalidInputError(
                f"{sorted(fixed)} define the policy's shape; train a new policy to change them"
            )
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(PandaConfig)})
        if unknown:
            raise InvalidInputError(f"unknown PANDA options: {unknown}")
        config = self.config
        twin = copy.copy(self)
        twin._options = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
        twin._options.update(changes)
        twin._checked = None
        twin._validate_params()
        if self.policy_ is not None and twin._device != self._device:
            # Module.to moves in place: copy first so the original stays where it is.
            twin.policy_ = copy.deepcopy(self.policy_).to(twin._device)
        twin.last_info = {}
        return twin

    def _require_policy(self) -> PandaPolicy:
        if self.policy_ is None:
            raise InvalidInputError("PANDA has no trained policy: call fit(...) or load(...) first")
        return self.policy_

    # -- selection ---------------------------------------------------------
    def scores(
        self, state: QueryState, *, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """The policy's selection logit for every pool row (one forward pass).

        The pool is standardised with the labelled set's statistics (idempotent when
        the loop has already done so), h0 is a logistic regression on the labelled
        set as in meta-training, and the policy reads features, group and h0's
        probability and entropy of every row. A pool larger than
        ``config.context_size`` is read with a random attention context of that many
        rows drawn from ``rng`` (``default_rng(0)`` when None).
        """
        policy = self._require_policy()
        labelled, pool = state.labelled, state.pool
        if pool.X.shape[1] != self._n_features:
            raise LengthMismatchError(
                f"pool has {pool.X.shape[1]} feature columns; the PANDA policy was trained on "
                f"{self._n_features}"
            )
        if state.n_groups != self._n_groups:
            raise InvalidInputError(
                f"state has {state.n_groups} groups; the PANDA policy was trained on "
                f"{self._n_groups} ({list(self._group_names)})"
            )
        if len(labelled) == 0:
            raise InvalidInputError("PANDA needs a non-empty labelled set to fit h0")
        features = policy_view(labelled.X, labelled.y, pool.X, pool.groups,
                               n_groups=self._n_groups, C=self.config.C, device=self._device)
        context = attention_context(
            len(pool), self.config.context_size,
            rng if rng is not None else np.random.default_rng(0), device=self._device,
        )
        with torch.no_grad():
            return policy(features, context).double().cpu().numpy()

    def select(self, state: QueryState, k: int, rng: np.random.Generator) -> np.ndarray:
        """The ``k`` pool rows with the largest policy logits (Gumbel-perturbed if stochastic)."""
        self._validate_params()
        k = check_query_size(k, len(state.pool))
        if state.n_groups < 2:
            raise SingleGroupError("PANDA needs at least two groups in the data")
        start = time.perf_counter()
        logits = self.scores(state, rng=rng)
        seconds = time.perf_counter() - start
        if self._checked[3]:
            logits = logits + rng.gumbel(size=logits.shape[0])
        self.last_info = {
            "temperature": self._require_policy().temperature.item(),
            "seconds_forward": seconds,
        }
        picks = top_k(logits, k, rng)
        self.last_scores = logits[picks]  # the ranked logits (Gumbel-perturbed if stochastic)
        return picks

    # -- the shared representation -------------------------------------------
    def representation(self, X: np.ndarray) -> np.ndarray:
        """The pretrained row encoder's embedding of raw feature rows ``X``.

        Rows are standardised with the meta-train statistics (clipped to [-5, 5] as
        in training), then embedded one by one (no attention), so an example's
        representation does not depend on the rest of the pool. Baselines that
        should "use the same Transformer representation" run on a dataset whose
        ``X`` is this embedding.

        Returns
        -------
        ndarray of shape (n, width), float32
        """
        policy = self._require_policy()
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self._n_features:
            raise LengthMismatchError(
                f"X must have shape (n, {self._n_features}), got {X.shape}"
            )
        Z = np.clip((X - self._feature_mean) / self._feature_scale, -5.0, 5.0)
        with torch.no_grad():
            out = policy.encoder(torch.as_tensor(Z, dtype=torch.float32, device=self._device))
        return out.cpu().numpy().astype(np.float32)

    # -- persistence ---------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the policy's weights and its config to one safetensors file.

        Tensors are stored by safetensors; the config, the stochastic flag, group and
        feature metadata travel as JSON in the file's header. Nothing is pickled.
        """
        from safetensors.torch import save_file

        self._validate_params()
        policy = self._require_policy()
        path = Path(path)
        tensors = {f"policy.{k}": v.detach().cpu().contiguous()
                   for k, v in policy.state_dict().items()}
        tensors["feature_mean"] = torch.as_tensor(self._feature_mean, dtype=torch.float64)
        tensors["feature_scale"] = torch.as_tensor(self._feature_scale, dtype=torch.float64)
        meta = {
            "format": _FORMAT,
            "config": self.config.to_json(),
            "stochastic": json.dumps(self._checked[3]),
            "n_features": json.dumps(self._n_features),
            "group_names": json.dumps(list(self._group_names)),
            "training": json.dumps(self.training_summary_),
        }
        save_file(tensors, str(path), metadata=meta)
        return path

    @classmethod
    def load(cls, path: str | Path, *, device: str | None = None) -> PandaStrategy:
        """Rebuild a trained strategy from :meth:`save`'s file (weights only, no pickle).

        Parameters
        ----------
        path : str or Path
        device : str, optional
            Override the saved config's device (e.g. ``"cpu"`` for a policy trained on CUDA).
        """
        from safetensors import safe_open
        from safetensors.torch import load_file

        path = Path(path)
        if not path.is_file():
            raise InvalidInputError(f"no PANDA policy file at {str(path)!r}")
        try:
            with safe_open(str(path), framework="pt") as handle:
                meta = handle.metadata() or {}
            tensors = load_file(str(path))
        except Exception as exc:  # safetensors raises its own error types on bad headers
            raise InvalidInputError(
                f"{str(path)!r} is not a PANDA safetensors file: {exc}"
            ) from exc
        if meta.get("format") != _FORMAT:
            raise InvalidInputError(
                f"{str(path)!r} is not a PANDA policy file (format {meta.get('format')!r})"
            )
        config = json.loads(meta["config"])
        if device is not None:
            config["device"] = device
        strategy = cls(stochastic=json.loads(meta["stochastic"]), **config)
        n_features = int(json.loads(meta["n_features"]))
        group_names = tuple(json.loads(meta["group_names"]))
        cfg = strategy.config
        policy = PandaPolicy(
            policy_input_width(n_features, len(group_names)), n_features=n_features,
            width=cfg.width, n_layers=cfg.n_layers, n_heads=cfg.n_heads,
            temperature=cfg.temperature,
        )
        state = {k.removeprefix("policy."): v for k, v in tensors.items()
                 if k.startswith("policy.")}
        policy.load_state_dict(state)
        strategy.policy_ = policy.to(strategy._device).eval()
        strategy._n_features, strategy._n_groups = n_features, len(group_names)
        strategy._group_names = group_names
        strategy.training_summary_ = json.loads(meta.get("training", "{}"))
        strategy._feature_mean = tensors["feature_mean"].numpy()
        strategy._feature_scale = tensors["feature_scale"].numpy()
        return strategy

    # -- resuming in another process ---------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """What :meth:`fit` trained, as numpy arrays and plain values (``{}`` untrained).

        ``policy``: the policy module's ``state_dict`` as numpy arrays;
        ``n_features``, ``group_names``, ``feature_mean``, ``feature_scale``: the shape
        and statistics of the training data; ``training_summary``. Selection itself
        carries nothing from one round to the next (the batch comes from the policy, the
        state and the ``rng``). The configuration is the strategy's parameters, which the
        resuming instance is built with.
        """
        if self.policy_ is None:
            return {}
        return {
            "policy": {
                name: tensor.detach().cpu().numpy().copy()
                for name, tensor in self.policy_.state_dict().items()
            },
            "n_features": int(self._n_features),
            "group_names": list(self._group_names),
            "feature_mean": np.array(self._feature_mean, dtype=np.float64),
            "feature_scale": np.array(self._feature_scale, dtype=np.float64),
            "training_summary": json.loads(json.dumps(self.training_summary_, default=float)),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a trained policy from :meth:`state_dict` (``{}``: stay untrained).

        The policy is rebuilt with this strategy's configuration (it must be built with
        the parameters of the one that was trained) and moved to its device; building
        it does not move torch's global random generator.

        Raises
        ------
        InvalidInputError
            A key is missing, or the weights do not fit the configured policy.
        """
        if isinstance(state, Mapping) and not state:
            return
        state = self._check_state_keys(state, (
            "policy", "n_features", "group_names", "feature_mean", "feature_scale",
            "training_summary",
        ))
        self._validate_params()
        weights = {name: torch.from_numpy(np.array(w)) for name, w in state["policy"].items()}
        n_features = int(state["n_features"])
        group_names = tuple(str(g) for g in state["group_names"])
        try:
            policy = self._build_policy(n_features, len(group_names), weights)
        except RuntimeError as exc:
            raise InvalidInputError(
                f"{self._state_owner()}: the saved policy does not fit this configuration "
                f"(width, n_layers, n_heads must be those it was trained with): {exc}"
            ) from None
        self.policy_, self.training_log_ = policy, None
        self._n_features, self._n_groups = n_features, len(group_names)
        self._group_names = group_names
        self._feature_mean = np.array(state["feature_mean"], dtype=np.float64)
        self._feature_scale = np.array(state["feature_scale"], dtype=np.float64)
        self.training_summary_ = dict(state["training_summary"])

    def _build_policy(
        self, n_features: int, n_groups: int, weights: Mapping[str, torch.Tensor]
    ) -> PandaPolicy:
        """A policy of this configuration holding ``weights``, on the device, in eval mode."""
        cfg = self.config
        with torch.random.fork_rng(devices=[]):  # initial weights are replaced: no RNG moves
            policy = PandaPolicy(
                policy_input_width(n_features, n_groups), n_features=n_features,
                width=cfg.width, n_layers=cfg.n_layers, n_heads=cfg.n_heads,
                temperature=cfg.temperature,
            )
        policy.load_state_dict(dict(weights))
        return policy.to(self._device).eval()

    def __repr__(self) -> str:
        defaults = {f.name: f.default for f in dataclasses.fields(PandaConfig)}
        changed = {name: self._options[name] for name in defaults if name in self._options
                   and self._options[name] != defaults[name]}
        changed.update((k, v) for k, v in self._options.items() if k not in defaults)
        if not self.stochastic:
            changed["stochastic"] = False
        params = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"PandaStrategy({params})"
