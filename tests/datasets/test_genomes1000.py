"""1000 Genomes: dosages, subsampling, the simulated phenotype and its bias signature."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from xgboost import XGBClassifier

import fairpool as fp
from fairpool.datasets._integrity import DATA_FILES_DIR
from fairpool.errors import InvalidInputError

SUPERPOPS = ("AFR", "AMR", "EAS", "EUR", "SAS")


def test_rows_groups_and_features(genomes) -> None:
    assert genomes.n_samples == 2_504
    assert genomes.group_counts() == {"AFR": 661, "AMR": 347, "EAS": 504, "EUR": 503, "SAS": 489}
    assert genomes.n_features == 127 + 5
    assert genomes.info["ancestry_features"] == [f"superpopulation={s}" for s in SUPERPOPS]
    assert genomes.info["sensitive_columns"] == genomes.info["ancestry_features"]
    assert len(genomes.info["causal_features"]) == 8
    assert set(genomes.info["causal_features"]) <= set(genomes.feature_names)
    assert np.unique(genomes.clusters).size == 26
    for key in ("source", "licence", "sensitive", "label", "task"):
        assert key in genomes.info


def test_dosages_count_the_minor_allele(genomes) -> None:
    raw = pd.read_csv(DATA_FILES_DIR / "genomes1000" / "seldin.1kG.csv.gz")
    for rsid in genomes.info["snp_features"][::16]:
        allele = genomes.info["minor_alleles"][rsid]
        expected = raw[rsid].str.count(allele).to_numpy()
        np.testing.assert_array_equal(genomes.X[:, genomes.feature_index(rsid)], expected)
        assert expected.mean() / 2 <= 0.5  # it is the minor allele
    snps = genomes.X[:, : len(genomes.info["snp_features"])]
    assert set(np.unique(snps)) <= {0.0, 1.0, 2.0}


def test_panels_and_options() -> None:
    kidd = fp.datasets.load("genomes1000", panel="kidd", ancestry_features=False)
    assert kidd.n_features == 55 and kidd.info["sensitive_columns"] == []
    both = fp.datasets.load("genomes1000", panel="both", sensitive="binary")
    assert len(both.info["snp_features"]) == 169
    assert both.group_names == ("AFR+SAS", "other")
    assert both.group_counts() == {"AFR+SAS": 661 + 489, "other": 2_504 - 661 - 489}
    with pytest.raises(InvalidInputError, match=r"panel='x'.*'seldin', 'kidd', 'both'"):
        fp.datasets.load("genomes1000", panel="x")
    with pytest.raises(InvalidInputError, match="biased_groups"):
        fp.datasets.load("genomes1000", biased_groups=("XYZ",))
    with pytest.raises(InvalidInputError, match="n_samples"):
        fp.datasets.load("genomes1000", n_samples=3_000)


def test_stratified_subsample_of_999() -> None:
    ds = fp.datasets.load("genomes1000", n_samples=999)
    assert ds.n_samples == 999
    full = {"AFR": 661, "AMR": 347, "EAS": 504, "EUR": 503, "SAS": 489}
    for name, count in ds.group_counts().items():
        assert abs(count - full[name] * 999 / 2_504) <= 1


def test_phenotype_is_deterministic_under_the_seed(genomes) -> None:
    again = fp.datasets.load("genomes1000", seed=0)
    np.testing.assert_array_equal(genomes.y, again.y)
    np.testing.assert_array_equal(genomes.y_true, again.y_true)
    other = fp.datasets.load("genomes1000", seed=1)
    assert other.info["causal_features"] != genomes.info["causal_features"]
    assert not np.array_equal(other.y_true, genomes.y_true)


def test_true_prevalence_equal_by_construction(genomes) -> None:
    for g, name in enumerate(genomes.group_names):
        n_g = int((genomes.groups == g).sum())
        assert genomes.y_true[genomes.groups == g].sum() == round(0.3 * n_g), name


def test_recorded_prevalence_halved_in_afr_and_sas(genomes) -> None:
    for g, name in enumerate(genomes.group_names):
        m = genomes.groups == g
        ratio = genomes.y[m].mean() / genomes.y_true[m].mean()
        if name in ("AFR", "SAS"):
            assert ratio == pytest.approx(0.5, abs=0.1), name
        else:
            assert ratio == 1.0, name
    assert (genomes.y <= genomes.y_true).all()  # only true cases are ever missed


def test_global_threshold_makes_true_risk_differ_by_ancestry() -> None:
    ds = fp.datasets.load("genomes1000", equal_prevalence=False, underdiagnosis=0.0)
    assert ds.y_true.sum() == round(0.3 * 2_504)
    rates = [ds.y_true[ds.groups == g].mean() for g in range(5)]
    assert max(rates) - min(rates) > 0.1
    np.testing.assert_array_equal(ds.y, ds.y_true)


def _bias_signature(seed: int) -> tuple[float, float, float, float, float]:
    """XGBoost on the recorded labels: DP gap and pooled TPRs, computed by hand."""
    ds = fp.datasets.load("genomes1000", seed=seed)
    parts = fp.datasets.split(ds, "facagen", seed=seed)
    train, test = parts["train"], parts["test"]
    model = XGBClassifier(tree_method="hist", n_jobs=1, random_state=seed)
    pred = model.fit(train.X, train.y).predict(test.X)
    rates = np.array([pred[test.groups == g].mean() for g in range(test.n_groups)])
    disadvantaged = np.isin(test.groups, [test.group_names.index(s) for s in ("AFR", "SAS")])
    true_pos = test.y_true == 1
    recorded_pos = test.y == 1
    return (
        float(rates.max() - rates.min()),
        float(pred[disadvantaged & true_pos].mean()),
        float(pred[~disadvantaged & true_pos].mean()),
        float(pred[disadvantaged & recorded_pos].mean()),
        float(pred[~disadvantaged & recorded_pos].mean()),
    )


def test_xgboost_on_recorded_labels_shows_the_bias_signature() -> None:
    start = time.perf_counter()
    results = np.array([_bias_signature(seed) for seed in (0, 1)])
    dp, tpr_dis, tpr_other, rec_dis, rec_other = results.mean(axis=0)
    assert ((results[:, 0] > 0.1) & (results[:, 0] < 0.35)).all(), results[:, 0]
    assert tpr_dis <= 0.2, tpr_dis  # under-diagnosed groups are predicted negative
    assert 0.3 <= tpr_other <= 0.6, tpr_other
    assert rec_dis <= 0.25 and 0.3 <= rec_other <= 0.6  # also against the recorded labels
    assert time.perf_counter() - start < 20


@pytest.mark.slow
def test_bias_signature_over_ten_seeds() -> None:
    results = np.array([_bias_signature(seed) for seed in range(10)])
    dp, tpr_dis, tpr_other, _, _ = results.mean(axis=0)
    assert 0.15 <= dp <= 0.3
    assert tpr_dis <= 0.2 and 0.35 <= tpr_other <= 0.6
