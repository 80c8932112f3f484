"""ProPublica COMPAS: the filter's row counts, features and options."""

from __future__ import annotations

import csv
import gzip
from datetime import date

import numpy as np
import pytest

import fairpool as fp
from fairpool.datasets._integrity import DATA_FILES_DIR
from fairpool.errors import InvalidInputError


@pytest.fixture(scope="module")
def filtered_raw() -> list[dict[str, str]]:
    """ProPublica's filter applied with the csv module, as an independent reference."""
    path = DATA_FILES_DIR / "compas" / "compas-scores-two-years.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 7_214
    return [
        r for r in rows
        if r["days_b_screening_arrest"] != "" and -30 <= float(r["days_b_screening_arrest"]) <= 30
        and r["is_recid"] != "-1" and r["c_charge_degree"] != "O" and r["score_text"] != "N/A"
    ]


def test_propublica_filter_counts(compas_sex, filtered_raw) -> None:
    assert compas_sex.n_samples == len(filtered_raw) == 6_172
    assert compas_sex.group_counts() == {"Female": 1_175, "Male": 4_997}
    assert int(compas_sex.y.sum()) == sum(r["two_year_recid"] == "1" for r in filtered_raw)
    race = fp.datasets.load("compas")
    assert race.n_samples == 5_278
    assert race.group_counts() == {"African-American": 3_175, "Caucasian": 2_103}
    assert race.info["races"] == "two"
    all_races = fp.datasets.load("compas", races="all")
    assert all_races.n_samples == 6_172 and all_races.n_groups == 6


def test_features_and_scores(compas_sex, filtered_raw) -> None:
    names = compas_sex.feature_names
    assert "decile_score" not in names and not any(n.startswith("score_text") for n in names)
    for col in ("age", "priors_count", "juv_fel_count", "juv_misd_count", "juv_other_count",
                "length_of_stay", "c_charge_degree=F", "race=Caucasian", "sex=Female"):
        assert col in names
    stay = [
        (date.fromisoformat(r["c_jail_out"][:10]) - date.fromisoformat(r["c_jail_in"][:10])).days
        for r in filtered_raw
    ]
    np.testing.assert_array_equal(compas_sex.X[:, compas_sex.feature_index("length_of_stay")], stay)
    scored = fp.datasets.load("compas", sensitive="sex", include_scores=True)
    np.testing.assert_array_equal(
        scored.X[:, scored.feature_index("decile_score")],
        [int(r["decile_score"]) for r in filtered_raw],
    )
    assert "score_text=High" in scored.feature_names


def test_sensitive_as_feature_and_bad_options() -> None:
    ds = fp.datasets.load("compas", sensitive_as_feature=False)
    assert not any(n.startswith("race=") for n in ds.feature_names)
    assert ds.info["sensitive_columns"] == []
    with pytest.raises(InvalidInputError, match=r"races='some'.*'two', 'all'"):
        fp.datasets.load("compas", races="some")
    with pytest.raises(InvalidInputError, match=r"sensitive='age'"):
        fp.datasets.load("compas", sensitive="age")
