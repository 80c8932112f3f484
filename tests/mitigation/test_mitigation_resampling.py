"""GroupResampler and ResampledClassifier: exact cell sizes, imbalanced-learn run by hand
on the cell ids, SMOTE's synthetic rows inside their group and label, seeds, fallbacks,
bad input, the imbalanced-learn Pipeline, parity on Adult, the loop, estimator checks."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
import scipy.sparse as sp
import sklearn
from imblearn.over_sampling import SMOTE, SMOTENC, RandomOverSampler
from imblearn.pipeline import make_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

import fairpool as fp
from fairpool.errors import InvalidInputError, LengthMismatchError, MissingValueError
from fairpool.mitigation import FairReductionClassifier, GroupResampler, ResampledClassifier

from .support import with_groups

# fairlearn 0.15 on pandas 3 warns about its own Series.at use; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Setting a value on a Series via .at")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One BLAS thread: tiny fits on a small shared machine contend otherwise."""
    with threadpool_limits(1):
        yield


def _data(n=160, seed=0, n_groups=2):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, n_groups, n)
    X = rng.normal(size=(n, 3)) + g[:, None]
    y = (X[:, 0] + 0.3 * rng.normal(size=n) > 0.9).astype(int)
    return X, y, g


def _cell_counts(groups, y):
    return pd.crosstab(pd.Series(groups, name="g"), pd.Series(y, name="y"))


def _expected_targets(counts: pd.DataFrame, method, sampling):
    """The docstring's table, computed independently with pandas and fractions."""
    grow = method != "undersample"
    if sampling == "balance":
        size = counts.to_numpy().max() if grow else counts.to_numpy().min()
        return pd.DataFrame(size, index=counts.index, columns=counts.columns)
    if sampling == "within_group":
        per = counts.max(axis=1) if grow else counts.min(axis=1)
        return pd.DataFrame({c: per for c in counts.columns})
    n_g, n_c = counts.sum(axis=1), counts.sum(axis=0)
    ratio = counts / np.outer(n_g, n_c)
    r = ratio.to_numpy().max() if grow else ratio.to_numpy().min()
    rounding = math.ceil if grow else math.floor
    return pd.DataFrame(
        {c: [max(1, rounding(round(n_g[g] * n_c[c] * r, 9))) for g in counts.index]
         for c in counts.columns}, index=counts.index,
    )


@pytest.mark.parametrize("method", ["oversample", "undersample", "smote"])
@pytest.mark.parametrize("sampling", ["balance", "within_group", "independent"])
def test_cell_counts_equal_the_targets_exactly(method, sampling):
    X, y, g = _data()
    sampler = GroupResampler(method, sampling=sampling, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y, sensitive_features=g)
    expected = _expected_targets(_cell_counts(g, y), method, sampling)
    pd.testing.assert_frame_equal(
        _cell_counts(sampler.sensitive_features_, y_res), expected, check_dtype=False,
        check_names=False,
    )
    assert X_res.shape == (len(y_res), 3)
    assert sampler.target_counts_ == {
        (str(gi), int(c)): int(expected.loc[gi, c]) for gi in (0, 1) for c in (0, 1)
    }


def test_independent_sampling_keeps_the_base_rate_in_every_group():
    X, y, g = _data(n=400, seed=3)
    for method in ("oversample", "undersample"):
        sampler = GroupResampler(method, sampling="independent", random_state=0)
        _, y_res = sampler.fit_resample(X, y, sensitive_features=g)
        for group in (0, 1):
            rows = sampler.sensitive_features_ == group
            # one row of rounding per cell
            assert abs(y_res[rows].mean() - y.mean()) <= 1.0 / rows.sum()


@pytest.mark.parametrize("method", ["oversample", "undersample"])
def test_random_sampling_equals_imbalanced_learn_on_the_cell_ids(method):
    X, y, g = _data(seed=1)
    sampler = GroupResampler(method, random_state=7)
    X_res, y_res = sampler.fit_resample(X, y, sensitive_features=g)
    cells = 2 * g + y
    counts = np.bincount(cells)
    size = counts.max() if method == "oversample" else counts.min()
    cls = RandomOverSampler if method == "oversample" else RandomUnderSampler
    reference = cls(sampling_strategy=dict.fromkeys(range(4), int(size)), random_state=7)
    X_ref, cells_ref = reference.fit_resample(X, cells)
    np.testing.assert_array_equal(X_res, X_ref)
    np.testing.assert_array_equal(y_res, cells_ref % 2)
    np.testing.assert_array_equal(sampler.sensitive_features_, cells_ref // 2)
    np.testing.assert_array_equal(sampler.sample_indices_, reference.sample_indices_)
    np.testing.assert_array_equal(X[sampler.sample_indices_], X_res)


def test_smote_equals_imbalanced_learn_run_on_each_group_by_hand():
    X, y, g = _data(seed=2)
    sampler = GroupResampler("smote", k_neighbors=3, random_state=11)
    X_res, y_res = sampler.fit_resample(X, y, sensitive_features=g)
    size = int(np.bincount(2 * g + y).max())
    rng = check_random_state(11)
    parts_X, parts_y = [X], [y]
    for group in (0, 1):
        seed = rng.randint(2**31 - 1)
        rows = g == group
        ref = SMOTE(sampling_strategy={0: size, 1: size}, k_neighbors=3, random_state=seed)
        X_g, y_g = ref.fit_resample(X[rows], y[rows])
        parts_X.append(X_g[rows.sum():])
        parts_y.append(y_g[rows.sum():])
    np.testing.assert_array_equal(X_res, np.concatenate(parts_X))
    np.testing.assert_array_equal(y_res, np.concatenate(parts_y))
    assert not hasattr(sampler, "sample_indices_")


def _on_a_segment(point, rows, tol=1e-9):
    """Whether ``point`` = a + t (b - a) for rows a, b and t in [0, 1] (brute force)."""
    for a in rows:
        d = point - a
        if np.linalg.norm(d) < tol:
            return True
        for b in rows:
            e = b - a
            t = d @ e / (e @ e) if e @ e > 0 else -1.0
            if 0 <= t <= 1 + tol and np.linalg.norm(d - t * e) < tol:
                return True
    return False


def test_smote_synthetic_rows_lie_between_rows_of_their_own_group_and_label():
    X, y, g = _data(n=80, seed=4)
    sampler = GroupResampler("smote", random_state=0)
    X_res, y_res = sampler.fit_resample(X, y, sensitive_features=g)
    groups_res = sampler.sensitive_features_
    synthetic = np.arange(len(y), len(y_res))
    assert synthetic.size > 20
    for i in synthetic:
        own = X[(g == groups_res[i]) & (y == y_res[i])]
        assert _on_a_segment(X_res[i], own)
        other = X[(g != groups_res[i]) & (y == y_res[i])]
        assert not _on_a_segment(X_res[i], other)  # the other group's rows do not give it


def test_smotenc_with_a_categorical_column():
    X, y, g = _data(n=120, seed=5)
    X = np.column_stack([X, np.random.default_rng(0).integers(0, 3, len(y))])
    sampler = GroupResampler("smote", categorical_features=[3], random_state=2)
    X_res, y_res = sampler.fit_resample(X, y, sensitive_features=g)
    rng = check_random_state(2)
    size = int(np.bincount(2 * g + y).max())
    parts = [X]
    for group in (0, 1):
        rows = g == group
        ref = SMOTENC([3], sampling_strategy={0: size, 1: size}, random_state=rng.randint(
            2**31 - 1))
        parts.append(ref.fit_resample(X[rows], y[rows])[0][rows.sum():])
    np.testing.assert_array_equal(X_res, np.concatenate(parts))
    assert set(np.unique(X_res[:, 3])) <= {0.0, 1.0, 2.0}


def test_seeded_runs_repeat_and_other_seeds_differ():
    X, y, g = _data()
    for method in ("oversample", "undersample", "smote"):
        first = GroupResampler(method, random_state=3).fit_resample(X, y, sensitive_features=g)
        again = GroupResampler(method, random_state=3).fit_resample(X, y, sensitive_features=g)
        other = GroupResampler(method, random_state=4).fit_resample(X, y, sensitive_features=g)
        np.testing.assert_array_equal(first[0], again[0])
        assert not np.array_equal(first[0], other[0])


# -- fallbacks ------------------------------------------------------------------------


def test_smote_lowers_k_for_a_small_cell_and_copies_a_single_row():
    X, y, g = _data(n=120, seed=6)
    small = np.flatnonzero((g == 0) & (y == 1))
    keep = np.ones(len(y), bool)
    keep[small[3:]] = False  # group 0 keeps 3 positives
    X, y, g = X[keep], y[keep], g[keep]
    with pytest.warns(UserWarning, match="group '0': a label to grow has 3 rows.*k_neighbors=2"):
        X_res, y_res = GroupResampler("smote", random_state=0).fit_resample(
            X, y, sensitive_features=g
        )
    assert np.bincount(2 * g + y).max() * 4 == len(y_res)
    keep = np.ones(len(y), bool)
    keep[np.flatnonzero((g == 0) & (y == 1))[1:]] = False  # now a single positive
    X, y, g = X[keep], y[keep], g[keep]
    with pytest.warns(UserWarning, match="group '0'.*one row.*at random"):
        sampler = GroupResampler("smote", random_state=0)
        X_res, y_res = sampler.fit_resample(X, y, sensitive_features=g)
    copies = (sampler.sensitive_features_ == 0) & (y_res == 1)
    np.testing.assert_array_equal(np.unique(X_res[copies], axis=0), X[(g == 0) & (y == 1)])


@pytest.mark.parametrize("method", ["oversample", "undersample", "smote"])
def test_an_empty_cell_warns_naming_the_group_and_stays_empty(method):
    X, y, g = _data(n=120, seed=7, n_groups=3)
    y[g == 2] = 0  # group 2 has no positives
    with pytest.warns(UserWarning, match="group '2' has no rows with label 1"):
        sampler = GroupResampler(method, random_state=0)
        _, y_res = sampler.fit_resample(X, y, sensitive_features=g)
    counts = _cell_counts(sampler.sensitive_features_, y_res)
    assert counts.loc[2, 1] == 0
    present = _cell_counts(g, y).to_numpy()
    size = present[present > 0].max() if method != "undersample" else present[present > 0].min()
    assert set(counts.to_numpy()[present > 0]) == {size}


def test_a_single_group_balances_the_labels_with_a_warning():
    X, y, _ = _data()
    with pytest.warns(UserWarning, match="single group"):
        _, y_res = GroupResampler(random_state=0).fit_resample(
            X, y, sensitive_features=np.zeros(len(y))
        )
    assert np.bincount(y_res)[0] == np.bincount(y_res)[1] == np.bincount(y).max()


# -- bad input ------------------------------------------------------------------------


def test_bad_input():
    X, y, g = _data(n=40)
    with pytest.raises(MissingValueError):
        GroupResampler().fit_resample(X, y, sensitive_features=np.where(g == 0, np.nan, 1.0))
    with pytest.raises(LengthMismatchError, match="one group per row"):
        GroupResampler().fit_resample(X, y, sensitive_features=g[:-1])
    with pytest.raises(LengthMismatchError):
        GroupResampler().fit_resample(X, y[:-1], sensitive_features=g)
    with pytest.raises(InvalidInputError, match="needs sensitive_features"):
        GroupResampler().fit_resample(X, y)
    with pytest.raises(InvalidInputError, match="single class"):
        GroupResampler().fit_resample(X, np.ones(40), sensitive_features=g)
    with pytest.raises(InvalidInputError, match="method must be one of"):
        GroupResampler("smoote").fit_resample(X, y, sensitive_features=g)
    with pytest.raises(InvalidInputError, match="sampling must be one of"):
        GroupResampler(sampling="equal").fit_resample(X, y, sensitive_features=g)
    with pytest.raises(InvalidInputError, match="k_neighbors"):
        GroupResampler("smote", k_neighbors=0).fit_resample(X, y, sensitive_features=g)
    with pytest.raises(InvalidInputError, match="method='smote' only"):
        GroupResampler(categorical_features=[0]).fit_resample(X, y, sensitive_features=g)
    with pytest.raises(TypeError):
        GroupResampler().fit_resample(sp.csr_matrix(X), y, sensitive_features=g)
    with pytest.raises(InvalidInputError):
        ResampledClassifier().fit(X, y)


def test_three_labels_and_named_groups_from_pandas_and_polars():
    X, _, g = _data(n=150, seed=8)
    y = np.digitize(X[:, 1], [0.0, 1.0])
    names = np.where(g == 0, "F", "M")
    sampler = GroupResampler(random_state=0)
    X_res, y_res = sampler.fit_resample(
        pd.DataFrame(X), pd.Series(y), sensitive_features=pd.Series(names)
    )
    counts = _cell_counts(sampler.sensitive_features_, y_res)
    assert counts.shape == (2, 3) and len(set(counts.to_numpy().ravel())) == 1
    assert set(sampler.sensitive_features_) == {"F", "M"}
    again = GroupResampler(random_state=0).fit_resample(
        pl.DataFrame(X), pl.Series(y), sensitive_features=names
    )
    np.testing.assert_array_equal(again[0], X_res)
    frame = pd.DataFrame({"sex": names, "band": g})  # intersections: the names come back
    sampler.fit_resample(X, y, sensitive_features=frame)
    assert set(sampler.sensitive_features_) == {"F|0", "M|1"}


# -- the imbalanced-learn Pipeline ----------------------------------------------------


def test_in_an_imbalanced_learn_pipeline_with_metadata_routing():
    X, y, g = _data()
    with sklearn.config_context(enable_metadata_routing=True):
        step = GroupResampler(random_state=0).set_fit_resample_request(sensitive_features=True)
        pipe = make_pipeline(step, LogisticRegression()).fit(X, y, sensitive_features=g)
        X_res, y_res = GroupResampler(random_state=0).fit_resample(X, y, sensitive_features=g)
        by_hand = LogisticRegression().fit(X_res, y_res)
        np.testing.assert_array_equal(pipe[-1].coef_, by_hand.coef_)
        # documented limit: the routed groups are not resampled for a later step
        later = FairReductionClassifier(max_iter=1).set_fit_request(sensitive_features=True)
        with pytest.raises(LengthMismatchError):
            make_pipeline(clone(step), later).fit(X, y, sensitive_features=g)
    with pytest.raises(InvalidInputError, match="needs sensitive_features"):
        make_pipeline(GroupResampler(), LogisticRegression()).fit(X, y)


# -- ResampledClassifier --------------------------------------------------------------


def test_resampled_classifier_equals_fitting_on_the_resampled_rows_by_hand():
    X, y, g = _data()
    sampler = GroupResampler("smote", random_state=5)
    clf = ResampledClassifier(LogisticRegression(C=0.3), sampler).fit(
        X, y, sensitive_features=g
    )
    X_res, y_res = clone(sampler).fit_resample(X, y, sensitive_features=g)
    by_hand = LogisticRegression(C=0.3).fit(X_res, y_res)
    np.testing.assert_array_equal(clf.estimator_.coef_, by_hand.coef_)
    np.testing.assert_array_equal(clf.predict_proba(X), by_hand.predict_proba(X))
    np.testing.assert_array_equal(clf.decision_function(X), by_hand.decision_function(X))
    default = ResampledClassifier().fit(X, y, sensitive_features=g)
    assert default.resampler_.sampling == "independent" and default.resampler is None


def test_resampled_groups_reach_an_estimator_that_takes_them():
    X, y, g = _data()
    clf = ResampledClassifier(FairReductionClassifier(max_iter=2)).fit(
        X, y, sensitive_features=g
    )
    X_res, y_res = GroupResampler(sampling="independent", random_state=0).fit_resample(
        X, y, sensitive_features=g
    )
    assert clf.resampler_.sensitive_features_.shape == (len(y_res),)
    by_hand = FairReductionClassifier(max_iter=2).fit(
        X_res, y_res, sensitive_features=clf.resampler_.sensitive_features_
    )
    np.testing.assert_array_equal(clf.predict_proba(X), by_hand.predict_proba(X))


@pytest.fixture(scope="module")
def adult():
    ds = fp.datasets.load("adult", sensitive="sex", standardize=True)
    rows = np.random.default_rng(0).permutation(ds.n_samples)[:8000]
    return ds.subset(rows)


def test_independent_resampling_lowers_demographic_parity_on_adult(adult):
    X, y, g = adult.X, adult.y, adult.groups
    train, test = np.arange(5000), np.arange(5000, 8000)
    plain = LogisticRegression(max_iter=1000).fit(X[train], y[train])
    fair = ResampledClassifier(
        resampler=GroupResampler("undersample", sampling="independent", random_state=0)
    ).fit(X[train], y[train], sensitive_features=g[train])

    def dp(model):
        return fp.metrics.demographic_parity_difference(
            y[test], model.predict(X[test]), sensitive_features=g[test]
        )

    assert dp(fair) < 0.75 * dp(plain)
    assert (fair.predict(X[test]) == y[test]).mean() > 0.8


@pytest.mark.parametrize("method", ["oversample", "smote"])
def test_works_as_the_active_learning_loop_learner(adult, method):
    learner = ResampledClassifier(resampler=GroupResampler(method, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # small cells: documented fallbacks
        history = fp.active.run(
            adult.subset(np.arange(3000)), strategy="entropy", learner=learner,
            budget=40, batch_size=20, seed=0, metrics=["accuracy", "demographic_parity"],
        )
    frame = history.to_frame()
    assert len(frame) == 3 and frame["accuracy"].iloc[-1] > 0.6


def test_the_loop_with_tiny_race_groups_takes_the_fallbacks():
    ds = fp.datasets.load("adult", sensitive="race", standardize=True)
    ds = ds.subset(np.random.default_rng(0).permutation(ds.n_samples)[:3000])
    learner = ResampledClassifier(resampler=GroupResampler("smote", random_state=0))
    with pytest.warns(UserWarning, match="has no rows with label|too few"):
        history = fp.active.run(
            ds, strategy="entropy", learner=learner, budget=40, batch_size=20, seed=0,
            metrics=["accuracy"],
        )
    assert history.to_frame()["accuracy"].iloc[-1] > 0.6


# -- scikit-learn's estimator checks --------------------------------------------------

# module-level names, so that the checks can pickle them
ResampledClassifierWithGroups = with_groups(ResampledClassifier)


@parametrize_with_checks(
    [
        ResampledClassifierWithGroups(),
        ResampledClassifierWithGroups(resampler=GroupResampler("smote", random_state=0)),
    ],
    expected_failed_checks=lambda est: {}, xfail_strict=True,
)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        # the checks' tiny data leave cells empty or small: documented warnings
        warnings.simplefilter("ignore", UserWarning)
        check(estimator)
