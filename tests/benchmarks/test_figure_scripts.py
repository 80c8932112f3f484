"""The scripts behind README figures: their results files reproduce, by an independent path.

``benchmarks/genomes1000_signature.py`` and ``benchmarks/fair_reduction_compas.py`` made
the committed ``benchmarks/results/genomes1000_signature/`` and
``benchmarks/results/fair_reduction/``; here seed 0 is recomputed by hand (a loop over
groups, fairlearn's metric, scikit-learn's accuracy) and compared with the files.
``metrics.py``, ``selection_scale.py`` and ``fal_agreement.py`` write their results files
in a tiny run whose rows are checked against the values the scripts return.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference
from sklearn.metrics import accuracy_score
from xgboost import XGBClassifier

import fairpool as fp

_ROOT = Path(__file__).resolve().parents[2]
_RESULTS = _ROOT / "benchmarks" / "results"


def _script(name: str):  # noqa: ANN202 - a module
    spec = importlib.util.spec_from_file_location(name, _ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_genomes1000_signature_seed0_by_hand() -> None:
    committed = pd.read_csv(_RESULTS / "genomes1000_signature" / "genomes1000_signature.csv")
    row = committed[committed["seed"] == 0].iloc[0]
    ds = fp.datasets.load("genomes1000", seed=0)
    parts = fp.datasets.split(ds, "facagen", seed=0)
    train, test = parts["train"], parts["test"]
    pred = XGBClassifier(tree_method="hist", n_jobs=1, random_state=0).fit(
        train.X, train.y).predict(test.X)
    rates, tpr = [], {}
    for g, name in enumerate(test.group_names):  # one group at a time, by hand
        rates.append(pred[test.groups == g].mean())
        cases = (test.groups == g) & (test.y_true == 1)
        tpr[name] = pred[cases].sum() / cases.sum()
    under = np.isin(np.asarray(test.group_names)[test.groups], ["AFR", "SAS"])
    cases = test.y_true == 1
    assert row["demographic_parity"] == pytest.approx(max(rates) - min(rates), abs=1e-12)
    assert row["tpr_true_afr_sas"] == pytest.approx(pred[under & cases].mean(), abs=1e-12)
    assert row["tpr_true_others"] == pytest.approx(pred[~under & cases].mean(), abs=1e-12)
    recorded = test.y == 1
    assert row["tpr_recorded_afr_sas"] == pytest.approx(pred[under & recorded].mean(),
                                                        abs=1e-12)
    assert row["tpr_true_min_afr_sas"] == pytest.approx(min(tpr["AFR"], tpr["SAS"]), abs=1e-12)
    others = [tpr[n] for n in ("AMR", "EAS", "EUR")]
    assert row["tpr_true_max_others"] == pytest.approx(max(others), abs=1e-12)


@pytest.mark.slow
def test_fair_reduction_seed0_with_fairlearns_metric() -> None:
    committed = pd.read_csv(_RESULTS / "fair_reduction" / "fair_reduction.csv")
    ds = fp.datasets.load("compas", sensitive="sex")
    perm = np.random.default_rng(0).permutation(ds.n_samples)
    initial, pool, test = perm[:400], perm[400:1400], perm[1400:4400]
    for name in ("random", "fairlearn"):
        al = fp.active.ActiveLearner(name, "logreg", seed=0)
        al.fit(ds.X[initial], ds.y[initial], ds.groups[initial])
        picks = al.query(ds.X[pool], ds.groups[pool], 50)
        al.teach(picks, ds.y[pool][picks])
        pred = al.predict(ds.X[test])
        row = committed[(committed["seed"] == 0) & (committed["strategy"] == name)].iloc[0]
        assert row["demographic_parity"] == pytest.approx(demographic_parity_difference(
            ds.y[test], pred, sensitive_features=ds.groups[test]), abs=1e-12)
        assert row["accuracy"] == pytest.approx(accuracy_score(ds.y[test], pred), abs=1e-12)


@pytest.mark.slow  # fairlearn takes seconds per call even at 10^4 rows
def test_metrics_script_writes_the_rows_it_measured(tmp_path) -> None:
    metrics = _script("metrics")
    rows = metrics.run(10**4, 10**4, 1)
    metrics.write_results(tmp_path, rows, 10**4, 0.5, [("demographic_parity_difference", 0.6)],
                          {"numpy": np.__version__}, 1)
    speed = pd.read_csv(tmp_path / "metrics_speed.csv")
    assert len(speed) == len(metrics.GROUPINGS) * len(metrics.METRICS)
    np.testing.assert_allclose(speed["fairpool_s"], [r["fairpool_s"] for r in rows])
    np.testing.assert_allclose(speed["fairlearn_s"], [r["fairlearn_s"] for r in rows])
    strings = pd.read_csv(tmp_path / "metrics_strings.csv")
    assert strings["metric"].tolist() == ["floor", "demographic_parity_difference"]
    assert strings["seconds"].tolist() == [0.5, 0.6]


def test_selection_scale_writes_its_table_in_long_form(tmp_path, capsys) -> None:
    selection = _script("selection_scale")
    table = selection.main(["--sizes", "2e3", "4e3", "--repeats", "1", "--uncertainty-only",
                            "--out", str(tmp_path)])
    written = pd.read_csv(tmp_path / "selection_scale.csv")
    rounds = written[written["strategy"] != "train logreg"]
    wide = rounds.pivot(index="pool_rows", columns="strategy", values="seconds")
    assert sorted(wide.index) == [2000, 4000]
    for column in table.columns:
        np.testing.assert_allclose(wide[column].to_numpy(), table[column].to_numpy())
    assert (written["strategy"] == "train logreg").sum() == 1
    assert capsys.readouterr().out  # the table is still printed


def test_fal_agreement_writes_one_row_per_query(tmp_path, capsys) -> None:
    fal = _script("fal_agreement")
    table = fal.main(["--datasets", "compas", "--seeds", "1", "--rounds", "1", "--labelled",
                      "60", "--pool", "40", "--validation", "100", "--steps", "1",
                      "--out", str(tmp_path)])
    written = pd.read_csv(tmp_path / "fal_agreement.csv")
    assert len(written) == 1 and written["n_pool"].iloc[0] == 40
    summary = fal.summarise(written, (1,))
    assert summary["fal s/query"].iloc[0] == pytest.approx(table["fal s/query"].iloc[0])
    assert capsys.readouterr().out
