"""FACA-GEN acquisition: scaling, brute-force ranking, the causal term, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from facagen_toy import CAUSAL, genomes_like, query_state
from scipy.stats import entropy
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import fairpool as fp
from fairpool.active.strategies import current_disparity, expected_disparity
from fairpool.active.strategies.facagen import (
    FacaGen,
    FixedTuner,
    UCB1Tuner,
    facagen_scores,
    facagen_terms,
    group_parity_term,
    state_counterfactual_model,
)
from fairpool.datasets import Dataset
from fairpool.errors import InvalidInputError, SingleGroupError


@pytest.fixture(scope="module")
def toy():
    return genomes_like()


@pytest.fixture(scope="module")
def state(toy):
    return query_state(toy)


def test_each_term_scales_onto_the_unit_interval(state):
    terms = facagen_terms(state)
    for raw in (terms.informativeness, terms.fairness, terms.causal):
        assert raw.shape == (len(state.pool),)
    only_i = facagen_scores(terms, 0.0, 0.0)
    assert only_i.min() == 0.0 and only_i.max() == 1.0
    # S = I' - λF' - γC' with each scaled term in [0, 1]: each alone spans [0, 1].
    only_f = facagen_scores(terms, 1.0, 0.0) - only_i
    only_c = facagen_scores(terms, 0.0, 1.0) - only_i
    for scaled in (-only_f, -only_c):
        assert scaled.min() == pytest.approx(0.0) and scaled.max() == pytest.approx(1.0)
    # A constant term scales to all zeros (no effect on the ranking).
    flat = type(terms)(terms.informativeness, np.full_like(terms.fairness, 0.3), terms.causal)
    np.testing.assert_allclose(facagen_scores(flat, 5.0, 0.0), only_i)


def test_ranking_equals_a_brute_force_loop(state):
    lam, gamma, k = 0.7, 0.4, 12
    strategy = FacaGen(tuner="fixed", lam=lam, gamma=gamma)
    picks = strategy.select(state, k, np.random.default_rng(0))

    counterfactuals = state_counterfactual_model(state)
    cf, valid = counterfactuals.all_counterfactuals(state.pool.X, state.pool.groups)
    now = current_disparity(state)
    raw_i, raw_f, raw_c = [], [], []
    for i in range(len(state.pool)):  # one candidate at a time, as the definitions read
        p = state.model.predict_proba(state.pool.X[i : i + 1])[0]
        raw_i.append(entropy(p))
        raw_f.append(expected_disparity(state, candidates=np.array([i]))[0] - now)
        gaps = [
            abs(state.model.predict_proba(cf[t, i : i + 1])[0, 1] - p[1])
            for t in range(state.n_groups)
            if valid[t, i]
        ]
        raw_c.append(sum(gaps) / len(gaps))

    def scaled(values):
        low, high = min(values), max(values)
        return [(v - low) / (high - low) for v in values]

    score = [
        a - lam * b - gamma * c
        for a, b, c in zip(scaled(raw_i), scaled(raw_f), scaled(raw_c), strict=True)
    ]
    expected = sorted(range(len(score)), key=lambda i: -score[i])[:k]
    assert sorted(picks.tolist()) == sorted(expected)
    assert strategy.last_info["lam"] == lam and strategy.last_info["gamma"] == gamma


def test_causal_term_is_zero_for_a_model_that_ignores_ancestry_and_its_proxies(toy):
    causal_columns = [toy.feature_index(c) for c in CAUSAL]
    blind = make_pipeline(
        ColumnTransformer([("causal", "passthrough", causal_columns)]),
        LogisticRegression(max_iter=1000),
    )
    state = query_state(toy, model=blind)
    terms = facagen_terms(state, fairness=False)
    np.testing.assert_array_equal(terms.causal, 0.0)
    # A model that reads the ancestry one-hots is not counterfactually consistent.
    seeing = facagen_terms(query_state(toy), fairness=False)
    assert seeing.causal.mean() > 0.01


def test_selection_through_the_loop_records_the_weights(toy):
    hist = fp.active.run(
        toy,
        strategy="facagen",
        learner="logreg",
        budget=40,
        batch_size=20,
        seed=0,
        split="facagen",
        strategy_options={"tuner": "fixed", "lam": 0.5, "gamma": -0.5},
    )
    frame = hist.frame
    assert frame["strategy_lam"].iloc[1:].tolist() == [0.5, 0.5]
    assert frame["strategy_gamma"].iloc[1:].tolist() == [-0.5, -0.5]


def test_ucb_tuner_records_its_arms(toy):
    hist = fp.active.run(
        toy, strategy="facagen", learner="logreg", budget=60, batch_size=20, seed=0,
        split="facagen", strategy_options={"arms": [(0.0, 0.0), (1.0, 1.0)]},
    )
    arms = hist.frame["strategy_arm"].iloc[1:].astype(int).tolist()
    assert arms[:2] == [0, 1]  # every arm is played once first, in order
    assert hist.frame["strategy_reward"].iloc[2:].notna().all()


def test_weights_choose_which_terms_are_computed(state):
    terms = facagen_terms(state, fairness=False, causal=False)
    assert terms.fairness is None and terms.causal is None
    with pytest.raises(InvalidInputError, match="term F"):
        facagen_scores(terms, 1.0, 0.0)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"tuner": "bogus"}, "tuner"),
        ({"lam": -0.1}, "lam"),
        ({"gamma": float("nan")}, "gamma"),
        ({"arms": [(-1.0, 0.0)]}, "lam"),
        ({"arms": []}, "arms"),
        ({"fairness_method": "exact"}, "fairness_method"),
        ({"fairness_term": "parity"}, "fairness_term"),
        ({"known_causal_fraction": 2.0}, "known_causal_fraction"),
        ({"reward_weights": (1.0, -1.0, 1.0)}, "reward_weights"),
        ({"horizon": 0}, "horizon"),
    ],
)
def test_bad_options_raise(options, match, state):
    strategy = FacaGen(**options)  # stored as given, checked at select
    with pytest.raises(InvalidInputError, match=match):
        strategy.select(state, 3, np.random.default_rng(0))
    with pytest.raises(InvalidInputError, match=match):
        fp.active.make_strategy("facagen", **options)


def test_a_single_group_raises(toy):
    one = Dataset(
        X=toy.X, y=toy.y, groups=np.zeros(toy.n_samples, dtype=np.int64), group_names=("A",),
        feature_names=toy.feature_names, name="one", info={"dataset": "one"},
    )
    with pytest.raises(SingleGroupError):
        fp.active.run(one, strategy="facagen", learner="logreg", budget=20, batch_size=10,
                      split="facagen")


def test_tuner_objects_are_accepted():
    fixed = FixedTuner(0.2, 0.1)
    strategy = FacaGen(tuner=fixed)
    assert strategy.tuner is fixed and not hasattr(strategy, "tuner_")
    strategy._validate_params()  # what select does first
    assert strategy.tuner_ is fixed
    default = fp.active.make_strategy("facagen")
    assert default.tuner == "ucb" and isinstance(default.tuner_, UCB1Tuner)


@pytest.mark.slow
def test_reproduction_script_writes_the_table(tmp_path):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "benchmarks" / "reproduce_facagen.py"
    spec = importlib.util.spec_from_file_location("reproduce_facagen", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--datasets", "genomes1000:999", "--seeds", "1", "--methods",
                        "entropy", "facagen_ucb", "--out", str(tmp_path)]) == 0
    table = (tmp_path / "table.md").read_text()
    assert "before AL" in table and "facagen_ucb" in table and "causal share" in table


def _loop_group_parity(state):
    """P(yhat=1 | g(x)) - P(yhat=1) over the pool's hard predictions, by plain loops."""
    pred = [int(row[1] >= 0.5) for row in state.pool_proba]
    groups = [int(g) for g in state.pool.groups]
    overall = sum(pred) / len(pred)
    out = []
    for g in groups:
        members = [p for p, h in zip(pred, groups, strict=True) if h == g]
        out.append(sum(members) / len(members) - overall)
    return np.array(out)


def test_group_parity_term_is_the_groups_dp_contribution(state):
    got = group_parity_term(state)
    np.testing.assert_allclose(got, _loop_group_parity(state), atol=1e-12)
    terms = facagen_terms(state, causal=False, fairness_term="group_parity")
    np.testing.assert_allclose(terms.fairness, got)


def test_group_parity_picks_lean_to_the_disadvantaged_group(state):
    """S = I' - λF' by a loop; with a large λ the picks leave the favoured group."""
    term = _loop_group_parity(state)
    info = np.array([entropy(row) for row in state.pool_proba])

    def scaled(v):
        return (v - v.min()) / (v.max() - v.min()) if v.max() > v.min() else 0 * v

    for lam in (0.5, 5.0):
        score = scaled(info) - lam * scaled(term)
        strategy = FacaGen(tuner="fixed", lam=lam, gamma=0.0, fairness_term="group_parity")
        picks = strategy.select(state, 10, np.random.default_rng(0))
        assert set(picks.tolist()) == set(np.argsort(-score)[:10].tolist())
    favoured = term > term.min()
    assert favoured.any() and not favoured[picks].any()


def test_reproduction_tuner_lines_name_each_ppo_method():
    import importlib.util
    from pathlib import Path

    import pandas as pd

    path = Path(__file__).parents[2] / "benchmarks" / "reproduce_facagen.py"
    spec = importlib.util.spec_from_file_location("reproduce_facagen_lines", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = pd.DataFrame({
        "dataset": ["d", "d", "d"], "method": ["facagen_ppo", "facagen_ppo_gp", "facagen_ppo"],
        "lams": ["1 2", "0.5", "3"], "gammas": ["0 0", "-1", "1"], "arms": [None] * 3,
    })
    lines = module.tuner_choices(results).splitlines()
    # λ over the rounds of both facagen_ppo seeds: 1, 2, 3 (population sd); γ: 0, 0, 1
    assert lines == [
        f"- d, facagen_ppo: PPO actions over all rounds and seeds: λ = 2.00 ± "
        f"{np.std([1, 2, 3]):.2f}, γ = 0.33 ± {np.std([0, 0, 1]):.2f}",
        "- d, facagen_ppo_gp: PPO actions over all rounds and seeds: λ = 0.50 ± 0.00, "
        "γ = -1.00 ± 0.00",
    ]
