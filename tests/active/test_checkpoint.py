"""A loop saved between rounds and resumed in a new process is the same loop.

A labelling session (issue 12) runs one round per process: build an ActiveLearner,
fit it on the labelled rows, load the state the last process saved, query the rows
still available, save. These tests emulate that boundary -- everything that crosses
it goes through ``pack_state`` bytes -- and compare with the reference, the same
campaign run in memory by ``fp.active.run`` on the bundled German credit data: the
picks must be identical, round after round, for every built-in strategy.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import fairpool as fp
from fairpool.active import (
    ActiveLearner,
    available_strategies,
    make_strategy,
    pack_state,
    strategy_class,
    unpack_state,
)
from fairpool.active._checkpoint import same_state
from fairpool.errors import InvalidInputError

ROUNDS, BATCH, SEED = 4, 8, 1

#: Tiny PPO training so the PPO-tuned FACA-GEN trains in seconds at its first selection.
PPO_OPTIONS = {
    "tuner": "ppo",
    "ppo_options": {
        "total_timesteps": 8,
        "n_rounds": 2,
        "ppo_kwargs": {"n_steps": 8, "batch_size": 8, "n_epochs": 1, "net_arch": (8,)},
    },
}


@pytest.fixture(scope="module")
def german():
    return fp.datasets.load("german")


@pytest.fixture(scope="module")
def parts(german):
    perm = np.random.default_rng(0).permutation(german.n_samples)
    return {
        "test": perm[:150],
        "validation": perm[150:250],
        "initial": perm[250:290],
        "pool": perm[250:420],  # run leaves the initial rows out: a pool of 130
    }


def options_of(name: str) -> dict:
    return dict(getattr(strategy_class(name), "contract_test_options", {}) or {})


def run_picks(ds, parts, name, options, *, seed=SEED):
    """The reference: ``fp.active.run`` in one process, picks per round (dataset rows)."""
    history = fp.active.run(
        ds, strategy=name, learner="logreg", budget=ROUNDS * BATCH, batch_size=BATCH,
        seed=seed, split=parts, metrics=["accuracy"], strategy_options=options,
    )
    return [list(p) for p in history.frame["picked"].iloc[1:]]


def session_picks(ds, parts, name, options, *, save_after="query", seed=SEED, saves=None):
    """One process per round: a new learner, fitted on the labelled rows in the order they
    were taught, the last state loaded from bytes, a fresh pool of the rows still available."""
    d0 = parts["initial"]
    pool = np.setdiff1d(parts["pool"], d0)
    validation = ds.subset(parts["validation"])
    labelled = list(d0)
    saved: bytes | None = None
    rounds = []
    for _ in range(ROUNDS):
        al = ActiveLearner(
            name, "logreg", seed=seed, validation=validation, group_names=ds.group_names,
            feature_names=ds.feature_names, info=ds.info, strategy_options=options,
        )
        if saved is None and al.strategy_.requires_fit:
            al.fit_strategy(ds.subset(np.union1d(d0, parts["validation"])))
        rows = np.asarray(labelled)
        al.fit(ds.X[rows], ds.y[rows], ds.groups[rows])
        if saved is not None:
            al.load_state_dict(unpack_state(saved))
        available = pool[~np.isin(pool, labelled)]  # pool order, labelled rows left out
        chosen = available[al.query(ds.X[available], ds.groups[available], BATCH)]
        if save_after == "teach":  # the oracle answers at once; the state follows the refit
            al.teach(positions_in(available, chosen), ds.y[chosen])
        saved = pack_state(al.state_dict())
        if saves is not None:
            saves.append(saved)
        labelled.extend(chosen.tolist())
        rounds.append(chosen.tolist())
    return rounds


def positions_in(available: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Positions of ``chosen`` (dataset rows) in ``available``, in ``chosen``'s order."""
    where = {int(row): i for i, row in enumerate(available)}
    return np.asarray([where[int(row)] for row in chosen], dtype=np.int64)


# --- pack_state / unpack_state ------------------------------------------------------------
def nested_state():
    return {
        "ints": [0, -1, 2**64 + 5, -(2**127)],
        "floats": [0.1, -0.0, 1e308, float("inf"), float("-inf")],
        "nan": float("nan"),
        "text": "ünïcode, \"quotes\", [\"a\", 0] and a.dotted/key",
        "flags": (True, False, None),
        "pair": (1, ("a", [2.5, (3,)])),
        "empty": {"dict": {}, "list": [], "tuple": (), "array": np.zeros((0, 3), np.float32)},
        # keys that look like the format's own tags and like flattened paths
        "dict": {"tuple": [1], "array": "t0", '["dict", "tuple"]': 1, "a.b": {"c": 2}},
        "arrays": {
            "f64": np.linspace(0, 1, 7),
            "f32": np.arange(6, dtype=np.float32).reshape(2, 3),
            "f16": np.array([1.5, -2.0], dtype=np.float16),
            "i64": np.array([2**62, -(2**62)], dtype=np.int64),
            "u8": np.arange(4, dtype=np.uint8),
            "bool": np.array([[True, False]]),
            "scalar": np.array(3.25),
            "nan": np.array([np.nan, 1.0]),
            "in_list": [np.arange(3), {"deep": np.ones(2, dtype=np.int32)}],
        },
    }


def test_pack_unpack_round_trip_is_exact():
    state = nested_state()
    back = unpack_state(pack_state(state))
    assert same_state(back, state)
    # same_state is strict: it tells tuples from lists, dtypes and NaN positions apart
    assert isinstance(back["pair"], tuple) and isinstance(back["pair"][1][1], list)
    assert back["ints"][2] == 2**64 + 5 and back["ints"][3] == -(2**127)
    assert math.copysign(1.0, back["floats"][1]) == -1.0
    assert list(back) == list(state) and list(back["dict"]) == list(state["dict"])
    f32 = back["arrays"]["f32"]
    assert f32.dtype == np.float32 and f32.shape == (2, 3) and f32.flags.writeable
    f32[0, 0] = 9  # strategies update restored arrays in place
    assert not same_state(back["arrays"]["f32"], state["arrays"]["f32"])
    assert back["arrays"]["scalar"].shape == ()


def test_the_comparison_used_here_is_strict():
    assert not same_state({"a": (1,)}, {"a": [1]})
    assert not same_state(np.zeros(2, np.float32), np.zeros(2, np.float64))
    assert not same_state(np.zeros(2), np.zeros((1, 2)))
    assert not same_state({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert not same_state(1, 1.0) and not same_state(True, 1)


def test_pcg64_states_with_128_bit_integers_survive_and_continue_the_stream():
    rng = np.random.default_rng(np.random.SeedSequence(12345).spawn(2)[1])
    rng.random(3)
    state = rng.bit_generator.state
    assert state["state"]["state"] > 2**64  # the 128-bit integers JSON must carry
    other = np.random.default_rng(0)
    other.bit_generator.state = unpack_state(pack_state({"rng": state}))["rng"]
    np.testing.assert_array_equal(other.random(5), rng.random(5))


def test_arrays_are_tensors_and_the_rest_is_json_in_the_safetensors_metadata():
    from safetensors.numpy import load

    blob = pack_state({"w": {"x.y": np.arange(3)}, "n": 1})
    tensors = load(blob)
    assert list(tensors) == ['["w", "x.y"]']  # the JSON path: no separator can clash
    np.testing.assert_array_equal(tensors['["w", "x.y"]'], np.arange(3))
    assert b"fairpool.state/1" in blob[:200]


def test_numpy_scalars_come_back_as_python_scalars_and_big_endian_as_little():
    back = unpack_state(pack_state({"a": np.float64(0.5), "b": np.int64(3), "c": np.bool_(True),
                                    "d": np.arange(3, dtype=">i4")}))
    assert (back["a"], back["b"], back["c"]) == (0.5, 3, True)
    assert type(back["b"]) is int and type(back["c"]) is bool
    assert back["d"].dtype == np.dtype("<i4") and back["d"].tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    ("state", "match"),
    [
        ({1: "a"}, "key 1 of type int"),
        ({"a": {"b": object()}}, r"state\['a'\]\['b'\] is a object"),
        ({"a": [np.array(["x"])]}, r"state\['a'\]\[0\] is an array of dtype <U1"),
        ({"a": np.zeros(2, complex)}, "complex128"),
        ({"a": b"bytes"}, "bytes"),
        ([1, 2], "must be a dict"),
    ],
)
def test_pack_state_refuses_what_it_cannot_store_exactly(state, match):
    with pytest.raises(InvalidInputError, match=match):
        pack_state(state)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "0 bytes"),
        (b"\xff" * 16, "truncated"),
        (b"\x04\x00\x00\x00\x00\x00\x00\x00nope", "not JSON"),
        ("text", "must be bytes"),
    ],
)
def test_unpack_state_refuses_bytes_that_are_not_a_state(data, match):
    with pytest.raises(InvalidInputError, match=match):
        unpack_state(data)


def test_unpack_state_refuses_another_safetensors_file():
    from safetensors.numpy import save

    with pytest.raises(InvalidInputError, match="not a fairpool state"):
        unpack_state(save({"w": np.zeros(2)}))


# --- the ActiveLearner's state -------------------------------------------------------------
def learner(german, parts, name="entropy", **kwargs):
    kwargs.setdefault("strategy_options", options_of(name))
    return ActiveLearner(
        name, "logreg", seed=kwargs.pop("seed", SEED),
        validation=german.subset(parts["validation"]),
        group_names=german.group_names, feature_names=german.feature_names, info=german.info,
        **kwargs,
    )


def test_learner_state_holds_the_generators_round_and_strategy_state(german, parts):
    al = learner(german, parts, "falcon")
    d0 = parts["initial"]
    pool = np.setdiff1d(parts["pool"], d0)
    al.fit(german.X[d0], german.y[d0], german.groups[d0])
    picks = al.query(german.X[pool], german.groups[pool], BATCH)
    state = al.state_dict()
    assert state["seed"] == SEED and state["n_queries"] == 1 and state["n_labelled"] == 40
    assert state["strategy"]["name"] == "falcon"
    assert state["select_rng"] == al._select_rng.bit_generator.state
    assert state["strategy_trained"] is True and state["last_info"] == al.last_info_
    assert same_state(state["strategy_state"], al.strategy_.state_dict())
    back = unpack_state(pack_state(state))
    assert same_state(back, unpack_state(pack_state(back)))  # a fixed point
    # the state is a copy: later rounds do not change it
    al.teach(picks, german.y[pool[picks]])
    al.query(german.X[pool], german.groups[pool], BATCH)
    assert state["n_queries"] == 1 and same_state(state, back)


def test_a_fresh_pool_of_the_available_rows_picks_what_the_remembered_pool_picks(german, parts):
    """run keeps one pool array and a taught mask; a session passes only the rows still
    available, in the same order. Same candidates, same order: the same picks."""
    d0 = parts["initial"]
    pool = np.setdiff1d(parts["pool"], d0)
    for name in ("random", "entropy", "falcon", "group_random"):
        remembered, fresh = learner(german, parts, name), learner(german, parts, name)
        for al in (remembered, fresh):
            al.fit(german.X[d0], german.y[d0], german.groups[d0])
        X_pool, g_pool = german.X[pool], german.groups[pool]
        taught = np.zeros(pool.size, dtype=bool)
        for _ in range(ROUNDS):
            picks = remembered.query(X_pool, g_pool, BATCH)  # the same objects every round
            available = np.flatnonzero(~taught)
            mine = available[fresh.query(X_pool[available].copy(), g_pool[available].copy(),
                                         BATCH)]
            assert mine.tolist() == picks.tolist(), name
            remembered.teach(picks, german.y[pool[picks]])
            fresh.teach(positions_in(available, picks), german.y[pool[picks]])
            taught[picks] = True
        assert same_state(remembered.state_dict(), fresh.state_dict())


def test_load_state_dict_refuses_another_loop(german, parts):
    d0 = parts["initial"]
    al = learner(german, parts, "entropy").fit(german.X[d0], german.y[d0], german.groups[d0])
    state = al.state_dict()
    with pytest.raises(InvalidInputError, match="not fitted"):
        learner(german, parts, "entropy").load_state_dict(state)
    other_seed = learner(german, parts, "entropy", seed=SEED + 1)
    other_seed.fit(german.X[d0], german.y[d0], german.groups[d0])
    with pytest.raises(InvalidInputError, match=f"seed {SEED}"):
        other_seed.load_state_dict(state)
    other_strategy = learner(german, parts, "margin")
    other_strategy.fit(german.X[d0], german.y[d0], german.groups[d0])
    with pytest.raises(InvalidInputError, match="strategy.*entropy.*this learner.*margin"):
        other_strategy.load_state_dict(state)
    twin = learner(german, parts, "entropy").fit(german.X[d0], german.y[d0], german.groups[d0])
    with pytest.raises(InvalidInputError, match=r"lacks \['select_rng'\]"):
        twin.load_state_dict({k: v for k, v in state.items() if k != "select_rng"})
    with pytest.raises(InvalidInputError, match="format"):
        twin.load_state_dict({**state, "format": "something/1"})
    with pytest.raises(InvalidInputError, match="not the state of a PCG64 generator"):
        twin.load_state_dict({**state, "select_rng": np.random.MT19937(0).state})
    with pytest.raises(InvalidInputError, match="must be a dict"):
        twin.load_state_dict([("seed", SEED)])
    with pytest.raises(InvalidInputError, match="keeps no state.*'bandits'"):
        twin.load_state_dict({**state, "strategy_state": {"bandits": []}})
    twin.load_state_dict(state)  # nothing above changed it: the right state still loads


# --- every built-in strategy resumes in a new process as fp.active.run continues -------------
#: Every registered strategy with its checker options, and pure Falcon (every round a
#: bandit round, so its rewards, reward scale and postponements are at stake).
CASES = [(name, options_of(name)) for name in available_strategies()] + [
    ("falcon", {"mix": 1.0}),
]


@pytest.mark.parametrize(
    ("name", "options"), CASES, ids=[f"{n}-{o}" if o else n for n, o in CASES]
)
def test_each_strategy_resumed_round_by_round_picks_what_run_picks(german, parts, name, options):
    reference = run_picks(german, parts, name, options)
    assert len(reference) == ROUNDS and all(len(r) == BATCH for r in reference)
    assert session_picks(german, parts, name, options) == reference


@pytest.mark.parametrize(
    ("name", "options"),
    [("falcon", {"mix": 1.0}), ("facagen", {}), ("panda", options_of("panda")), ("random", {})],
)
def test_saving_after_teach_resumes_the_same_loop_too(german, parts, name, options):
    assert session_picks(german, parts, name, options, save_after="teach") == run_picks(
        german, parts, name, options
    )


def test_ppo_tuned_facagen_resumes_with_its_trained_policy(german, parts):
    reference = run_picks(german, parts, "facagen", PPO_OPTIONS)
    saves: list[bytes] = []
    assert session_picks(german, parts, "facagen", PPO_OPTIONS, saves=saves) == reference
    # the policy is trained once, in the first process, and travels unchanged in the state
    tuners = [unpack_state(blob)["strategy_state"]["tuner"] for blob in saves]
    assert {t["class"] for t in tuners} == {"PPOTuner"}
    first = tuners[0]["state"]["policy"]
    assert first["config"]["net_arch"] == [8] and "action_net.weight" in first["weights"]
    for tuner in tuners[1:]:
        assert same_state(tuner["state"]["policy"], first)
    assert [t["state"]["weights"] for t in tuners] != [tuners[0]["state"]["weights"]] * ROUNDS


def test_falcons_state_is_exercised_by_these_campaigns(german, parts):
    """The resumption tests above would pass vacuously if nothing was at stake: in these
    campaigns pure Falcon plays bandit arms, rewards them, postpones rows and has a
    pending reward at every save, and FACA-GEN's UCB has credited arms."""
    d0 = parts["initial"]
    pool = np.setdiff1d(parts["pool"], d0)
    states = {}
    for name, options in (("falcon", {"mix": 1.0}), ("facagen", {})):
        al = learner(german, parts, name, strategy_options=options)
        al.fit(german.X[d0], german.y[d0], german.groups[d0])
        for _ in range(ROUNDS):
            picks = al.query(german.X[pool], german.groups[pool], BATCH)
            al.teach(picks, german.y[pool[picks]])
        states[name] = unpack_state(pack_state(al.state_dict()))["strategy_state"]
    falcon = states["falcon"]
    assert len(falcon["bandits"]) == 2 and falcon["reward_scale"] > 0
    assert falcon["pending"] is not None and falcon["ledger"]["postponed"].size > 0
    ucb = states["facagen"]["tuner"]["state"]
    assert ucb["counts"].sum() == ROUNDS - 1 and ucb["last"] is not None
    assert states["facagen"]["previous"] is not None


def test_panda_resumes_without_retraining_and_keeps_the_global_torch_generator(german, parts):
    import torch

    options = options_of("panda")
    d0 = parts["initial"]
    pool = np.setdiff1d(parts["pool"], d0)
    al = learner(german, parts, "panda")
    al.fit_strategy(german.subset(np.union1d(d0, parts["validation"])))
    al.fit(german.X[d0], german.y[d0], german.groups[d0])
    saved = pack_state(al.state_dict())
    resumed = learner(german, parts, "panda", strategy_options=options)
    resumed.fit(german.X[d0], german.y[d0], german.groups[d0])
    with pytest.raises(InvalidInputError, match="trained first"):
        resumed.query(german.X[pool], german.groups[pool], BATCH)
    torch_state = torch.get_rng_state()
    resumed.load_state_dict(unpack_state(saved))
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert resumed.strategy_.training_log_ is None
    assert resumed.strategy_.training_summary_ == al.strategy_.training_summary_
    picks = resumed.query(german.X[pool], german.groups[pool], BATCH)
    np.testing.assert_array_equal(picks, al.query(german.X[pool], german.groups[pool], BATCH))


# --- strategy state errors -------------------------------------------------------------
def strategy_states():
    """A state of each stateful built-in, after two rounds on the checker's data."""
    from fairpool.active.checks import check_data

    data = check_data()
    ds = data.dataset
    out = {}
    for name in ("falcon", "facagen", "panda"):
        al = ActiveLearner(name, "logreg", seed=0, validation=ds.subset(data.validation),
                           group_names=ds.group_names, feature_names=ds.feature_names,
                           info=ds.info, strategy_options=options_of(name))
        if al.strategy_.requires_fit:
            al.fit_strategy(ds.subset(np.union1d(data.initial, data.validation)))
        al.fit(ds.X[data.initial], ds.y[data.initial], ds.groups[data.initial])
        for _ in range(2):
            picks = al.query(ds.X[data.pool], ds.groups[data.pool], 4)
            al.teach(picks, ds.y[data.pool[picks]])
        out[name] = al.strategy_.state_dict()
    return out


@pytest.fixture(scope="module")
def states():
    return strategy_states()


@pytest.mark.parametrize("loader", ["falcon", "facagen", "panda", "entropy"])
@pytest.mark.parametrize("saver", ["falcon", "facagen", "panda"])
def test_loading_another_strategys_state_is_an_error_naming_the_loader(states, loader, saver):
    if loader == saver:
        target = make_strategy(loader, **options_of(loader))
        target.load_state_dict(unpack_state(pack_state(states[saver])))
        assert same_state(unpack_state(pack_state(target.state_dict())),
                           unpack_state(pack_state(states[saver])))
        return
    with pytest.raises(InvalidInputError, match=f"strategy '{loader}'"):
        make_strategy(loader, **options_of(loader)).load_state_dict(states[saver])


@pytest.mark.parametrize("name", ["falcon", "facagen", "panda"])
def test_a_missing_key_is_an_error_naming_it(states, name):
    state = dict(states[name])
    key = sorted(state)[0]
    del state[key]
    with pytest.raises(InvalidInputError, match=f"lacks the key.*'{key}'"):
        make_strategy(name, **options_of(name)).load_state_dict(state)


def test_nested_state_errors_name_the_part(states):
    falcon = dict(states["falcon"])
    falcon["ledger"] = {k: v for k, v in falcon["ledger"].items() if k != "postponed"}
    with pytest.raises(InvalidInputError, match=r"ledger's state lacks \['postponed'\]"):
        make_strategy("falcon").load_state_dict(falcon)
    facagen = dict(states["facagen"])
    with pytest.raises(InvalidInputError, match="UCB1Tuner tuner.*FixedTuner"):
        make_strategy("facagen", tuner="fixed").load_state_dict(facagen)
    ucb = make_strategy("facagen", arms=[(0.0, 0.0), (1.0, 1.0)])
    with pytest.raises(InvalidInputError, match="6 arms, this tuner 2"):
        ucb.load_state_dict(facagen)
    panda = dict(states["panda"])
    with pytest.raises(InvalidInputError, match="does not fit this configuration"):
        make_strategy("panda", **{**options_of("panda"), "width": 16}).load_state_dict(panda)


def test_stateless_strategies_return_and_accept_only_the_empty_state():
    for name in ("entropy", "random", "group_random", "dfa2l", "fal_fast", "fairlearn"):
        strategy = make_strategy(name)
        assert strategy.state_dict() == {}
        strategy.load_state_dict({})
    with pytest.raises(InvalidInputError, match="strategy 'fairlearn'.*lacks.*selector"):
        make_strategy("fairlearn").load_state_dict({"bandits": []})
