"""FACA-GEN's PPO tuner: a policy ``(round, F1, DP, EO, group make-up, λ, γ) -> (λ, γ)``.

The policy is trained with stable-baselines3's PPO in :class:`FacaGenEnv`, whose
episode is one simulated active-learning campaign on a reshuffle of the
already-labelled rows (the labelled set and the validation split, never the
pool's hidden labels nor the test split). The trained network is saved as a
safetensors state dict plus a JSON config (:class:`TunerPolicy`); no pickle.

The environment runs FACA-GEN itself; the strategy hands it a factory
(``strategy_factory``) rather than this module importing the strategy, so the
strategy -> tuner dependency runs one way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from fairpool.active._state import QueryState
from fairpool.active._strategy import check_state_keys
from fairpool.active.strategies.facagen._tuners import (
    RoundMetrics,
    Tuner,
    TunerContext,
    check_lambda,
    prediction_metrics,
    scalarised_reward,
)
from fairpool.errors import InvalidInputError, SingleGroupError

__all__ = [
    "FacaGenEnv",
    "TunerPolicy",
    "action_to_weights",
    "observation_vector",
    "train_ppo_policy",
    "PPOTuner",
]

# -- the PPO environment --------------------------------------------------------------
def action_to_weights(action: np.ndarray, lam_max: float, gamma_max: float) -> tuple[float, float]:
    """Map an action in ``[-1, 1]^2`` to ``λ`` in ``[0, lam_max]``, ``γ`` in ``[±gamma_max]``."""
    a = np.clip(np.asarray(action, dtype=np.float64).reshape(2), -1.0, 1.0)
    return float(lam_max * (a[0] + 1.0) / 2.0), float(gamma_max * a[1])


def observation_vector(
    round_fraction: float,
    metrics: RoundMetrics,
    labelled_groups: np.ndarray,
    n_groups: int,
    weights: tuple[float, float],
    lam_max: float,
    gamma_max: float,
) -> np.ndarray:
    """``[round, F1, DP, EO, group shares..., λ/λmax, γ/γmax]`` as float32 (NaN -> 0)."""
    shares = np.bincount(labelled_groups, minlength=n_groups)[:n_groups] / max(
        labelled_groups.shape[0], 1
    )
    values = [min(max(round_fraction, 0.0), 1.0), metrics.f1, metrics.dp, metrics.eo]
    values += shares.tolist() + [weights[0] / lam_max, weights[1] / gamma_max]
    out = np.nan_to_num(np.asarray(values, dtype=np.float32), nan=0.0)
    return np.clip(out, -1.0, 1.0).astype(np.float32)


class FacaGenEnv(gym.Env):
    """One simulated FACA-GEN campaign per episode, on a reshuffle of labelled rows.

    ``reset`` permutes the rows (with the environment's seeded generator) into a
    validation part, an initial labelled part and a pool whose labels the
    simulated oracle reveals; each ``step`` sets ``(λ, γ)`` from the action, lets
    FACA-GEN (fixed tuner) pick ``batch_size`` pool rows through the real
    :class:`~fairpool.active.ActiveLearner`, teaches them, and returns the
    reward :func:`scalarised_reward` of the validation metrics. The episode ends
    after ``n_rounds`` steps.

    Parameters
    ----------
    X, y, groups : ndarray
        Labelled rows (binary labels).
    make_learner : callable
        Returns a fresh unfitted classifier (the loop's learner).
    strategy_factory : callable
        Builds the simulated strategy: called as ``strategy_factory(tuner="fixed",
        lam=0.0, gamma=0.0, **strategy_options)``; FACA-GEN passes its own class.
    n_groups : int
    feature_names : sequence of str
    info : mapping
        The dataset's info (for the causal graph).
    n_rounds : int, default=3
    validation_fraction, initial_fraction : float, default=0.3
        Shares of the rows in the validation and initial parts.
    batch_size : int, optional
        Rows per step; default: the pool split evenly over ``n_rounds + 1``.
    lam_max, gamma_max : float, default=2.0
        Range of the weights an action maps to.
    reward_weights : (float, float, float)
    strategy_options : mapping, optional
        Options of the simulated FACA-GEN (``fairness_method``, ...).
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        groups: np.ndarray,
        *,
        make_learner: Callable[[], Any],
        strategy_factory: Callable[..., Any],
        n_groups: int,
        feature_names: Sequence[str],
        info: Mapping[str, Any],
        n_rounds: int = 3,
        validation_fraction: float = 0.3,
        initial_fraction: float = 0.3,
        batch_size: int | None = None,
        lam_max: float = 2.0,
        gamma_max: float = 2.0,
        reward_weights: Sequence[float] = (1.0, 1.0, 1.0),
        strategy_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.X = np.asarray(X, dtype=np.float32)
        self.y = np.asarray(y)
        self.groups = np.asarray(groups, dtype=np.int64)
        n = self.X.shape[0]
        if self.y.shape != (n,) or self.groups.shape != (n,):
            raise InvalidInputError("X, y and groups must describe the same rows")
        if np.unique(self.groups).shape[0] < 2:
            raise SingleGroupError("the PPO environment needs labelled rows of at least two groups")
        if np.unique(self.y).shape[0] < 2:
            raise InvalidInputError("the PPO environment needs labelled rows of both classes")
        for name, value in (("validation_fraction", validation_fraction),
                            ("initial_fraction", initial_fraction)):
            if not 0.0 < value < 1.0:
                raise InvalidInputError(f"{name} must be in (0, 1), got {value!r}")
        if validation_fraction + initial_fraction >= 1.0:
            raise InvalidInputError("validation_fraction + initial_fraction must be below 1")
        if isinstance(n_rounds, bool) or int(n_rounds) < 1:
            raise InvalidInputError(f"n_rounds must be a positive integer, got {n_rounds!r}")
        self.make_learner = make_learner
        self.strategy_factory = strategy_factory
        self.n_groups = int(n_groups)
        self.feature_names = tuple(feature_names)
        self.info = dict(info)
        self.n_rounds = int(n_rounds)
        self.n_validation = max(2, int(round(validation_fraction * n)))
        self.n_initial = max(2, int(round(initial_fraction * n)))
        n_pool = n - self.n_validation - self.n_initial
        self.batch_size = (
            max(1, n_pool // (self.n_rounds + 1)) if batch_size is None else int(batch_size)
        )
        if self.batch_size * self.n_rounds > n_pool:
            raise InvalidInputError(
                f"{self.n_rounds} rounds of {self.batch_size} rows need a pool of "
                f"{self.batch_size * self.n_rounds}; only {n_pool} labelled rows remain"
            )
        self.lam_max = check_lambda(lam_max, "lam_max")
        self.gamma_max = check_lambda(gamma_max, "gamma_max")
        if self.lam_max == 0 or self.gamma_max == 0:
            raise InvalidInputError("lam_max and gamma_max must be positive")
        self.reward_weights = tuple(float(w) for w in reward_weights)
        self.strategy_options = dict(strategy_options or {})
        dim = 4 + self.n_groups + 2
        low = np.zeros(dim, dtype=np.float32)
        low[-1] = -1.0
        self.observation_space = gym.spaces.Box(low, np.ones(dim, dtype=np.float32))
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)

    def _split(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.X.shape[0]
        for _ in range(100):
            order = self.np_random.permutation(n)
            val = order[: self.n_validation]
            init = order[self.n_validation : self.n_validation + self.n_initial]
            pool = order[self.n_validation + self.n_initial :]
            if (
                np.unique(self.y[init]).shape[0] == 2
                and np.unique(self.groups[val]).shape[0] >= 2
                and np.unique(np.concatenate([self.groups[init], self.groups[pool]])).shape[0] >= 2
            ):
                return val, init, pool
        raise InvalidInputError(
            "could not draw an initial part with both classes: too few labelled rows"
        )

    def _observation(self) -> np.ndarray:
        return observation_vector(
            self._round / self.n_rounds,
            self._metrics,
            self._learner.labelled_.groups,
            self.n_groups,
            (self._strategy.tuner_.lam, self._strategy.tuner_.gamma),
            self.lam_max,
            self.gamma_max,
        )

    def _measure(self) -> RoundMetrics:
        pred = self._learner.predict(self.X[self._val], self.groups[self._val])
        return prediction_metrics(self.y[self._val], pred, self.groups[self._val])

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a campaign on a fresh reshuffle of the rows."""
        super().reset(seed=seed)
        from fairpool.active._learner import ActiveLearner

        self._val, init, self._pool = self._split()
        self._strategy = self.strategy_factory(
            tuner="fixed", lam=0.0, gamma=0.0, **self.strategy_options
        )
        self._strategy._validate_params()  # builds its FixedTuner (tuner_), set by step()
        self._learner = ActiveLearner(
            self._strategy,
            self.make_learner(),
            seed=int(self.np_random.integers(2**31 - 1)),
            validation=(self.X[self._val], self.y[self._val], self.groups[self._val]),
            group_names=[str(g) for g in range(self.n_groups)],
            feature_names=self.feature_names,
            info=self.info,
            # The rows are already in the real loop's representation; keeping them
            # fixed lets the counterfactual model be fitted once per episode.
            standardize=False,
        )
        self._learner.fit(self.X[init], self.y[init], self.groups[init])
        self._pool_X = self.X[self._pool]
        self._pool_g = self.groups[self._pool]
        self._round = 0
        self._metrics = self._measure()
        return self._observation(), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Label one batch with the ``(λ, γ)`` the action maps to."""
        lam, gamma = action_to_weights(action, self.lam_max, self.gamma_max)
        self._strategy.tuner_.set(lam, gamma)
        picks = self._learner.query(self._pool_X, self._pool_g, self.batch_size)
        self._learner.teach(picks, self.y[self._pool][picks])
        previous, self._metrics = self._metrics, self._measure()
        reward = scalarised_reward(previous, self._metrics, weights=self.reward_weights)
        self._round += 1
        terminated = self._round >= self.n_rounds
        return self._observation(), reward, terminated, False, {"lam": lam, "gamma": gamma}


# -- the policy: training, saving, loading ---------------------------------------------
_ACTIVATIONS = {"tanh": "Tanh", "relu": "ReLU"}


class TunerPolicy:
    """A trained PPO policy network with its config; saved without pickle.

    Files in a directory: ``policy.safetensors`` (the ``state_dict`` of
    stable-baselines3's ``ActorCriticPolicy``) and ``policy.json`` (the spaces,
    architecture, the weight ranges and how it was trained).

    Parameters
    ----------
    policy : stable_baselines3.common.policies.ActorCriticPolicy
    config : dict
        ``obs_low``, ``obs_high``, ``net_arch``, ``activation``, ``lam_max``,
        ``gamma_max``, ``n_groups`` and training facts.
    """

    FILES = ("policy.safetensors", "policy.json")

    def __init__(self, policy: Any, config: Mapping[str, Any]) -> None:
        self.policy = policy
        self.config = dict(config)
        self.policy.set_training_mode(False)

    @staticmethod
    def build(config: Mapping[str, Any]) -> Any:
        """An untrained ``ActorCriticPolicy`` with the architecture of ``config``."""
        import torch
        from stable_baselines3.common.policies import ActorCriticPolicy

        obs_space = gym.spaces.Box(
            np.asarray(config["obs_low"], dtype=np.float32),
            np.asarray(config["obs_high"], dtype=np.float32),
        )
        act_space = gym.spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
        arch = [int(h) for h in config["net_arch"]]
        with torch.random.fork_rng():  # initialising weights must not move the global RNG
            return ActorCriticPolicy(
                obs_space,
                act_space,
                lr_schedule=lambda _: 0.0,
                net_arch={"pi": arch, "vf": arch},
                activation_fn=getattr(torch.nn, _ACTIVATIONS[config["activation"]]),
            )

    def act(self, observation: np.ndarray) -> np.ndarray:
        """Deterministic action (the mean of the Gaussian policy, clipped to ``[-1, 1]``)."""
        action, _ = self.policy.predict(
            np.asarray(observation, dtype=np.float32), deterministic=True
        )
        return np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)

    def weights(self, observation: np.ndarray) -> tuple[float, float]:
        """``(λ, γ)`` for an observation."""
        return action_to_weights(self.act(observation), self.config["lam_max"],
                                 self.config["gamma_max"])

    def save(self, directory: str | Path) -> Path:
        """Write ``policy.safetensors`` and ``policy.json`` into ``directory``."""
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.policy.state_dict().items()}
        save_file(state, str(directory / "policy.safetensors"))
        (directory / "policy.json").write_text(json.dumps(self.config, indent=2, sort_keys=True))
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> TunerPolicy:
        """Rebuild a policy saved by :meth:`save` (safetensors + JSON; nothing unpickled)."""
        from safetensors.torch import load_file

        directory = Path(directory)
        missing = [f for f in cls.FILES if not (directory / f).is_file()]
        if missing:
            raise InvalidInputError(f"policy directory {str(directory)!r} lacks {missing}")
        config = json.loads((directory / "policy.json").read_text())
        policy = cls.build(config)
        policy.load_state_dict(load_file(str(directory / "policy.safetensors")))
        return cls(policy, config)

    @staticmethod
    def exists(directory: str | Path) -> bool:
        """Whether ``directory`` holds a saved policy."""
        return all((Path(directory) / f).is_file() for f in TunerPolicy.FILES)


def train_ppo_policy(
    env: FacaGenEnv,
    *,
    total_timesteps: int = 256,
    seed: int = 0,
    n_steps: int = 32,
    batch_size: int = 16,
    n_epochs: int = 5,
    learning_rate: float = 1e-3,
    net_arch: Sequence[int] = (32, 32),
) -> TunerPolicy:
    """Train a PPO policy on ``env`` (stable-baselines3, CPU, seeded).

    Parameters
    ----------
    env : FacaGenEnv
    total_timesteps : int, default=256
        Environment steps (simulated rounds; each refits the learner once).
    seed : int
    n_steps, batch_size, n_epochs, learning_rate : PPO's rollout and update sizes.
    net_arch : sequence of int, default=(32, 32)
        Hidden layers of the policy and value networks.

    Returns
    -------
    TunerPolicy
    """
    from stable_baselines3 import PPO

    arch = [int(h) for h in net_arch]
    model = PPO(
        "MlpPolicy",
        env,
        n_steps=int(n_steps),
        batch_size=int(batch_size),
        n_epochs=int(n_epochs),
        learning_rate=float(learning_rate),
        gamma=0.9,
        seed=int(seed),
        device="cpu",
        verbose=0,
        policy_kwargs={"net_arch": {"pi": arch, "vf": arch}},
    )
    model.learn(total_timesteps=int(total_timesteps))
    config = {
        "obs_low": env.observation_space.low.tolist(),
        "obs_high": env.observation_space.high.tolist(),
        "net_arch": arch,
        "activation": "tanh",
        "lam_max": env.lam_max,
        "gamma_max": env.gamma_max,
        "n_groups": env.n_groups,
        "n_rounds": env.n_rounds,
        "total_timesteps": int(total_timesteps),
        "seed": int(seed),
    }
    policy = TunerPolicy.build(config)
    policy.load_state_dict(model.policy.state_dict())
    return TunerPolicy(policy, config)


class PPOTuner(Tuner):
    """``(λ, γ)`` from a PPO policy over the round's validation metrics.

    At the first ``choose`` the policy is loaded from ``policy_dir`` when one is
    saved there; otherwise it is trained (:func:`train_ppo_policy`) in a
    :class:`FacaGenEnv` over the state's labelled rows and validation rows, with
    the loop's learner, and saved to ``policy_dir`` if given.

    Parameters
    ----------
    horizon : int, default=10
        Rounds of the real campaign (the observation's round is ``round / horizon``).
    policy_dir : str, optional
    total_timesteps : int, default=256
    n_rounds : int, default=3
        Rounds of a simulated episode.
    lam_max, gamma_max : float, default=2.0
    reward_weights : (float, float, float)
    strategy_options : mapping, optional
        Options of the simulated FACA-GEN.
    strategy_factory : callable, optional
        The simulated strategy's class (see :class:`FacaGenEnv`); FACA-GEN passes its
        own. Needed only when a policy is trained, not when one is loaded.
    ppo_kwargs : mapping, optional
        More options of :func:`train_ppo_policy` (``n_steps``, ``net_arch``, ...).
    """

    def __init__(
        self,
        *,
        horizon: int = 10,
        policy_dir: str | None = None,
        total_timesteps: int = 256,
        n_rounds: int = 3,
        lam_max: float = 2.0,
        gamma_max: float = 2.0,
        reward_weights: Sequence[float] = (1.0, 1.0, 1.0),
        strategy_options: Mapping[str, Any] | None = None,
        strategy_factory: Callable[..., Any] | None = None,
        ppo_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(total_timesteps, bool) or int(total_timesteps) < 1:
            raise InvalidInputError(
                f"total_timesteps must be a positive integer, got {total_timesteps!r}"
            )
        self.horizon = int(horizon)
        self.policy_dir = policy_dir
        self.total_timesteps = int(total_timesteps)
        self.n_rounds = int(n_rounds)
        self.lam_max = check_lambda(lam_max, "lam_max")
        self.gamma_max = check_lambda(gamma_max, "gamma_max")
        self.reward_weights = tuple(reward_weights)
        self.strategy_options = dict(strategy_options or {})
        self.strategy_factory = strategy_factory
        self.ppo_kwargs = dict(ppo_kwargs or {})
        self.policy: TunerPolicy | None = None
        self._weights = (0.0, 0.0)
        self._action: np.ndarray | None = None

    def environment(self, state: QueryState) -> FacaGenEnv:
        """The simulation environment over ``state``'s labelled and validation rows."""
        parts = [state.labelled]
        if state.validation is not state.labelled:
            parts.append(state.validation)
        if self.strategy_factory is None:
            raise InvalidInputError(
                "PPOTuner needs strategy_factory (the simulated strategy's class) to train "
                "a policy; FacaGen(tuner='ppo') passes it, or give policy_dir of a saved one"
            )
        return FacaGenEnv(
            np.concatenate([p.X for p in parts]),
            np.concatenate([p.y for p in parts]),
            np.concatenate([p.groups for p in parts]),
            make_learner=state.make_learner,
            strategy_factory=self.strategy_factory,
            n_groups=state.n_groups,
            feature_names=state.feature_names,
            info=state.info,
            n_rounds=self.n_rounds,
            lam_max=self.lam_max,
            gamma_max=self.gamma_max,
            reward_weights=self.reward_weights,
            strategy_options=self.strategy_options,
        )

    def _ensure_policy(self, context: TunerContext) -> TunerPolicy:
        if self.policy is None:
            if self.policy_dir is not None and TunerPolicy.exists(self.policy_dir):
                self.policy = TunerPolicy.load(self.policy_dir)
            else:
                seed = int(context.rng.integers(2**31 - 1))
                self.policy = train_ppo_policy(
                    self.environment(context.state),
                    total_timesteps=self.total_timesteps,
                    seed=seed,
                    **self.ppo_kwargs,
                )
                if self.policy_dir is not None:
                    self.policy.save(self.policy_dir)
            if self.policy.config["n_groups"] != context.state.n_groups:
                raise InvalidInputError(
                    f"the policy was trained for {self.policy.config['n_groups']} groups, "
                    f"the data has {context.state.n_groups}"
                )
        return self.policy

    def choose(self, context: TunerContext) -> tuple[float, float]:
        """The policy's deterministic action for this round's observation."""
        policy = self._ensure_policy(context)
        obs = observation_vector(
            context.state.round / self.horizon,
            context.metrics,
            np.asarray(context.state.labelled.groups),
            context.state.n_groups,
            self._weights,
            policy.config["lam_max"],
            policy.config["gamma_max"],
        )
        self._action = policy.act(obs)
        self._weights = policy.weights(obs)
        return self._weights

    def info(self) -> dict[str, Any]:
        """The raw action of the last choice."""
        if self._action is None:
            return {}
        return {"action_0": float(self._action[0]), "action_1": float(self._action[1])}

    def state_dict(self) -> dict[str, Any]:
        """The trained policy (weights as numpy arrays, config), the last weights and action.

        ``policy`` is None before the first choice (nothing trained or loaded yet).
        """
        policy = None
        if self.policy is not None:
            policy = {
                "config": json.loads(json.dumps(self.policy.config)),
                "weights": {
                    name: tensor.detach().cpu().numpy().copy()
                    for name, tensor in self.policy.policy.state_dict().items()
                },
            }
        return {
            "policy": policy,
            "weights": list(self._weights),
            "action": None if self._action is None else self._action.copy(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict`: rebuild the policy from its config and weights.

        Raises
        ------
        InvalidInputError
            A key is missing, or the weights do not fit the policy's architecture.
        """
        state = check_state_keys(state, ("policy", "weights", "action"), owner="tuner PPOTuner")
        saved = state["policy"]
        policy = None
        if saved is not None:
            saved = check_state_keys(saved, ("config", "weights"), owner="tuner PPOTuner's policy")
            import torch

            config = dict(saved["config"])
            network = TunerPolicy.build(config)
            try:
                network.load_state_dict(
                    {name: torch.from_numpy(np.array(w)) for name, w in saved["weights"].items()}
                )
            except RuntimeError as exc:
                raise InvalidInputError(
                    f"the saved PPO policy does not fit its architecture: {exc}"
                ) from None
            policy = TunerPolicy(network, config)
        lam, gamma = state["weights"]
        action = state["action"]
        self.policy = policy
        self._weights = (float(lam), float(gamma))
        self._action = None if action is None else np.array(action, dtype=np.float64)
