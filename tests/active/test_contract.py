"""The contract every registered strategy fulfils, checked by fairpool.active.checks.

Each registered strategy (picked up from available_strategies(), so a new one is
checked without editing this file) goes through every check of
:mod:`fairpool.active.checks`: k distinct pool positions, the same picks under the
same seed, picks blind to the hidden pool labels, parameters stored unchanged
(get_params / set_params / clone), select leaving the model and the state alone, a
JSON-serialisable last_info, a clonable wrap_learner, and training through
fit_strategy for strategies that require it. Strategies that are slow at default
settings declare small options in ``contract_test_options``.
"""

from __future__ import annotations

import dataclasses
import inspect

from fairpool.active import Pool, Strategy, available_strategies, strategies, strategy_class
from fairpool.active.checks import parametrize_with_checks

STRATEGIES = available_strategies()


def test_the_builtin_strategies_are_registered():
    assert {"random", "entropy", "margin", "least_confident", "group_random"} <= set(STRATEGIES)


def test_every_builtin_strategy_class_is_registered_and_nothing_else():
    exported = {
        obj
        for obj in (getattr(strategies, name) for name in strategies.__all__)
        if inspect.isclass(obj) and issubclass(obj, Strategy)
    }
    registered = {strategy_class(name) for name in STRATEGIES}
    # FairReductionSampling is the configurable base of the two registered fairlearn baselines.
    assert exported - registered == {strategies.FairReductionSampling}
    assert registered <= exported


def test_the_pool_type_has_no_label_field():
    assert "y" not in {f.name for f in dataclasses.fields(Pool)}


@parametrize_with_checks(STRATEGIES)
def test_every_registered_strategy_keeps_the_contract(strategy, check):
    check(strategy)
