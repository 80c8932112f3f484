"""hsb82 and star: the vendored multilevel tables, checked against the raw files read with csv."""

from __future__ import annotations

import csv
import statistics
from collections import Counter, defaultdict

import numpy as np
import pytest

import fairpool as fp
from fairpool.errors import DataIntegrityError, InvalidInputError


@pytest.fixture(scope="module")
def hsb_rows(raw_lines) -> list[dict[str, str]]:
    return list(csv.DictReader(raw_lines("multilevel/hsb82.csv.gz")))


@pytest.fixture(scope="module")
def star_rows(raw_lines) -> list[dict[str, str]]:
    return list(csv.DictReader(raw_lines("multilevel/star.csv.gz")))


def test_hsb82_regression_matches_the_file(hsb_rows) -> None:
    ds = fp.datasets.load("hsb82")
    assert ds.n_samples == len(hsb_rows) == 7185
    assert ds.task == "regression" and ds.info["task"] == "regression"
    assert ds.y.dtype == np.float64
    np.testing.assert_allclose(ds.y, [float(r["mAch"]) for r in hsb_rows])
    # clusters: 160 schools, names the file's ids, each row's code naming its school
    assert ds.n_clusters == 160 and ds.info["clusters_column"] == "school"
    names = np.asarray(ds.info["cluster_names"])
    assert names[ds.clusters].tolist() == [r["school"] for r in hsb_rows]
    assert ds.info["singleton_clusters"] == 0
    # per-school mean scores: the usual first look at a multilevel table
    ref = defaultdict(list)
    for r in hsb_rows:
        ref[r["school"]].append(float(r["mAch"]))
    ours = {names[c]: ds.y[ds.clusters == c].mean() for c in range(160)}
    for school, scores in ref.items():
        assert ours[school] == pytest.approx(statistics.fmean(scores))
    assert ds.group_names == ("Female", "Male")
    assert ds.group_counts() == dict(Counter(r["sx"] for r in hsb_rows))
    assert "cses" not in ds.feature_names and "school" not in ds.feature_names
    np.testing.assert_allclose(ds.X[:, ds.feature_index("ses")],
                               [float(r["ses"]) for r in hsb_rows], rtol=1e-6)


def test_hsb82_classification_default_and_given_threshold(hsb_rows) -> None:
    scores = [float(r["mAch"]) for r in hsb_rows]
    ds = fp.datasets.load("hsb82", task="classification")
    median = statistics.median(scores)
    assert ds.task == "classification" and ds.info["threshold"] == pytest.approx(median)
    assert ds.y.tolist() == [int(s > median) for s in scores]
    cut = fp.datasets.load("hsb82", task="classification", threshold=20)
    assert cut.y.tolist() == [int(s > 20) for s in scores]
    assert cut.info["threshold"] == 20.0


def test_hsb82_minority_and_intersection(hsb_rows) -> None:
    ds = fp.datasets.load("hsb82", sensitive=["sex", "minority"])
    want = Counter(f"{r['sx']}|{r['minrty']}" for r in hsb_rows)
    assert ds.group_counts() == dict(want)
    minority = fp.datasets.load("hsb82", sensitive="minority", sensitive_as_feature=False)
    assert minority.group_names == ("No", "Yes")
    assert not any(f.startswith("minority") for f in minority.feature_names)
    assert "sex=Female" in minority.feature_names  # not sensitive: an ordinary feature
    assert fp.datasets.load("hsb82", clusters=None).clusters is None


def _complete(star_rows, score: str, grades: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows a loader keeps: the grade(s), every used column present (the reference)."""
    used = ["sch", "gr", "sx", "eth", "cltype", "hdeg", "clad", "exp", "trace", "ses",
            "schtype", score]
    return [r for r in star_rows if r["gr"] in grades
            and all(r[c] not in ("", "NA") for c in used)
            and "NA" not in r["birthq"].split(":")]


def test_star_kindergarten_math_matches_the_file(star_rows) -> None:
    ds = fp.datasets.load("star")
    kept = _complete(star_rows, "math", ("K",))
    assert ds.n_samples == len(kept)
    assert ds.info["rows_read"] == sum(r["gr"] == "K" for r in star_rows)
    assert ds.info["rows_dropped_missing"] == ds.info["rows_read"] - len(kept)
    np.testing.assert_allclose(ds.y, [float(r["math"]) for r in kept])
    names = np.asarray(ds.info["cluster_names"])
    assert names[ds.clusters].tolist() == [r["sch"] for r in kept]
    assert ds.n_clusters == len({r["sch"] for r in kept})
    sex = {"F": "Female", "M": "Male"}
    assert ds.group_counts() == dict(Counter(sex[r["sx"]] for r in kept))
    birth = [int(r["birthq"][:4]) + (int(r["birthq"][5:]) - 1) / 4 for r in kept]
    np.testing.assert_allclose(ds.X[:, ds.feature_index("birth")], birth, rtol=1e-6)
    assert "grade=K" not in ds.feature_names


def test_star_all_grades_per_grade_median(star_rows) -> None:
    ds = fp.datasets.load("star", grade="all", score="read", task="classification",
                          sensitive="ethnicity")
    assert ds.group_names == ("White", "Black", "Other")
    kept = _complete(star_rows, "read", ("K", "1", "2", "3"))
    assert ds.n_samples == len(kept)
    medians = {g: statistics.median(float(r["read"]) for r in kept if r["gr"] == g)
               for g in ("K", "1", "2", "3")}
    assert ds.info["threshold"] == pytest.approx(medians)
    assert ds.y.tolist() == [int(float(r["read"]) > medians[r["gr"]]) for r in kept]
    assert {f"grade={g}" for g in medians} <= set(ds.feature_names)
    assert 0.4 < ds.y.mean() < 0.6


def test_star_options_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="grade"):
        fp.datasets.load("star", grade="4")
    with pytest.raises(InvalidInputError, match="score"):
        fp.datasets.load("star", score="science")
    with pytest.raises(InvalidInputError, match="task"):
        fp.datasets.load("hsb82", task="ranking")
    with pytest.raises(InvalidInputError, match="threshold"):
        fp.datasets.load("hsb82", task="classification", threshold="mean")
    with pytest.raises(InvalidInputError, match="threshold"):
        fp.datasets.load("hsb82", task="classification", threshold=float("nan"))
    with pytest.raises(InvalidInputError, match="threshold applies to task='classification'"):
        fp.datasets.load("hsb82", threshold=10.0)
    with pytest.raises(InvalidInputError, match="clusters"):
        fp.datasets.load("hsb82", clusters="sector")
    with pytest.raises(InvalidInputError, match="sensitive"):
        fp.datasets.load("star", sensitive="race")


def test_multilevel_files_are_integrity_checked(tmp_path, monkeypatch) -> None:
    import shutil

    from fairpool.datasets import _integrity as integrity
    from fairpool.datasets._multilevel import load_hsb82

    target = tmp_path / "files"
    shutil.copytree(integrity.DATA_FILES_DIR, target)
    monkeypatch.setattr(integrity, "DATA_FILES_DIR", target)
    path = target / "multilevel" / "hsb82.csv.gz"
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DataIntegrityError, match=r"multilevel/hsb82\.csv\.gz.*corrupt"):
        load_hsb82()


def test_adult_occupation_clusters(raw_lines) -> None:
    ds = fp.datasets.load("adult", clusters="occupation",
                          sensitive=["age", "race", "sex", "marital_status"])
    rows = [line.split(", ") for line in raw_lines("adult/adult.data.gz") if line.strip()]
    rows += [line.split(", ") for line in raw_lines("adult/adult.test.gz")[1:] if line.strip()]
    names = np.asarray(ds.info["cluster_names"])
    assert names[ds.clusters].tolist() == [r[6] for r in rows]
    assert ds.n_clusters == 15 and "?" in names
    assert not any(f.startswith("occupation") for f in ds.feature_names)
    assert ds.n_features == fp.datasets.load("adult").n_features - 15
    marital = fp.datasets.load("adult", clusters="occupation", sensitive="marital_status")
    assert marital.group_counts() == dict(Counter(r[5] for r in rows))
    age = fp.datasets.load("adult", sensitive="age", clusters="occupation")
    want = Counter("<25" if int(r[0]) < 25 else "25-44" if int(r[0]) <= 44
                   else "45-64" if int(r[0]) <= 64 else "65+" for r in rows)
    assert age.group_counts() == dict(want)
    with pytest.raises(InvalidInputError, match="clusters"):
        fp.datasets.load("adult", clusters="education")


def test_regression_target_goes_through_the_regression_metrics() -> None:
    """hsb82's float scores reach fairpool's per-group MSE spread (pandas as the reference)."""
    import pandas as pd

    ds = fp.datasets.load("hsb82", sensitive="minority")
    pred = np.full(ds.n_samples, ds.y.mean())  # predict the mean score for everyone
    spread = fp.metrics.regression_error_std(ds.y, pred, sensitive_features=ds.groups)
    frame = pd.DataFrame({"se": (ds.y - pred) ** 2, "g": ds.groups})
    assert spread == pytest.approx(frame.groupby("g")["se"].mean().std(ddof=0))
    with pytest.raises(fp.errors.NonBinaryLabelError):
        fp.active.run(ds, "random", "logreg", budget=10, batch_size=10, split="random")
