"""Every registered mitigation saves and loads with skops (no pickle), same predictions.

Issue 13: ``fairpool mitigate --out`` writes the fitted model with ``skops.io``. The
reference is the model itself: the loaded copy must give the same probabilities and
labels, and the file must ask to trust only fairpool, scikit-learn, numpy, XGBoost or
fairlearn types (never a generic callable such as ``builtins.eval`` or a pickle hook).
"""

import inspect

import numpy as np
import pytest
import skops.io
from sklearn.preprocessing import StandardScaler

import fairpool as fp

_TRUSTED_PACKAGES = {"fairpool", "sklearn", "numpy", "xgboost", "fairlearn"}
_SMALL = {"penalty": {"max_iter": 20}, "adversarial": {"epochs": 3}}
_NAMES = ("reweighing", "resampling", "correlation_remover", "penalty", "adversarial",
          "reduction", "thresholds", "voting")


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def adult():
    """A seeded 400-row subsample of Adult (sex), standardised."""
    ds = fp.datasets.load("adult", sensitive="sex")
    ds = ds.subset(np.random.default_rng(0).choice(ds.n_samples, 400, replace=False))
    return StandardScaler().fit_transform(ds.X), np.asarray(ds.y), np.asarray(ds.groups)


def _group_keyword(method, groups):
    takes = "sensitive_features" in inspect.signature(method).parameters
    return {"sensitive_features": groups} if takes else {}


@pytest.mark.parametrize("name", _NAMES)
def test_a_fitted_mitigation_round_trips_through_skops(name, adult):
    X, y, groups = adult
    try:
        model = fp.learners.make_learner(name, **_SMALL.get(name, {}))
    except fp.errors.InvalidInputError:  # no such option for this learner: its defaults
        model = fp.learners.make_learner(name)
    model.fit(X, y, sensitive_features=groups)
    blob = skops.io.dumps(model)
    types = skops.io.get_untrusted_types(data=blob)
    foreign = [t for t in types if t.split(".")[0] not in _TRUSTED_PACKAGES]
    assert not foreign
    loaded = skops.io.loads(blob, trusted=types)
    assert type(loaded) is type(model)
    proba_kw = _group_keyword(model.predict_proba, groups)
    predict_kw = _group_keyword(model.predict, groups)
    np.testing.assert_array_equal(loaded.predict_proba(X, **proba_kw),
                                  model.predict_proba(X, **proba_kw))
    np.testing.assert_array_equal(loaded.predict(X, **predict_kw), model.predict(X, **predict_kw))


def test_resampler_counts_and_threshold_tables_survive_the_round_trip(adult):
    X, y, groups = adult
    resampled = fp.mitigation.ResampledClassifier().fit(X, y, sensitive_features=groups)
    thresholds = fp.mitigation.GroupThresholdClassifier(random_state=0).fit(
        X, y, sensitive_features=groups)
    for model in (resampled, thresholds):
        blob = skops.io.dumps(model)
        loaded = skops.io.loads(blob, trusted=skops.io.get_untrusted_types(data=blob))
        if model is resampled:
            assert loaded.resampler_.target_counts_ == model.resampler_.target_counts_
        else:
            assert loaded.thresholds_.equals(model.thresholds_)
            assert loaded.holdout_rates_.equals(model.holdout_rates_)
