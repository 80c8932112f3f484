"""fairpool.audit and the `fairpool audit` / `fairpool datasets` commands.

On real rows (bundled Adult and COMPAS written out as a user's CSV / Parquet) and on
small hand-made tables whose right answers are known. Issue 11's faults each have a
test named after them: 3 (the positive value is never guessed), 4 (prediction values
outside the target's values are an error), 5 (intersections whose joined names
collide stay two groups), and the audit a practitioner can act on.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm
from typer.testing import CliRunner

import fairpool as fp
from fairpool.audit import audit_file, audit_frame, read_table, sniff_delimiter
from fairpool.cli import app
from fairpool.errors import (
    InvalidInputError,
    MissingValueError,
    NonBinaryLabelError,
    UnknownColumnError,
)

runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, ["audit", *map(str, args)])


def assert_one_line_error(result, *needles: str) -> str:
    """A CLI failure: exit 2, nothing on stdout, one `fairpool: error:` line naming the fault."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fairpool: error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def csv_sections(text: str) -> list[pd.DataFrame]:
    """The tables of `--format csv` output: `#` lines first, tables split by blank lines."""
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return [pd.read_csv(io.StringIO(part)) for part in body.strip().split("\n\n")]


@pytest.fixture(scope="module")
def adult_table() -> pd.DataFrame:
    """A user-style table built from the bundled Adult data, plus a noisy prediction column."""
    ds = fp.datasets.load("adult", sensitive=["sex", "race"])
    sex, race = np.array([g.split("|") for g in ds.group_names], dtype=object)[ds.groups].T
    rng = np.random.default_rng(7)
    y_pred = np.where(rng.random(ds.n_samples) < 0.8, ds.y, 1 - ds.y)
    return pd.DataFrame(
        {
            "sex": sex,
            "race": race,
            "income": np.where(ds.y == 1, ">50K", "<=50K"),
            "pred": np.where(y_pred == 1, ">50K", "<=50K"),
        }
    )


@pytest.fixture(scope="module")
def compas_table() -> pd.DataFrame:
    """COMPAS as a user would hold it: race, sex, the outcome, a model's score and label."""
    from sklearn.linear_model import LogisticRegression

    ds = fp.datasets.load("compas")
    model = LogisticRegression(max_iter=500).fit(ds.X, ds.y)
    score = model.predict_proba(ds.X)[:, 1]
    female = ds.X[:, ds.feature_names.index("sex=Female")] == 1
    return pd.DataFrame({
        "race": np.asarray(ds.group_names, dtype=object)[ds.groups],
        "sex": np.where(female, "Female", "Male"),
        "two_year_recid": ds.y,
        "score": score,
        "predicted": (score >= 0.5).astype(int),
    })


# -- the audit's numbers against pandas and fairlearn -------------------------------------------
def test_data_audit_matches_pandas_groupby(adult_table: pd.DataFrame) -> None:
    result = audit_frame(adult_table, target="income", sensitive="sex", pos_label=">50K")
    positive = adult_table["income"].eq(">50K")
    expected = positive.groupby(adult_table["sex"]).mean()
    got = result.by_group["base_rate"]
    for group, rate in expected.items():
        assert got.loc[group] == pytest.approx(rate, abs=1e-12)
    assert result.summary["n"] == 48_842
    assert result.summary["base_rate_difference"] == pytest.approx(expected.max() - expected.min())
    assert result.positive == ">50K" and result.negative == "<=50K"
    assert result.headline["key"].tolist() == ["base_rate_difference", "base_rate_ratio",
                                               "share_ratio"]


def test_prediction_audit_matches_brute_force(adult_table: pd.DataFrame) -> None:
    result = audit_frame(adult_table, target="income", sensitive=["sex", "race"], pred="pred",
                         pos_label=">50K")
    y = adult_table["income"].eq(">50K").to_numpy()
    p = adult_table["pred"].eq(">50K").to_numpy()
    keys = list(zip(adult_table["sex"], adult_table["race"], strict=True))
    tprs = {}
    for key in sorted(set(keys)):
        m = np.array([k == key for k in keys])
        tprs[key] = p[m & y].mean()
        row = result.by_group.loc[key]
        assert row["selection_rate"] == pytest.approx(p[m].mean(), abs=1e-12)
        assert row["tpr"] == pytest.approx(tprs[key], abs=1e-12)
        assert row["accuracy"] == pytest.approx((p[m] == y[m]).mean(), abs=1e-12)
    assert result.summary["difference_tpr"] == pytest.approx(
        max(tprs.values()) - min(tprs.values()), abs=1e-12
    )


def test_headline_names_the_measures_and_matches_fairlearn(compas_table, write) -> None:
    """Headline first: DP, DI (four-fifths flagged), EO, EOp by name, base rates beside."""
    result = audit_frame(compas_table, target="two_year_recid", sensitive="race",
                         pred="predicted")
    y, p = compas_table["two_year_recid"], compas_table["predicted"]
    sf = compas_table["race"]
    head = result.headline.set_index("key")
    assert list(head.index) == ["demographic_parity_difference", "disparate_impact_ratio",
                                "equalized_odds_difference", "equal_opportunity_difference",
                                "base_rate_difference"]
    expected = {
        "demographic_parity_difference": flm.demographic_parity_difference(
            y, p, sensitive_features=sf),
        "disparate_impact_ratio": flm.demographic_parity_ratio(y, p, sensitive_features=sf),
        "equalized_odds_difference": flm.equalized_odds_difference(y, p, sensitive_features=sf),
        "equal_opportunity_difference": flm.equal_opportunity_difference(
            y, p, sensitive_features=sf),
        "base_rate_difference": float(np.ptp(y.groupby(sf).mean())),
    }
    for key, value in expected.items():
        assert head.at[key, "value"] == pytest.approx(value, abs=1e-12), key
    di = head.at["disparate_impact_ratio", "value"]
    assert di < 0.8  # COMPAS: African-American defendants are predicted to reoffend more often
    assert "FAILS four-fifths rule" in head.at["disparate_impact_ratio", "flag"]
    assert head.at["demographic_parity_difference", "highest_group"] == "African-American"
    assert head.at["demographic_parity_difference", "lowest_group"] == "Caucasian"
    # thousands of rows per group: the intervals separate, the gap is not noise
    assert "may be noise" not in head.at["demographic_parity_difference", "flag"]
    # base rates sit beside the prediction rates
    columns = list(result.by_group.columns)
    assert columns.index("base_rate") < columns.index("selection_rate")
    frame = flm.MetricFrame(metrics={"selection_rate": flm.selection_rate,
                                     "tpr": flm.true_positive_rate,
                                     "fpr": flm.false_positive_rate},
                            y_true=y, y_pred=p, sensitive_features=sf)
    for rate in ("selection_rate", "tpr", "fpr"):
        np.testing.assert_allclose(result.by_group[rate], frame.by_group[rate], atol=1e-12)

    out = cli(write(compas_table, "compas.csv"), "--target", "two_year_recid",
              "--sensitive", "race", "--pred", "predicted")
    assert out.exit_code == 0, out.output
    text = out.stdout
    order = [text.index(s) for s in ("positive value 1", "Headline", "demographic parity",
                                     "disparate impact", "equalized odds", "equal opportunity",
                                     "Per group", "base rate [95% CI]")]
    assert order == sorted(order)
    assert "FAILS four-fifths rule" in text


@pytest.fixture
def write(tmp_path):
    """``write(table, name)``: the table as a CSV (or ``.parquet``) file in tmp_path."""

    def write_table(table: pd.DataFrame, name: str) -> str:
        path = tmp_path / name
        if name.endswith(".parquet"):
            table.to_parquet(path)
        else:
            table.to_csv(path, index=False)
        return str(path)

    return write_table


def test_wilson_intervals_match_scipy_and_small_groups_are_flagged(write) -> None:
    from scipy.stats import binomtest

    table = pd.DataFrame({
        "g": ["big"] * 200 + ["tiny"] * 6,
        "y": [1] * 90 + [0] * 110 + [1, 1, 1, 0, 0, 0],
        "p": [1] * 70 + [0] * 20 + [1] * 30 + [0] * 80 + [1, 1, 0, 0, 0, 0],
    })
    result = audit_frame(table, target="y", sensitive="g", pred="p", min_support=30)
    rows = result.by_group
    assert rows["small"].tolist() == [False, True]
    for group, frame in table.groupby("g"):
        n, y, p = len(frame), frame["y"].to_numpy(), frame["p"].to_numpy()
        for rate, k, trials in [("base_rate", y.sum(), n), ("selection_rate", p.sum(), n),
                                ("tpr", (p & y).sum(), y.sum()),
                                ("fpr", (p & (1 - y)).sum(), n - y.sum())]:
            ci = binomtest(int(k), int(trials)).proportion_ci(0.95, method="wilson")
            assert rows.at[group, f"{rate}_ci_low"] == pytest.approx(ci.low, abs=1e-9)
            assert rows.at[group, f"{rate}_ci_high"] == pytest.approx(ci.high, abs=1e-9)
    # the tiny group's selection-rate gap to the big one lies inside the intervals
    head = result.headline.set_index("key")
    assert "95% intervals overlap: may be noise" in head.at["demographic_parity_difference",
                                                            "flag"]
    assert "a group under 30 rows" in head.at["demographic_parity_difference", "flag"]
    assert any("fewer than 30 rows" in note for note in result.notes)
    relaxed = audit_frame(table, target="y", sensitive="g", pred="p", min_support=5,
                          confidence=0.5)
    assert not relaxed.by_group["small"].any() and relaxed.notes == ()
    narrower = relaxed.by_group.at["tiny", "selection_rate_ci_high"]
    assert narrower < rows.at["tiny", "selection_rate_ci_high"]

    out = cli(write(table, "t.csv"), "--target", "y", "--sensitive", "g", "--pred", "p",
              "--min-support", "10")
    assert out.exit_code == 0, out.output
    assert "small (< 10)" in out.stdout and "0.333 [0.097, 0.700]" in out.stdout
    for bad, needle in [(["--min-support", "0"], "min_support"),
                        (["--confidence", "1.5"], "confidence")]:
        assert_one_line_error(cli(write(table, "t.csv"), "--target", "y", "--sensitive", "g",
                                  *bad), needle)


# -- issue 11, fault 3: the positive value is never guessed -----------------------------------
LOANS = pd.DataFrame({
    "sex": ["F", "F", "F", "F", "M", "M", "M", "M"],
    "decision": ["approved", "denied", "denied", "denied", "approved", "approved", "approved",
                 "denied"],
    "model": ["approved", "denied", "approved", "denied", "approved", "approved", "denied",
              "denied"],
    "score": [0.9, 0.2, 0.6, 0.1, 0.8, 0.7, 0.4, 0.3],
})


def test_fault3_target_not_01_truefalse_yesno_needs_positive(write) -> None:
    with pytest.raises(InvalidInputError, match=r"\['approved', 'denied'\].*--positive"):
        audit_frame(LOANS, target="decision", sensitive="sex")
    assert_one_line_error(cli(write(LOANS, "loans.csv"), "--target", "decision",
                              "--sensitive", "sex"),
                          "'approved', 'denied'", "--positive VALUE")
    result = audit_frame(LOANS, target="decision", sensitive="sex", pred="model",
                         pos_label="approved")
    # selection rate is the approval rate (the old audit reported denial rates: 'denied'
    # sorts last)
    assert result.by_group["selection_rate"].tolist() == [0.5, 0.5]
    assert result.by_group["base_rate"].tolist() == [0.25, 0.75]
    denied = audit_frame(LOANS, target="decision", sensitive="sex", pred="model",
                         pos_label="denied")
    assert denied.by_group["base_rate"].tolist() == [0.75, 0.25]


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_fault3_every_format_states_the_positive_value(fmt: str, write) -> None:
    out = cli(write(LOANS, "loans.csv"), "--target", "decision", "--sensitive", "sex",
              "--pred", "model", "--positive", "approved", "--format", fmt)
    assert out.exit_code == 0, out.output
    if fmt == "json":
        payload = json.loads(out.stdout)
        assert payload["positive"] == "approved" and payload["negative"] == "denied"
    elif fmt == "csv":
        assert "# target 'decision': positive value 'approved'" in out.stdout
        summary = csv_sections(out.stdout)[-1].set_index("measure")["value"]
        assert summary["positive"] == "approved" and summary["target"] == "decision"
    else:
        assert "target 'decision': positive value 'approved', negative value 'denied'" in (
            out.stdout)


@pytest.mark.parametrize(("values", "positive"), [
    ([0, 1], 1), ([0.0, 1.0], 1.0), ([True, False], True), (["Yes", "No"], "Yes"),
    (["yes", "no"], "yes"), (["TRUE", "false"], "TRUE"), (["1", "0"], "1"),
])
def test_fault3_recognised_codings_need_no_positive(values, positive) -> None:
    target = pd.Series(values * 3, dtype=object if isinstance(values[0], str) else None)
    table = pd.DataFrame({"g": ["a", "b"] * 3, "y": target})
    result = audit_frame(table, target="y", sensitive="g")
    assert result.positive == positive
    expected = (table["y"] == positive).groupby(table["g"]).mean()
    np.testing.assert_allclose(result.by_group["base_rate"], expected)


def test_fault3_numeric_codings_other_than_01_work_with_positive(write) -> None:
    table = pd.DataFrame({"g": ["a", "a", "a", "b", "b", "b"], "y": [2, 1, 2, 1, 1, 2],
                          "p": [2, 2, 1, 1, 2, 2]})
    with pytest.raises(InvalidInputError, match=r"\[1, 2\]"):
        audit_frame(table, target="y", sensitive="g", pred="p")
    result = audit_frame(table, target="y", sensitive="g", pred="p", pos_label=2)
    by_string = audit_frame(table, target="y", sensitive="g", pred="p", pos_label="2")
    pd.testing.assert_frame_equal(result.by_group, by_string.by_group)
    def selection_rate_of_2(y_true, y_pred):
        return flm.selection_rate(y_true, y_pred, pos_label=2)

    frame = flm.MetricFrame(metrics=selection_rate_of_2,
                            y_true=table["y"], y_pred=table["p"], sensitive_features=table["g"])
    np.testing.assert_allclose(result.by_group["selection_rate"], frame.by_group)
    assert result.headline.set_index("key").at["demographic_parity_difference", "value"] == (
        pytest.approx(frame.difference()))
    out = cli(write(table, "codes.csv"), "--target", "y", "--sensitive", "g", "--pred", "p",
              "--positive", "2", "--format", "json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["positive"] == 2


def test_fault3_sibling_positive_must_name_one_target_value() -> None:
    with pytest.raises(InvalidInputError, match=r"'Approved' names no value.*'approved'"):
        audit_frame(LOANS, target="decision", sensitive="sex", pos_label="Approved")
    three = LOANS.assign(decision=["approved", "denied", "pending"] * 2 + ["denied"] * 2)
    with pytest.raises(NonBinaryLabelError, match=r"3 values \['approved', 'denied', 'pending'\]"):
        audit_frame(three, target="decision", sensitive="sex", pos_label="approved")
    spelled = pd.DataFrame({"g": ["a", "b"] * 2, "y": ["1", "2", "2", "2"]})
    assert audit_frame(spelled, target="y", sensitive="g", pos_label=2).summary[
        "overall_base_rate"] == 0.75  # 2 names the string "2", as "2" names the number 2
    flags = pd.DataFrame({"g": ["a", "b"] * 2, "y": [True, False, False, True]})
    assert audit_frame(flags, target="y", sensitive="g", pos_label="false").positive is False
    holes = LOANS.assign(decision=LOANS["decision"].where(LOANS.index != 2))
    with pytest.raises(MissingValueError, match="target column 'decision' has 1 missing"):
        audit_frame(holes, target="decision", sensitive="sex", pos_label="approved")


# -- issue 11, fault 4: predictions outside the target's values --------------------------------
def test_fault4_prediction_values_outside_the_target_are_an_error(write) -> None:
    capitalised = LOANS.assign(model=LOANS["model"].str.capitalize())
    with pytest.raises(InvalidInputError,
                       match=r"\['Approved', 'Denied'\], which are not values of target"):
        audit_frame(capitalised, target="decision", sensitive="sex", pred="model",
                    pos_label="approved")
    assert_one_line_error(
        cli(write(capitalised, "loans.csv"), "--target", "decision", "--sensitive", "sex",
            "--pred", "model", "--positive", "approved"),
        "'Approved', 'Denied'", "'approved', 'denied'")


@pytest.mark.parametrize(("target", "pred", "positive", "needle"), [
    ([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.4], None, "pass --threshold"),  # scores, not labels
    (["yes", "no", "yes", "no"], [1, 0, 1, 0], None, "[0, 1]"),  # another coding
    ([1, 2, 2, 1], [1, 2, 3, 1], 2, "[3]"),  # one value too many
    (["approved", "denied"] * 2, ["approved", "maybe", "denied", "denied"], "approved",
     "['maybe']"),
])
def test_fault4_siblings_foreign_prediction_values(target, pred, positive, needle) -> None:
    table = pd.DataFrame({"g": ["a", "b"] * 2, "y": target, "p": pred})
    with pytest.raises(InvalidInputError, match="not values of target column 'y'") as err:
        audit_frame(table, target="y", sensitive="g", pred="p", pos_label=positive)
    assert needle in str(err.value)


def test_fault4_same_coding_in_another_spelling_is_accepted() -> None:
    table = pd.DataFrame({"g": ["a", "b"] * 2, "y": [1, 0, 1, 1], "p": [True, False, False, True]})
    result = audit_frame(table, target="y", sensitive="g", pred="p")
    assert result.summary["overall_selection_rate"] == 0.5
    words = pd.DataFrame({"g": ["a", "b"] * 2, "y": ["yes", "no", "yes", "yes"],
                          "p": ["Yes", "No", "No", "YES"]})
    assert audit_frame(words, target="y", sensitive="g", pred="p").summary[
        "overall_tpr"] == pytest.approx(2 / 3)
    holes = table.assign(p=[True, None, False, True])
    with pytest.raises(MissingValueError, match="prediction column 'p' has 1 missing"):
        audit_frame(holes, target="y", sensitive="g", pred="p")


def test_threshold_turns_scores_into_predictions_and_says_so(compas_table, write) -> None:
    result = audit_frame(compas_table, target="two_year_recid", sensitive="race", pred="score",
                         threshold=0.5)
    labelled = audit_frame(compas_table, target="two_year_recid", sensitive="race",
                           pred="predicted")
    pd.testing.assert_frame_equal(result.by_group, labelled.by_group)
    assert result.predictions == "scores in column 'score' >= 0.5 are predictions of 1 (threshold)"
    strict = audit_frame(compas_table, target="two_year_recid", sensitive="race", pred="score",
                         threshold=0.7)
    expected = (compas_table["score"] >= 0.7).groupby(compas_table["race"]).mean()
    np.testing.assert_allclose(strict.by_group["selection_rate"], expected)
    out = cli(write(compas_table, "c.csv"), "--target", "two_year_recid", "--sensitive", "race",
              "--pred", "score", "--threshold", "0.7")
    assert out.exit_code == 0 and ">= 0.7 are predictions of 1 (threshold)" in out.stdout
    with pytest.raises(InvalidInputError, match="name it with --pred"):
        audit_frame(compas_table, target="two_year_recid", sensitive="race", threshold=0.5)
    with pytest.raises(InvalidInputError, match="needs numeric scores"):
        audit_frame(compas_table, target="two_year_recid", sensitive="race", pred="sex",
                    threshold=0.5)


# -- issue 11, fault 5: intersections stay tuples ----------------------------------------------
COLLIDING = pd.DataFrame({"g1": ["a|b", "a|b", "a", "a"], "g2": ["c", "c", "b|c", "b|c"],
                          "y": [1, 1, 0, 0], "p": [1, 1, 0, 0]})


def test_fault5_colliding_intersections_stay_two_groups(write) -> None:
    result = audit_frame(COLLIDING, target="y", sensitive=["g1", "g2"], pred="p")
    assert list(result.by_group.index) == [("a", "b|c"), ("a|b", "c")]
    dp = result.headline.set_index("key").at["demographic_parity_difference", "value"]
    assert dp == 1.0 == flm.demographic_parity_difference(
        COLLIDING["y"], COLLIDING["p"], sensitive_features=COLLIDING[["g1", "g2"]])

    payload = json.loads(cli(write(COLLIDING, "c.csv"), "--target", "y", "--sensitive", "g1",
                             "--sensitive", "g2", "--pred", "p", "--format", "json").stdout)
    assert [row["group"] for row in payload["by_group"]] == [{"g1": "a", "g2": "b|c"},
                                                            {"g1": "a|b", "g2": "c"}]
    assert payload["headline"][0]["highest_group"] == {"g1": "a|b", "g2": "c"}
    out = cli(write(COLLIDING, "c.csv"), "--target", "y", "--sensitive", "g1", "--sensitive",
              "g2", "--pred", "p", "--format", "csv")
    headline, by_group, _ = csv_sections(out.stdout)
    assert by_group[["g1", "g2", "count"]].values.tolist() == [["a", "b|c", 2], ["a|b", "c", 2]]
    assert headline.at[0, "highest_group"] == "a\\|b|c"  # escaped, never "a|b|c"
    table = cli(write(COLLIDING, "c.csv"), "--target", "y", "--sensitive", "g1",
                "--sensitive", "g2", "--pred", "p").stdout
    assert "g1=a|b, g2=c" in table


def test_fault5_data_audit_keeps_them_apart_too(tmp_path) -> None:
    COLLIDING.to_parquet(tmp_path / "c.parquet")
    result = audit_file(tmp_path / "c.parquet", target="y", sensitive=["g1", "g2"])
    assert result.by_group["base_rate"].tolist() == [0.0, 1.0]
    assert result.summary["n_groups"] == 2


# -- reading files: delimiters, Parquet ---------------------------------------------------------
@pytest.mark.parametrize("sep", [";", "\t", "|", ","])
def test_delimiter_is_detected(sep: str, tmp_path) -> None:
    path = tmp_path / "t.csv"
    LOANS.to_csv(path, sep=sep, index=False)
    assert sniff_delimiter(path) == sep
    result = audit_file(path, target="decision", sensitive="sex", pred="model",
                        pos_label="approved")
    assert result.by_group["base_rate"].tolist() == [0.25, 0.75]


def test_sep_option_and_a_wrong_delimiter_hint(tmp_path) -> None:
    path = tmp_path / "semi.csv"
    LOANS.to_csv(path, sep=";", index=False)
    out = cli(path, "--target", "decision", "--sensitive", "sex", "--positive", "approved",
              "--sep", ";", "--format", "json")
    assert out.exit_code == 0, out.output
    assert_one_line_error(cli(path, "--target", "decision", "--sensitive", "sex", "--sep", ","),
                          "column 'decision' not in the table", "sex;decision;model;score",
                          "pass --sep")
    assert_one_line_error(cli(path, "--target", "decision", "--sensitive", "sex", "--sep", ";;"),
                          "sep must be one character")
    tabbed = tmp_path / "tabbed.txt"
    LOANS.to_csv(tabbed, sep="\t", index=False)
    assert list(read_table(tabbed, sep="tab").columns) == list(LOANS.columns)
    LOANS.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(InvalidInputError, match="Parquet"):
        read_table(tmp_path / "t.parquet", sep=";")


def test_audit_reads_csv_and_parquet_alike(adult_table: pd.DataFrame, tmp_path) -> None:
    small = adult_table.sample(2_000, random_state=0)
    small.to_csv(tmp_path / "t.csv", index=False)
    small.to_parquet(tmp_path / "t.parquet")
    a = audit_file(tmp_path / "t.csv", target="income", sensitive="sex", pred="pred",
                   pos_label=">50K")
    b = audit_file(tmp_path / "t.parquet", target="income", sensitive="sex", pred="pred",
                   pos_label=">50K")
    pd.testing.assert_frame_equal(a.by_group, b.by_group)
    pd.testing.assert_frame_equal(a.headline, b.headline)


# -- one column, one role; missing sensitive values -----------------------------------------
def test_one_column_cannot_play_two_roles(write) -> None:
    path = write(LOANS, "loans.csv")
    assert_one_line_error(cli(path, "--target", "sex", "--sensitive", "sex"),
                          "column 'sex' is named as both the target and the sensitive column")
    assert_one_line_error(cli(path, "--target", "decision", "--sensitive", "sex", "--pred",
                              "decision", "--positive", "approved"),
                          "both the target and the prediction column")
    assert_one_line_error(cli(path, "--target", "decision", "--sensitive", "sex",
                              "--sensitive", "sex"),
                          "sensitive column 'sex' is named more than once")
    with pytest.raises(InvalidInputError, match="both the sensitive and the prediction"):
        audit_frame(LOANS, target="decision", sensitive="sex", pred="sex")


def test_missing_sensitive_values_error_drop_or_group(tmp_path) -> None:
    holes = LOANS.assign(sex=["F", None, "F", "F", "M", None, "M", "M"])
    with pytest.raises(MissingValueError, match=r"2 in 'sex'; first at row index 1.*--missing"):
        audit_frame(holes, target="decision", sensitive="sex", pos_label="approved")
    dropped = audit_frame(holes, target="decision", sensitive="sex", pos_label="approved",
                          missing="drop")
    assert dropped.summary["n"] == 6 and dropped.summary["rows_dropped"] == 2
    assert dropped.notes[0].startswith("dropped 2 of 8 rows with a missing sensitive value")
    assert dropped.by_group["count"].tolist() == [3, 3]
    grouped = audit_frame(holes, target="decision", sensitive="sex", pos_label="approved",
                          missing="group")
    assert list(grouped.by_group.index) == ["(missing)", "F", "M"]
    assert grouped.by_group.at["(missing)", "base_rate"] == 0.5
    clash = holes.assign(sex=["F", None, "(missing)", "F", "M", None, "M", "M"])
    named = audit_frame(clash, target="decision", sensitive="sex", pos_label="approved",
                        missing="group")
    assert list(named.by_group.index) == ["(missing)", "(missing)*", "F", "M"]

    path = tmp_path / "holes.csv"
    holes.to_csv(path, index=False)
    assert_one_line_error(cli(path, "--target", "decision", "--sensitive", "sex",
                              "--positive", "approved"), "2 in 'sex'", "--missing drop")
    out = cli(path, "--target", "decision", "--sensitive", "sex", "--positive", "approved",
              "--missing", "DROP")
    assert out.exit_code == 0, out.output
    assert "note: dropped 2 of 8 rows with a missing sensitive value" in out.stdout
    assert_one_line_error(cli(path, "--target", "decision", "--sensitive", "sex",
                              "--missing", "fill"), "missing must be one of error, drop, group")


# -- output formats -----------------------------------------------------------------------------
def test_format_is_case_insensitive_and_csv_keeps_the_summary(write) -> None:
    path = write(LOANS, "loans.csv")
    base = [path, "--target", "decision", "--sensitive", "sex", "--pred", "model",
            "--positive", "approved"]
    assert json.loads(cli(*base, "--format", "JSON").stdout)["kind"] == "predictions"
    assert cli(*base, "--format", "Table").exit_code == 0
    out = cli(*base, "--format", "CSV")
    assert out.exit_code == 0, out.output
    headline, by_group, summary = csv_sections(out.stdout)
    assert headline["measure"].iloc[0] == "demographic parity difference"
    assert by_group["sex"].tolist() == ["F", "M"]
    summary = summary.set_index("measure")["value"]
    assert float(summary["difference_selection_rate"]) == 0.0
    assert summary["predictions"] == "column 'model'"
    datasets = runner.invoke(app, ["datasets", "--format", "Json"])
    assert datasets.exit_code == 0 and json.loads(datasets.stdout)
    assert_one_line_error(cli(*base, "--format", "xml"), "--format must be one of")


def test_bad_input_is_named(adult_table: pd.DataFrame, tmp_path) -> None:
    with pytest.raises(UnknownColumnError, match="'nope'"):
        audit_frame(adult_table, target="income", sensitive="nope")
    with pytest.raises(UnknownColumnError, match="'label'"):
        audit_frame(adult_table, target="label", sensitive="sex")
    bad_pred = adult_table.head(50).assign(pred=np.arange(50))
    with pytest.raises(InvalidInputError, match="pred"):
        audit_frame(bad_pred, target="income", sensitive="sex", pred="pred", pos_label=">50K")
    (tmp_path / "junk.parquet").write_bytes(b"not a parquet file")
    with pytest.raises(InvalidInputError, match="cannot read"):
        read_table(tmp_path / "junk.parquet")


def test_cli_audit_outputs_and_errors(adult_table: pd.DataFrame, tmp_path) -> None:
    path = tmp_path / "adult.csv"
    adult_table.sample(3_000, random_state=1).to_csv(path, index=False)
    ok = cli(path, "--target", "income", "--sensitive", "sex", "--pred", "pred",
             "--positive", ">50K", "--format", "json")
    assert ok.exit_code == 0, ok.output
    payload = json.loads(ok.stdout)
    assert payload["kind"] == "predictions" and payload["positive"] == ">50K"
    assert {row["group"]["sex"] for row in payload["by_group"]} == {"Female", "Male"}

    csv = cli(path, "--target", "income", "--sensitive", "sex", "--sensitive", "race",
              "--positive", ">50K", "--format", "csv")
    assert csv.exit_code == 0
    assert csv_sections(csv.stdout)[1].columns[:3].tolist() == ["sex", "race", "count"]

    assert_one_line_error(cli(path, "--target", "missing", "--sensitive", "sex"), "'missing'")
    assert_one_line_error(cli(tmp_path / "absent.csv", "--target", "income", "--sensitive", "sex"),
                          "no such file")


def test_cli_datasets_lists_every_bundled_dataset() -> None:
    out = runner.invoke(app, ["datasets", "--format", "json"])
    assert out.exit_code == 0, out.output
    names = {row["name"] for row in json.loads(out.stdout)}
    assert names == set(fp.datasets.available()) >= {"adult", "compas", "german", "genomes1000"}


def test_table_output_shows_markup_literally(tmp_path) -> None:
    table = pd.DataFrame(
        {"grp": ["[bold]a[/bold]", "b"] * 20, "y": [0, 1] * 20}
    )
    path = tmp_path / "markup.csv"
    table.to_csv(path, index=False)
    out = runner.invoke(app, ["audit", str(path), "--target", "y", "--sensitive", "grp"])
    assert out.exit_code == 0, out.output
    assert "[bold]a[/bold]" in out.stdout
