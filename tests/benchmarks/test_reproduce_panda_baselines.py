"""Smoke test of benchmarks/reproduce_panda_baselines.py on a tiny COMPAS configuration.

The script's per-seed numbers are checked against direct calls of
``fairpool.active.run``, its summary against numpy's mean and sample standard
deviation of those numbers, and every bad argument against its error.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fairpool as fp
from fairpool.errors import InvalidInputError, UnknownNameError

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reproduce_panda_baselines.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("reproduce_panda_baselines", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


script = _load_script()

TINY = ["--seeds", "2", "--budget", "20", "--batch-size", "10", "--datasets", "compas:race",
        "--strategies", "random", "group_random", "--workers", "1", "--quiet"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("panda_baselines")
    code = script.main([*TINY, "--out", str(out)])
    return code, out


def test_tiny_run_writes_every_output(tiny_run):
    code, out = tiny_run
    assert code == 0
    for name in ("final.csv", "curves.csv", "summary.csv", "summary.md"):
        assert (out / name).stat().st_size > 0
    png = (out / "panda_baselines_compas.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    curves = pd.read_csv(out / "curves.csv")
    # 2 strategies x 2 seeds x (round 0 + 2 rounds of 10)
    assert len(curves) == 12
    assert sorted(curves["n_labelled"].unique()) == [100, 110, 120]


def test_per_seed_numbers_match_direct_runs(tiny_run):
    _, out = tiny_run
    final = pd.read_csv(out / "final.csv")
    assert len(final) == 4
    assert set(final["n_labelled"]) == {120}  # PANDA's D0 of 100 rows + the budget
    ds = fp.datasets.load("compas", sensitive="race")
    for row in final.itertuples(index=False):
        direct = fp.active.run(ds, strategy=row.strategy, learner="logreg", budget=20,
                               batch_size=10, seed=int(row.seed), split="panda",
                               metrics=list(script.METRICS)).final
        for metric in script.METRICS:
            assert getattr(row, metric) == pytest.approx(direct[metric], abs=1e-12)


def test_summary_is_mean_and_sample_sd_of_the_seeds(tiny_run):
    _, out = tiny_run
    final = pd.read_csv(out / "final.csv")
    summary = pd.read_csv(out / "summary.csv")
    assert summary["strategy_label"].tolist() == ["random", "group_random"]  # table order
    for row in summary.itertuples(index=False):
        seeds = final[final["strategy"] == row.strategy_label]
        for metric in ("f1", "demographic_parity_to_overall", "error_rate_balance",
                       "demographic_parity"):
            values = seeds[metric].to_numpy()
            assert getattr(row, f"{metric}_mean") == pytest.approx(np.mean(values))
            assert getattr(row, f"{metric}_sd") == pytest.approx(np.std(values, ddof=1))
    text = (out / "summary.md").read_text(encoding="utf-8")
    mean, sd = summary.loc[0, "f1_mean"], summary.loc[0, "f1_sd"]
    assert f"| random | 2 | 120 | {mean:.3f} ± {sd:.3f} |" in text
    # each disparity column says which reading it is
    assert ("| F1 ↑ | DP gap, vs overall ↓ | EO gap, vs overall ↓ | ERB gap, FPR/FNR max−min ↓ "
            "| DP gap, max−min ↓ | error-rate gap, max−min ↓ |") in text


def test_strategy_options_follow_panda():
    assert script.strategy_options("fal") == {
        "alpha": 0.6, "fairness": "demographic_parity", "candidates": 200}
    assert script.strategy_options("fal", fal_candidates=None) == {
        "alpha": 0.6, "fairness": "demographic_parity"}
    assert script.strategy_options("fal_fast")["alpha"] == 0.6
    assert script.strategy_options("fairlearn") == {
        "constraint": "demographic_parity", "eps": 0.04}
    assert script.strategy_options("entropy") == {}
    # every option set builds its strategy
    for name in script.ISSUE_STRATEGIES:
        if name in fp.active.available_strategies():
            fp.active.make_strategy(name, **script.strategy_options(name))


def test_cells_are_one_per_dataset_strategy_seed_slowest_first():
    specs = [script.parse_dataset_spec("adult:sex"), script.parse_dataset_spec("compas")]
    cells = script.build_cells(specs, ["random", "fal"], seeds=3, budget=40, batch_size=20)
    assert len(cells) == 12
    assert [c.strategy for c in cells[:6]] == ["fal"] * 6
    assert {(c.dataset, c.strategy, c.seed) for c in cells} == {
        (d, s, k) for d in ("adult", "compas") for s in ("random", "fal") for k in range(3)}
    assert {c.split for c in cells} == {"panda"}
    assert specs[0].options == {"sensitive": "sex"} and specs[1].options == {}


def test_resolve_strategies_skips_only_unregistered_defaults():
    run, missing = script.resolve_strategies(None, ["random", "entropy", "fal"])
    assert run == ["random", "entropy", "fal"]
    assert "falcon" in missing and "random" not in missing
    assert script.resolve_strategies(["entropy", "entropy"], ["entropy"]) == (["entropy"], [])
    with pytest.raises(UnknownNameError, match="'nope'"):
        script.resolve_strategies(["entropy", "nope"], ["entropy"])


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("nowhere:sex", UnknownNameError, "unknown dataset 'nowhere'"),
        ("adult:", InvalidInputError, "name:sensitive_attribute"),
        ("adult:sex:race", InvalidInputError, "name:sensitive_attribute"),
        ("", InvalidInputError, "--datasets"),
    ],
)
def test_bad_dataset_specs(text, error, match):
    with pytest.raises(error, match=match):
        script.parse_dataset_spec(text)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"seeds": 0}, "--seeds"),
        ({"budget": -1}, "--budget"),
        ({"batch_size": 50, "budget": 20}, "larger than --budget"),
        ({"fal_candidates": 0}, "--fal-candidates"),
    ],
)
def test_bad_sizes(options, match):
    kwargs = {"seeds": 1, "budget": 20, "batch_size": 10, **options}
    with pytest.raises(InvalidInputError, match=match):
        script.build_cells([script.DatasetSpec("compas")], ["random"], **kwargs)


def test_bad_workers_and_empty_lists():
    with pytest.raises(InvalidInputError, match="--workers must be 1 or 2"):
        script.run_cells([], workers=3)
    with pytest.raises(InvalidInputError, match="--strategies"):
        script.build_cells([script.DatasetSpec("compas")], [], seeds=1, budget=20, batch_size=10)


@pytest.mark.parametrize(
    "argv",
    [
        ["--strategies", "nope"],
        ["--datasets", "nowhere"],
        ["--budget", "10", "--batch-size", "20"],
        ["--workers", "4", "--strategies", "random"],
    ],
)
def test_main_reports_bad_arguments_in_one_line(argv, tmp_path, capsys):
    assert script.main([*argv, "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert not (tmp_path / "final.csv").exists()


def test_finished_runs_are_kept_and_read_back(tiny_run, monkeypatch):
    code, out = tiny_run
    kept = sorted((out / "runs").glob("*.csv"))
    assert len(kept) == 4
    first = pd.read_csv(out / "final.csv")

    def must_not_run(cell):
        raise AssertionError(f"{cell.describe()} ran again")

    monkeypatch.setattr(script, "run_panda_cell", must_not_run)
    assert script.main([*TINY, "--out", str(out)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "final.csv"), first)
    # --fresh recomputes: here every run then fails, and the exit status says so
    assert script.main([*TINY, "--out", str(out), "--fresh"]) == 1
    assert not list((out / "runs").glob("*.csv"))


def test_identical_strategies_share_a_line():
    rows = []
    for name, shift in (("random", 0.0), ("entropy", 0.1), ("margin", 0.1), ("fal", 0.2)):
        for seed in range(2):
            for round_ in range(3):
                value = shift + 0.01 * round_ + 0.001 * seed
                rows.append({"strategy": name, "seed": seed, "round": round_,
                             **{metric: value for metric in script.METRICS}})
    rounds = pd.DataFrame(rows)
    order = ["random", "entropy", "margin", "fal", "dfa2l"]
    assert script.identical_strategies(rounds, order) == [
        ["random"], ["entropy", "margin"], ["fal"]]
    # one differing value in one round of one seed separates them
    rounds.loc[(rounds["strategy"] == "margin") & (rounds["round"] == 2), "f1"] += 1e-9
    assert script.identical_strategies(rounds, order) == [
        ["random"], ["entropy"], ["margin"], ["fal"]]


def test_timings_are_per_dataset_and_strategy(tiny_run):
    _, out = tiny_run
    final = pd.read_csv(out / "final.csv")
    summary = pd.read_csv(out / "summary.csv")
    assert (final["cpu_seconds"] > 0).all()
    for row in summary.itertuples(index=False):
        runs = final[final["strategy"] == row.strategy_label]
        assert row.cpu_seconds == pytest.approx(runs["cpu_seconds"].mean())
        assert row.seconds == pytest.approx(runs["seconds"].mean())


def test_paired_differences_against_a_loop():
    rng = np.random.default_rng(3)
    rows = [{"dataset_label": d, "strategy": s, "strategy_label": s, "seed": k,
             **{metric: rng.random() for metric in script.TABLE_METRICS}}
            for d in ("a", "b") for s in ("random", "entropy", "fal") for k in range(4)]
    final = pd.DataFrame(rows).iloc[:-1]  # fal on b lacks seed 3
    table = script.paired_differences(final).set_index(["dataset_label", "strategy_label"])
    assert "random" not in table.index.get_level_values("strategy_label")
    for (d, s), row in table.iterrows():
        diffs = []
        for k in range(4):
            mine = final[(final.dataset_label == d) & (final.strategy == s) & (final.seed == k)]
            base = final[(final.dataset_label == d) & (final.strategy == "random")
                         & (final.seed == k)]
            if len(mine) and len(base):
                diffs.append(mine["f1"].iloc[0] - base["f1"].iloc[0])
        assert row["pairs"] == len(diffs)
        assert row["f1_diff"] == pytest.approx(np.mean(diffs))
        assert row["f1_up"] == sum(x > 0 for x in diffs)
    assert table.loc[("b", "fal"), "pairs"] == 3
