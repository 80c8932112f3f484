"""FACA-GEN's tuners: the reward, UCB1 by hand, the gym environment, PPO save/load."""

from __future__ import annotations

import math

import numpy as np
import pytest
from facagen_toy import genomes_like, query_state
from gymnasium.utils.env_checker import check_env
from sklearn.linear_model import LogisticRegression

from fairpool.active.strategies.facagen import (
    FacaGen,
    FacaGenEnv,
    PPOTuner,
    RoundMetrics,
    TunerContext,
    TunerPolicy,
    UCB1Tuner,
    action_to_weights,
    prediction_metrics,
    scalarised_reward,
    train_ppo_policy,
    validation_metrics,
)
from fairpool.errors import InvalidInputError, SingleGroupError


@pytest.fixture(scope="module")
def toy():
    return genomes_like(240, seed=1)


def _env(ds, **options):
    return FacaGenEnv(
        ds.X, ds.y, ds.groups,
        make_learner=lambda: LogisticRegression(max_iter=500),
        strategy_factory=FacaGen,
        n_groups=ds.n_groups, feature_names=ds.feature_names, info=ds.info, **options,
    )


def test_reward_is_the_clipped_scalarisation():
    before = RoundMetrics(f1=0.5, dp=0.2, eo=0.3)
    after = RoundMetrics(f1=0.6, dp=0.1, eo=0.35)
    assert scalarised_reward(before, after) == pytest.approx(0.1 + 0.1 - 0.05)
    assert scalarised_reward(before, after, weights=(0.0, 2.0, 0.0)) == pytest.approx(0.2)
    undefined = RoundMetrics(f1=0.6, dp=float("nan"), eo=0.3)
    assert scalarised_reward(before, undefined) == pytest.approx(0.1)
    assert scalarised_reward(RoundMetrics(0.0, 1.0, 1.0), RoundMetrics(1.0, 0.0, 0.0)) == 1.0


def test_prediction_metrics_match_fairlearn():
    from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    y, pred, g = rng.integers(0, 2, 200), rng.integers(0, 2, 200), rng.integers(0, 3, 200)
    m = prediction_metrics(y, pred, g)
    assert m.f1 == pytest.approx(f1_score(y, pred))
    assert m.dp == pytest.approx(demographic_parity_difference(y, pred, sensitive_features=g))
    assert m.eo == pytest.approx(equalized_odds_difference(y, pred, sensitive_features=g))


def test_ucb1_arm_choice_matches_a_hand_computation(state_for_ucb):
    tuner = UCB1Tuner([(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)], exploration=1.0)
    rewards = iter([None, 0.2, -0.4, 0.6, 0.0, 0.1])
    chosen = []
    for _ in range(6):
        ctx = TunerContext(state_for_ucb, RoundMetrics(0.5, 0.1, 0.1), next(rewards),
                           np.random.default_rng(0))
        tuner.choose(ctx)
        chosen.append(tuner.info()["arm"])
    # Rounds 1-3 play each arm once; their [0, 1] rewards are 0.6, 0.3, 0.8.
    # Round 4: t = 3, every n = 1, so the highest mean wins -> arm 2.
    # Round 5: arm 2 got 0.5 (mean 0.65, n 2). Indices with t = 4:
    #   arm 0: 0.6 + sqrt(2 ln 4 / 1) = 2.265, arm 1: 0.3 + 1.665, arm 2: 0.65 + sqrt(ln 4).
    # Round 6: arm 0 got 0.55 (mean 0.575, n 2), t = 5:
    #   arm 0: 0.575 + sqrt(ln 5) = 1.844, arm 1: 0.3 + sqrt(2 ln 5) = 2.094, arm 2: 1.919.
    assert chosen == [0, 1, 2, 2, 0, 1]
    expected = [0.575 + math.sqrt(math.log(5)), 0.3 + math.sqrt(2 * math.log(5)),
                0.65 + math.sqrt(math.log(5))]
    np.testing.assert_allclose(tuner.index(), expected, rtol=1e-12)


@pytest.fixture(scope="module")
def state_for_ucb(toy):
    return query_state(toy, n_labelled=60, n_validation=60)


def test_action_maps_onto_the_weight_box():
    assert action_to_weights(np.array([-1.0, -1.0]), 2.0, 3.0) == (0.0, -3.0)
    assert action_to_weights(np.array([1.0, 1.0]), 2.0, 3.0) == (2.0, 3.0)
    assert action_to_weights(np.array([5.0, 0.0]), 2.0, 3.0) == (2.0, 0.0)


def test_environment_passes_gymnasium_check_env(toy):
    env = _env(toy, n_rounds=2)
    check_env(env, skip_render_check=True)
    obs, _ = env.reset(seed=3)
    assert env.observation_space.contains(obs)
    for _ in range(2):
        obs, reward, terminated, truncated, info = env.step(np.array([0.2, -0.5], np.float32))
        assert -1.0 <= reward <= 1.0 and not truncated
    assert terminated and info["lam"] == pytest.approx(1.2)


def test_environment_is_reproducible_under_a_seed(toy):
    def trajectory(seed):
        env = _env(toy, n_rounds=2)
        obs, _ = env.reset(seed=seed)
        out = [obs]
        for a in ([0.5, 0.5], [-0.5, 1.0]):
            out.append(env.step(np.array(a, np.float32))[0])
        return np.concatenate(out)

    np.testing.assert_array_equal(trajectory(7), trajectory(7))


def test_environment_rejects_bad_input(toy):
    with pytest.raises(SingleGroupError):
        FacaGenEnv(toy.X, toy.y, np.zeros(toy.n_samples, int), make_learner=LogisticRegression,
                   strategy_factory=FacaGen, n_groups=1, feature_names=toy.feature_names,
                   info=toy.info)
    with pytest.raises(InvalidInputError, match="validation_fraction"):
        _env(toy, validation_fraction=1.5)
    with pytest.raises(InvalidInputError, match="rounds"):
        _env(toy, n_rounds=50, batch_size=10)


@pytest.fixture(scope="module")
def trained(toy):
    return train_ppo_policy(_env(toy, n_rounds=2), total_timesteps=16, n_steps=8,
                            batch_size=8, n_epochs=1, seed=0)


def test_policy_save_load_round_trip_gives_identical_actions(trained, tmp_path):
    trained.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy.json", "policy.safetensors"]
    loaded = TunerPolicy.load(tmp_path)
    observations = np.random.default_rng(0).uniform(0, 1, (20, len(trained.config["obs_low"])))
    for obs in observations.astype(np.float32):
        np.testing.assert_array_equal(trained.act(obs), loaded.act(obs))
        assert trained.weights(obs) == loaded.weights(obs)
    with pytest.raises(InvalidInputError, match="lacks"):
        TunerPolicy.load(tmp_path / "empty")


def test_ppo_tuner_drives_the_weights_from_a_saved_policy(trained, tmp_path, toy):
    trained.save(tmp_path)
    strategy = FacaGen(tuner="ppo", policy_dir=str(tmp_path))
    state = query_state(toy)
    strategy.select(state, 5, np.random.default_rng(0))
    info = strategy.last_info
    assert 0.0 <= info["lam"] <= 2.0 and -2.0 <= info["gamma"] <= 2.0
    obs_lam, obs_gamma = action_to_weights(
        np.array([info["action_0"], info["action_1"]]), 2.0, 2.0
    )
    assert (obs_lam, obs_gamma) == (info["lam"], info["gamma"])


def test_ppo_tuner_trains_on_labelled_rows_when_no_policy_is_saved(toy, tmp_path):
    tuner = PPOTuner(total_timesteps=8, n_rounds=2, policy_dir=str(tmp_path),
                     strategy_factory=FacaGen,
                     ppo_kwargs={"n_steps": 8, "batch_size": 8, "n_epochs": 1})
    state = query_state(toy, n_labelled=80, n_validation=60)
    env = tuner.environment(state)
    assert env.X.shape[0] == 140  # labelled + validation rows, never the pool
    lam, gamma = tuner.choose(
        TunerContext(state, RoundMetrics(0.5, 0.1, 0.1), None, np.random.default_rng(0))
    )
    assert TunerPolicy.exists(tmp_path) and 0.0 <= lam <= 2.0


def test_validation_metrics_use_out_of_fold_predictions_without_a_validation_split(toy):
    from dataclasses import replace

    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    state = query_state(toy, n_labelled=90, n_validation=30)
    in_sample = replace(state, validation=state.labelled)
    got = validation_metrics(in_sample)
    oof = cross_val_predict(LogisticRegression(max_iter=1000), state.labelled.X,
                            state.labelled.y,
                            cv=StratifiedKFold(3, shuffle=True, random_state=0))
    assert got == prediction_metrics(state.labelled.y, oof, state.labelled.groups)
    # With a held-out split, the model's own predictions on it.
    held = validation_metrics(state)
    pred = state.model.predict(state.validation.X)
    assert held == prediction_metrics(state.validation.y, pred, state.validation.groups)
