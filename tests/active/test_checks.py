"""fairpool.active.checks catches broken strategies; the registry refuses bad registrations;
a strategy written outside fairpool registers, passes the checks and runs (docs/contributing.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from toy_strategy import GroupBalancedLogisticRegression, MinorityEntropySampling

import fairpool as fp
from fairpool.active import Strategy, check_query_size, top_k
from fairpool.active.checks import (
    all_checks,
    check_data,
    check_strategy,
    parametrize_with_checks,
)
from fairpool.errors import InvalidInputError, RegistrationError, StrategyCheckError


# --- deliberately broken strategies -------------------------------------------------------
class DuplicatePicks(Strategy):
    def select(self, state, k, rng):
        return np.zeros(k, dtype=np.int64)


class GlobalRandom(Strategy):
    def select(self, state, k, rng):
        return np.random.permutation(len(state.pool))[:k]  # noqa: NPY002 -- not the given rng


class _EntropyTop(Strategy):
    def select(self, state, k, rng):
        k = check_query_size(k, len(state.pool))
        return top_k(-np.abs(state.pool_proba[:, 1] - 0.5), k, rng)


class ConvertsInInit(_EntropyTop):
    def __init__(self, *, alpha: float = 0.5) -> None:
        self.alpha = float(alpha)  # validation/conversion belongs in select


class RefitsTheModel(_EntropyTop):
    def select(self, state, k, rng):
        state.model.fit(state.labelled.X, 1 - state.labelled.y)  # the loop's model, changed
        return super().select(state, k, rng)


class NonJsonInfo(_EntropyTop):
    def select(self, state, k, rng):
        picks = super().select(state, k, rng)
        self.last_info = {"scores": state.pool_proba[picks, 1]}  # an ndarray is not JSON
        return picks


class SelectsWithoutFit(_EntropyTop):
    requires_fit = True  # ... but select works untrained


class _Rewrites(BaseEstimator, ClassifierMixin):
    def __init__(self, base=None):
        self.base = [base]  # modifies its parameter: clone refuses to copy it

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)


class BadWrap(_EntropyTop):
    def wrap_learner(self, learner):
        return _Rewrites(learner)


class BinaryOnlyUnchecked(_EntropyTop):
    """Uses a binary-only computation without declaring needs_binary_labels: on 3-class
    labels scikit-learn's own error escapes (FACA-GEN's fault, issue 11 fault 2)."""

    def select(self, state, k, rng):
        from sklearn.metrics import f1_score

        f1_score(state.labelled.y, state.model.predict(state.labelled.X))  # average="binary"
        return super().select(state, k, rng)


class DeclaresButSelects(_EntropyTop):
    needs_binary_labels = True


class ForgetsItsRounds(_EntropyTop):
    """Explores (least certain rows) for two selections, then exploits, counting its calls
    without saving the count: resumed in a new process it explores again."""

    def select(self, state, k, rng):
        self._calls = vars(self).get("_calls", 0) + 1
        k = check_query_size(k, len(state.pool))
        scores = np.abs(state.pool_proba[:, 1] - 0.5)
        return top_k(-scores if self._calls <= 2 else scores, k, rng)


class RemembersItsRounds(ForgetsItsRounds):
    """The same strategy with its count in the state: it resumes."""

    def state_dict(self):
        return {"calls": vars(self).get("_calls", 0)}

    def load_state_dict(self, state):
        self._calls = self._check_state_keys(state, ("calls",))["calls"]


class UnpackableState(RemembersItsRounds):
    def state_dict(self):
        return {"calls": vars(self).get("_calls", 0), "scores": object()}


class LoadsPartOfItsState(RemembersItsRounds):
    def select(self, state, k, rng):
        self._seen = [*vars(self).get("_seen", []), len(state.pool)]
        return super().select(state, k, rng)

    def state_dict(self):
        return {"calls": vars(self).get("_calls", 0), "seen": list(vars(self).get("_seen", []))}

    def load_state_dict(self, state):
        self._calls = state["calls"]  # and forgets "seen"


@pytest.mark.parametrize(
    ("broken", "failed"),
    [
        (DuplicatePicks, "check_select_picks"),
        (GlobalRandom, "check_deterministic"),
        (ConvertsInInit, "check_init_stores_params"),
        (RefitsTheModel, "check_select_leaves_model_and_state"),
        (NonJsonInfo, "check_last_info"),
        (SelectsWithoutFit, "check_fit"),
        (BadWrap, "check_wrap_learner"),
        (BinaryOnlyUnchecked, "check_labels_beyond_binary"),
        (ForgetsItsRounds, "check_resumable"),
        (UnpackableState, "check_resumable"),
        (LoadsPartOfItsState, "check_resumable"),
    ],
)
def test_the_checker_names_the_broken_rule(broken, failed):
    with pytest.raises(StrategyCheckError) as caught:
        check_strategy(broken())
    assert caught.value.check == failed
    assert broken.__name__ in caught.value.strategy and failed in str(caught.value)
    assert isinstance(caught.value, AssertionError)  # pytest shows it as a failed assertion


def test_the_checker_runs_single_checks_and_lists_them():
    names = list(all_checks())
    assert names[0] == "check_init_stores_params" and len(names) == len(set(names)) == 11
    assert names[-1] == "check_resumable"
    assert check_strategy("random", checks=["check_select_picks"]) == ["check_select_picks"]
    with pytest.raises(StrategyCheckError, match="check_select_picks"):
        all_checks()["check_select_picks"](DuplicatePicks())
    with pytest.raises(InvalidInputError, match="unknown checks"):
        check_strategy("random", checks=["check_everything"])
    with pytest.raises(InvalidInputError, match="Strategy"):
        check_strategy(object())


def test_the_checker_builds_small_deterministic_data_or_splits_yours():
    default = check_data()
    assert default is check_data() and default.dataset.n_samples == 200
    parts = (default.initial, default.validation, default.pool)
    assert sum(p.size for p in parts) == np.unique(np.concatenate(parts)).size  # disjoint
    assert set(np.unique(default.dataset.y[default.initial])) == {0, 1}
    german = check_data(fp.datasets.load("german"))
    assert german.pool.size == 100 and german.validation.size == 100


@parametrize_with_checks([MinorityEntropySampling])
def test_parametrize_with_checks_makes_one_case_per_pair(strategy, check):
    check(strategy)


def test_a_strategy_that_saves_its_state_resumes_and_the_checker_says_why_one_fails():
    assert check_strategy(RemembersItsRounds(), checks=["check_resumable"])
    with pytest.raises(StrategyCheckError, match="must return that state from state_dict"):
        check_strategy(ForgetsItsRounds(), checks=["check_resumable"])
    with pytest.raises(StrategyCheckError, match="pack_state cannot store.*object"):
        check_strategy(UnpackableState(), checks=["check_resumable"])
    with pytest.raises(StrategyCheckError, match="load_state_dict must restore everything"):
        check_strategy(LoadsPartOfItsState(), checks=["check_resumable"])


@pytest.mark.parametrize("name", ["falcon", "facagen", "panda"])
def test_the_resumable_check_catches_a_builtin_whose_state_hooks_are_removed(name):
    """The check has power on its small data: Falcon, FACA-GEN and PANDA without their
    state fail it (so their passing in test_contract.py means their hooks work)."""
    base = fp.active.strategy_class(name)
    forgetful = type(f"Forgetful{base.__name__}", (base,), {
        "state_dict": lambda self: {},
        "load_state_dict": lambda self, state: None,
    })
    with pytest.raises(StrategyCheckError) as caught:
        check_strategy(forgetful(**dict(base.contract_test_options)),
                       checks=["check_resumable"])
    assert caught.value.check == "check_resumable"


# --- a strategy and a learner written outside fairpool (docs/contributing.md) -------------
def test_a_toy_strategy_and_learner_register_pass_the_checks_and_run():
    strategy, learner = "toy_minority_entropy", "toy_balanced_logreg"
    fp.active.register_strategy(strategy, MinorityEntropySampling)
    fp.learners.register_learner(learner, GroupBalancedLogisticRegression)
    try:
        assert strategy in fp.active.available_strategies()
        check_strategy(MinorityEntropySampling())
        history = fp.active.run(
            fp.datasets.load("german"),
            strategy=strategy,
            learner=learner,
            budget=40,
            batch_size=20,
            seed=0,
            metrics=["accuracy", "demographic_parity"],
        )
        labelled = history.frame["n_labelled"]
        assert labelled.iloc[-1] - labelled.iloc[0] == 40
        assert history.frame["strategy_minority"].iloc[-1] in ("<=25", ">25")
        with pytest.raises(InvalidInputError, match="bonus"):
            fp.active.make_strategy(strategy, bonus=-1.0)  # built by name: checked at once
    finally:
        fp.active.unregister_strategy(strategy)
        fp.learners.unregister_learner(learner)
    assert strategy not in fp.active.available_strategies()
    assert learner not in fp.learners.available_learners()


def test_the_toy_learner_uses_sensitive_features_as_fit_metadata():
    ds = fp.datasets.load("german")
    plain = GroupBalancedLogisticRegression().fit(ds.X, ds.y)
    balanced = clone(plain).fit(ds.X, ds.y, sensitive_features=ds.groups)
    assert not np.allclose(plain.predict_proba(ds.X), balanced.predict_proba(ds.X))


# --- the registry ---------------------------------------------------------------------------
def test_bad_registrations_raise_registration_errors():
    fp.active.available_strategies()  # the built-ins are loaded
    with pytest.raises(RegistrationError, match="lower-case identifier"):
        fp.active.register_strategy("Toy-Strategy", MinorityEntropySampling)
    with pytest.raises(RegistrationError, match="subclass of fairpool.active.Strategy"):
        fp.active.register_strategy("toy_not_a_strategy", object)
    with pytest.raises(RegistrationError, match="subclass of fairpool.active.Strategy"):
        fp.active.register_strategy("toy_an_instance", MinorityEntropySampling())
    with pytest.raises(RegistrationError, match="already registered"):
        fp.active.register_strategy("entropy", MinorityEntropySampling)
    assert "toy_not_a_strategy" not in fp.active.available_strategies()


_ENTRY_POINTS = """
import importlib.metadata as md
import fairpool as fp
from fairpool.errors import RegistrationError

def only(*entries):
    return lambda group=None, **kw: [e for e in entries if e.group == group]

group = "fairpool.strategies"
md.entry_points = only(md.EntryPoint("broken_ep", "no_such_module_for_fairpool:Thing", group))
try:
    fp.active.available_strategies()
except RegistrationError as exc:
    print("error:", exc)
md.entry_points = only(md.EntryPoint("toy_ep", "toy_strategy:MinorityEntropySampling", group))
names = fp.active.available_strategies()
print("toy_ep" in names, type(fp.active.make_strategy("toy_ep")).__name__)
"""


def test_entry_points_register_and_a_broken_one_is_an_error_naming_it():
    # A fresh interpreter: the registry reads the entry points once, at its first use.
    out = subprocess.run(
        [sys.executable, "-c", _ENTRY_POINTS],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
        timeout=120,
        check=True,
    ).stdout.splitlines()
    assert out[0].startswith("error:") and "'broken_ep'" in out[0]
    assert "fairpool.strategies" in out[0] and "failed to load" in out[0]
    assert out[1] == "True MinorityEntropySampling"


def test_facagen_on_three_classes_raises_the_shared_label_error():
    # issue 11, fault 2: it ended in scikit-learn's "Target is multiclass but average='binary'"
    from fairpool.errors import NonBinaryLabelError

    rng = np.random.default_rng(0)
    X, y, g = rng.normal(size=(60, 3)), rng.integers(0, 3, 60), rng.integers(0, 2, 60)
    for name in ("facagen", "fal_fast", "falcon"):
        al = fp.active.ActiveLearner(name, "logreg", seed=0).fit(X[:30], y[:30], g[:30])
        with pytest.raises(NonBinaryLabelError, match=f"strategy '{name}' needs binary 0/1"):
            al.query(X[30:], g[30:], 3)


def test_a_strategy_that_declares_binary_labels_is_stopped_by_the_loop():
    # the loop applies the shared check for it, so the declaration alone is enough
    check_strategy(DeclaresButSelects(), checks=["check_labels_beyond_binary"])


def test_a_name_clashing_with_a_builtin_is_refused_even_before_first_use():
    # the registry loads the built-ins before accepting a user's name, so the clash is
    # reported where the user registers, not later when the built-ins happen to load
    code = (
        "import fairpool.active as a\n"
        "class Mine(a.Strategy):\n"
        "    def select(self, state, k, rng): return a.top_k(rng.random(len(state.pool)), k, rng)\n"
        "try:\n"
        "    a.register_strategy('entropy', Mine)\n"
        "except Exception as e:\n"
        "    print(type(e).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "RegistrationError"
