"""AdversarialDebiasingClassifier: a predictor trained against a group adversary.

References: the gradient-reversal identity (autograd), the DANN ramp formula of Ganin
& Lempitsky (2015), the plain network (``adversary_weight=0``) on Adult, and fairlearn's
``AdversarialFairnessClassifier`` on the same split (slow test).
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
import scipy.sparse
import sklearn
import torch
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

import fairpool as fp
import fairpool.mitigation  # noqa: F401  (fp.mitigation is not loaded by `import fairpool`)
from fairpool.errors import (
    InvalidInputError,
    LengthMismatchError,
    MissingValueError,
    NonBinaryLabelError,
)
from fairpool.mitigation import AdversarialDebiasingClassifier
from fairpool.mitigation._adversarial import (
    GradientReversal,
    _projected_gradients,
    reversal_weight,
)

from .support import with_groups


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One thread for torch and BLAS: tiny fits on a shared machine run faster so."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(previous)


def _small(**options):
    return AdversarialDebiasingClassifier(
        **{"hidden_layer_sizes": (8,), "adversary_layer_sizes": (4,), "epochs": 3,
           "batch_size": 64, "device": "cpu", "random_state": 0, **options}
    )


@pytest.fixture(scope="module")
def toy():
    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    g = (X[:, 0] + np.random.default_rng(1).normal(size=300) > 0).astype(np.int64)
    return X, y, g


def _adult_split(n_rows=None):
    ds = fp.datasets.load("adult", sensitive="sex")
    if n_rows is not None:
        ds = ds.subset(np.random.default_rng(0).choice(ds.n_samples, n_rows, replace=False))
    X_train, X_test, y_train, y_test, g_train, g_test = train_test_split(
        ds.X, ds.y, ds.groups, test_size=0.3, random_state=0, stratify=ds.y
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test, g_train, g_test


def _plain_against_fair(split, options, **fair_options):
    """The plain network and a debiased one fitted on ``split``: both models and their
    (test accuracy, test DP difference)."""
    X_train, X_test, y_train, y_test, g_train, g_test = split
    models = [AdversarialDebiasingClassifier(adversary_weight=0.0, **options),
              AdversarialDebiasingClassifier(**options, **fair_options)]
    scores = [_scores(m.fit(X_train, y_train, sensitive_features=g_train), X_test, y_test,
                      g_test)[:2] for m in models]
    return models[0], models[1], scores[0], scores[1]


def _scores(model, X_test, y_test, g_test):
    predicted = np.asarray(model.predict(X_test)).astype(int)
    return (
        float(np.mean(predicted == y_test)),
        fp.metrics.demographic_parity_difference(y_test, predicted, sensitive_features=g_test),
        fp.metrics.equalized_odds_difference(y_test, predicted, sensitive_features=g_test),
    )


# -- the pieces -----------------------------------------------------------------------


@pytest.mark.parametrize("strength", [0.0, 0.3, 2.0])
def test_gradient_reversal_is_the_identity_forward_and_minus_strength_backward(strength):
    x = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0),
                    requires_grad=True)
    upstream = torch.randn(5, 3, dtype=torch.float64)
    out = GradientReversal.apply(x, strength)
    np.testing.assert_array_equal(out.detach().numpy(), x.detach().numpy())
    (out * upstream).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -strength * upstream.numpy())


def test_the_schedules_are_the_papers_ramps():
    for p in [0.0, 0.1, 0.5, 1.0]:
        assert reversal_weight("constant", p) == 1.0
        assert reversal_weight("linear", p) == p
        # Ganin & Lempitsky 2015, section 5.2.2: lambda_p = 2 / (1 + exp(-gamma p)) - 1
        assert math.isclose(reversal_weight("dann", p), 2.0 / (1.0 + math.exp(-10.0 * p)) - 1.0)
    assert reversal_weight("dann", 0.0) == 0.0


def _finite_difference_gradient(loss, params, eps=1e-6):
    """d loss / d params by central differences, one coordinate at a time (float64)."""
    grads = []
    with torch.no_grad():
        for p in params:
            g = torch.zeros_like(p)
            flat, out = p.view(-1), g.view(-1)
            for i in range(flat.numel()):
                keep = float(flat[i])
                flat[i] = keep + eps
                up = float(loss())
                flat[i] = keep - eps
                down = float(loss())
                flat[i] = keep
                out[i] = (up - down) / (2 * eps)
            grads.append(g)
    return torch.cat([g.reshape(-1) for g in grads]).numpy()


@pytest.mark.parametrize("strength", [0.0, 1.5])
def test_the_projected_update_is_zhang_et_als_equation_one(strength):
    # Zhang, Lemoine & Mitchell (2018), eq. (1): the predictor's weights move along
    # g_P - proj(g_P on g_A) - alpha g_A, the adversary's along its own gradient; the
    # gradients here come from finite differences, the formula from numpy.
    gen = torch.Generator().manual_seed(0)
    predictor = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                    torch.nn.Linear(4, 1)).double()
    adversary = torch.nn.Sequential(torch.nn.Linear(1, 3), torch.nn.Tanh(),
                                    torch.nn.Linear(3, 2)).double()
    for p in [*predictor.parameters(), *adversary.parameters()]:
        with torch.no_grad():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    X = torch.randn(20, 3, generator=gen, dtype=torch.float64)
    y = (torch.rand(20, generator=gen) > 0.5).double()
    g = (torch.rand(20, generator=gen) > 0.4).long()

    def losses():
        logit = predictor(X).squeeze(1)
        lp = torch.nn.functional.binary_cross_entropy_with_logits(logit, y)
        la = torch.nn.functional.cross_entropy(adversary(logit.unsqueeze(1)), g)
        return lp, la

    lp, la = losses()
    _projected_gradients(lp, la, predictor, adversary, strength)
    got_w = torch.cat([p.grad.reshape(-1) for p in predictor.parameters()]).numpy()
    got_u = torch.cat([p.grad.reshape(-1) for p in adversary.parameters()]).numpy()

    weights = list(predictor.parameters())
    g_p = _finite_difference_gradient(lambda: losses()[0], weights)
    g_a = _finite_difference_gradient(lambda: losses()[1], weights)
    expected_w = g_p - (g_p @ g_a) / (g_a @ g_a) * g_a - strength * g_a
    expected_u = _finite_difference_gradient(lambda: losses()[1], list(adversary.parameters()))
    np.testing.assert_allclose(got_w, expected_w, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got_u, expected_u, rtol=1e-6, atol=1e-8)
    # what is left of g_P after the projection is orthogonal to g_A
    assert abs((expected_w + strength * g_a) @ g_a) < 1e-8 * (g_a @ g_a) ** 0.5 * (
        g_p @ g_p) ** 0.5 + 1e-10


def test_the_projected_update_lowers_demographic_parity_on_an_adult_subsample(
    adult_subsample,
):
    _, _, (plain_acc, plain_dp), (fair_acc, fair_dp) = _plain_against_fair(
        adult_subsample, {"epochs": 15, "random_state": 0, "device": "cpu"},
        adversary_weight=3.0, update="projection")
    assert fair_dp < 0.5 * plain_dp
    assert fair_acc > plain_acc - 0.03


# -- behaviour -----------------------------------------------------------------------


def test_seeded_fits_are_identical_on_the_cpu(toy):
    X, y, g = toy
    first = _small(random_state=4).fit(X, y, sensitive_features=g).predict_proba(X)
    second = _small(random_state=4).fit(X, y, sensitive_features=g).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    other = _small(random_state=5).fit(X, y, sensitive_features=g).predict_proba(X)
    assert not np.array_equal(first, other)


@pytest.fixture(scope="module")
def adult_subsample():
    return _adult_split(4000)


@pytest.mark.parametrize("adversary_input", ["output", "representation"])
def test_the_adversary_lowers_demographic_parity_on_an_adult_subsample(
    adult_subsample, adversary_input
):
    g_train = adult_subsample[4]
    # 2800 rows give 165 steps: a weight of 3 (the default 10 is tuned on all of Adult,
    # 20 times the steps) already removes most of the gap
    plain, fair, (plain_acc, plain_dp), (fair_acc, fair_dp) = _plain_against_fair(
        adult_subsample, {"adversary_input": adversary_input, "epochs": 15,
                          "random_state": 0, "device": "cpu"}, adversary_weight=3.0)
    assert fair_dp < 0.6 * plain_dp
    assert fair_acc > plain_acc - 0.05
    # the adversary does worse against the debiased network; reading the output, it
    # is defeated (its loss near the entropy of the group shares)
    assert fair.adversary_loss_ > plain.adversary_loss_
    if adversary_input == "output":
        shares = np.bincount(g_train) / len(g_train)
        entropy = float(-(shares * np.log(shares)).sum())
        assert fair.adversary_loss_ > 0.95 * entropy > plain.adversary_loss_


def test_several_groups_are_predicted_jointly(toy):
    X, y, _ = toy
    g = np.array(["a", "b", "c"])[np.arange(len(y)) % 3]
    model = _small().fit(X, y, sensitive_features=g)
    assert model.group_names_ == ("a", "b", "c")
    assert model.adversary_[-1].out_features == 3
    eo = _small(constraint="equalized_odds", adversary_input="representation").fit(
        X, y, sensitive_features=g
    )
    assert eo.adversary_[0].in_features == 2 * 8 + 1  # (h, y, h * y)


# -- bad input ---------------------------------------------------------------------------


def test_bad_input_gives_fairpool_errors(toy):
    X, y, g = toy
    model = _small()
    with pytest.raises(InvalidInputError, match="sensitive_features"):
        model.fit(X, y)
    with pytest.raises(MissingValueError, match="sensitive_features"):
        model.fit(X, y, sensitive_features=np.where(g == 1, 1.0, np.nan))
    with pytest.raises(LengthMismatchError, match="sensitive_features"):
        model.fit(X, y, sensitive_features=g[:-1])
    with pytest.raises(NonBinaryLabelError, match=r"3 classes \[0, 1, 2\]"):
        model.fit(X, np.arange(len(y)) % 3, sensitive_features=g)
    with pytest.raises(TypeError):
        model.fit(scipy.sparse.csr_matrix(X), y, sensitive_features=g)
    for bad, match in [({"constraint": "parity"}, "constraint"),
                       ({"schedule": "cosine"}, "schedule"),
                       ({"adversary_input": "input"}, "adversary_input"),
                       ({"update": "confusion"}, "update"),
                       ({"adversary_weight": -1.0}, "adversary_weight"),
                       ({"epochs": 0}, "epochs"),
                       ({"adversary_layer_sizes": (0,)}, "adversary_layer_sizes")]:
        with pytest.raises(InvalidInputError, match=match):
            _small(**bad).fit(X, y, sensitive_features=g)


def test_a_single_group_warns_and_trains_the_predictor_alone(toy):
    X, y, _ = toy
    with pytest.warns(UserWarning, match="single group"):
        model = _small().fit(X, y, sensitive_features=np.zeros(len(y)))
    assert model.adversary_ is None and math.isnan(model.adversary_loss_)
    assert model.predict(X).shape == (len(y),)


def test_an_empty_group_label_cell_needs_no_special_case(toy):
    X, y, g = toy
    g = g.copy()
    g[y == 1] = 0  # group 1 has no positive rows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = _small(constraint="equalized_odds").fit(X, y, sensitive_features=g)
    assert np.isfinite(model.predict_proba(X)).all()


def test_pandas_polars_and_string_labels(toy):
    X, y, g = toy
    names = np.array(["no", "yes"])[y]
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    ref = _small().fit(X, y, sensitive_features=g).predict_proba(X)
    fitted = _small().fit(frame, pd.Series(names),
                          sensitive_features=pd.Series(np.array(["f", "m"])[g]))
    np.testing.assert_allclose(fitted.predict_proba(frame), ref, atol=1e-6)
    assert set(fitted.predict(frame)) <= {"no", "yes"}
    polar = _small().fit(pl.DataFrame(frame), pl.Series(y), sensitive_features=pl.Series(g))
    np.testing.assert_allclose(polar.predict_proba(pl.DataFrame(frame)), ref, atol=1e-6)


# -- scikit-learn, the loop, the device ------------------------------------------------------

# The test-only subclass lives in this module under its own name, so that the checks
# that pickle a fitted estimator can find its class.
AdversarialDebiasingClassifierWithGroups = with_groups(AdversarialDebiasingClassifier)


@parametrize_with_checks(
    [AdversarialDebiasingClassifierWithGroups(
        # min_steps=0: the checks' tiny sets keep exactly 20 epochs (seconds, not minutes)
        hidden_layer_sizes=(8,), adversary_layer_sizes=(4,), epochs=20, min_steps=0,
        batch_size=32,
        learning_rate=1e-2, adversary_weight=1.0, device="cpu", random_state=0)],
    expected_failed_checks=lambda estimator: {
        "check_sample_weight_equivalence_on_dense_data": (
            "mini-batch training: repeating a row changes the batches (their number and "
            "which rows share one), so the fit differs from weighting the row, which "
            "only rescales its loss within its batch"
        ),
    },
    xfail_strict=True,
)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "AdversarialDebiasingClassifier", UserWarning)
        check(estimator)


def test_groups_reach_it_through_a_pipeline(toy):
    X, y, g = toy
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler(),
            _small().set_fit_request(sensitive_features=True, sample_weight=False),
        )
        routed = pipe.fit(X, y, sensitive_features=g).predict_proba(X)
    Z = StandardScaler().fit_transform(X)
    np.testing.assert_array_equal(routed, _small().fit(Z, y, sensitive_features=g).predict_proba(Z))


def test_it_runs_as_the_learner_of_an_active_learning_campaign():
    ds = fp.datasets.load("adult", sensitive="sex")
    ds = ds.subset(np.random.default_rng(0).choice(ds.n_samples, 2000, replace=False))
    history = fp.active.run(
        ds, strategy="entropy", budget=40, batch_size=20, seed=0,
        # ~140 rows make one batch an epoch: a moderate weight, so the predictor learns
        learner=AdversarialDebiasingClassifier(adversary_weight=3.0, device="cpu"),
        metrics=["accuracy", "demographic_parity"],
    )
    assert history.final["n_labelled"] > 40
    assert 0.5 < history.final["accuracy"] <= 1.0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_auto_trains_on_cuda_when_present(toy):
    X, y, g = toy
    model = _small(device="auto").fit(X, y, sensitive_features=g)
    assert model.estimator_.device_.type == "cuda"
    assert next(model.adversary_.parameters()).device.type == "cuda"
    cpu = _small().fit(X, y, sensitive_features=g)
    np.testing.assert_allclose(model.predict_proba(X), cpu.predict_proba(X), atol=1e-3)


# -- the target on all of Adult, beside fairlearn ------------------------------------


@pytest.mark.slow
def test_demographic_parity_below_005_within_two_points_of_the_plain_network_on_adult():
    """Issue 13's target: DP < 0.05 on Adult (sex) at accuracy within 2 points of the
    same network without the adversary; fairlearn's AdversarialFairnessClassifier
    (torch, the same architecture, epochs and batches) on the same split beside it."""
    from fairlearn.adversarial import AdversarialFairnessClassifier

    X_train, X_test, y_train, y_test, g_train, g_test = _adult_split()
    started = time.perf_counter()
    fair = AdversarialDebiasingClassifier(device="cpu", random_state=0).fit(
        X_train, y_train, sensitive_features=g_train
    )
    seconds = time.perf_counter() - started
    plain = AdversarialDebiasingClassifier(device="cpu", random_state=0, adversary_weight=0.0)
    plain_acc, plain_dp, _ = _scores(plain.fit(X_train, y_train, sensitive_features=g_train),
                                     X_test, y_test, g_test)
    fair_acc, fair_dp, _ = _scores(fair, X_test, y_test, g_test)
    assert fair_dp < 0.05 < plain_dp
    assert fair_acc > plain_acc - 0.02
    assert seconds < 60

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fairlearn's own deprecation and pandas warnings
        reference = AdversarialFairnessClassifier(
            backend="torch", predictor_model=[64, "relu"], adversary_model=[32, "relu"],
            epochs=20, batch_size=256, shuffle=True, learning_rate=1e-3, random_state=0,
        ).fit(X_train, y_train, sensitive_features=g_train)
        ref_acc, ref_dp, _ = _scores(reference, X_test, y_test, g_test)
    # measured: fairpool 0.840 / 0.015, fairlearn (alpha=1) 0.845 / 0.046
    assert fair_dp < ref_dp
    assert fair_acc > ref_acc - 0.01


def test_a_collapse_to_one_class_warns():
    # genomes1000's genotypes predict both the superpopulation and the label: the
    # default reversal strength wins by predicting one class for everyone (seed 1).
    ds = fp.datasets.load("genomes1000", sensitive="superpopulation")
    with threadpool_limits(1), pytest.warns(UserWarning, match="overpowered the predictor"):
        model = AdversarialDebiasingClassifier(device="cpu", random_state=1).fit(
            ds.X, ds.y, sensitive_features=ds.groups)
    assert np.unique(model.predict(ds.X)).size == 1


def test_no_collapse_warning_when_the_predictor_keeps_both_classes(toy):
    X, y, g = toy
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = _small().fit(X, y, sensitive_features=g)
    assert np.unique(model.predict(X)).size == 2
