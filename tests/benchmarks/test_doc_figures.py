"""Every generated block of README.md and docs/ equals what its results files give."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "doc_figures.py"


@pytest.fixture(scope="module")
def figures():
    spec = importlib.util.spec_from_file_location("doc_figures", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["doc_figures"] = module
    spec.loader.exec_module(module)
    return module


def test_every_page_block_equals_its_results(figures) -> None:
    # A number on a page that differs from the committed results file fails here:
    # rerun the script, `doc_figures.py record`, then `doc_figures.py write`.
    assert figures.check() == []


def test_every_block_names_the_command_and_the_commit(figures) -> None:
    for block in figures.BLOCKS:
        text = block.render()
        for run in block.runs:
            info = json.loads((figures.RESULTS / run / "provenance.json").read_text())
            assert len(info["commit"]) == 40 and info["command"]
            assert f"`{info['command']}` at commit `{info['commit'][:10]}`" in text


def test_mean_sd_is_numpys_mean_and_sample_sd(figures) -> None:
    values = pd.Series([0.1, 0.25, 0.4, np.nan])
    expected = f"{np.mean([0.1, 0.25, 0.4]):.3f} ± {np.std([0.1, 0.25, 0.4], ddof=1):.3f}"
    assert figures.mean_sd(values) == expected
    assert figures.mean_sd(pd.Series([0.5])) == "0.500"


def test_check_finds_a_hand_edited_number_and_write_restores_it(figures, tmp_path,
                                                              monkeypatch) -> None:
    page = tmp_path / "page.md"
    block = figures.Block("t", "page.md", lambda: "| a | 0.123 |", ())
    page.write_text("intro\n<!-- figures:t -->\n| a | 0.999 |\n<!-- /figures:t -->\nend\n")
    monkeypatch.setattr(figures, "ROOT", tmp_path)
    assert figures.check((block,)) == ["page.md [t]"]
    assert figures.write((block,)) == ["page.md"]
    expected = "intro\n<!-- figures:t -->\n| a | 0.123 |\n<!-- /figures:t -->\nend\n"
    assert page.read_text() == expected
    assert figures.check((block,)) == []
    page.write_text("no block here\n")
    with pytest.raises(LookupError, match="no <!-- figures:t --> block"):
        figures.check((block,))


# ---------------------------------------------------------------------------
# each block's numbers, recomputed here from its results file with pandas/numpy
# ---------------------------------------------------------------------------
def _csv(figures, run: str, name: str) -> pd.DataFrame:
    return pd.read_csv(figures.RESULTS / run / name)


def _line(text: str, *starts: str) -> str:
    """The one table line of ``text`` that begins with ``| start[0] | start[1] | ...``."""
    prefix = "| " + " | ".join(starts) + " |"
    found = [line for line in text.splitlines() if line.startswith(prefix)]
    assert len(found) == 1, (prefix, found)
    return found[0]


def _msd(values) -> str:
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


def test_metrics_blocks(figures) -> None:
    speed = _csv(figures, "metrics", "metrics_speed.csv")
    table = figures.metrics_speed()
    short = {"demographic_parity_difference": "DP diff", "equalized_odds_difference": "EO diff"}
    for row in speed.itertuples(index=False):
        line = _line(table, f"{row.n:.0e}", row.groups, short[row.metric])
        assert line.endswith(f"| {row.extra_ratio:.3f} |")
        if np.isnan(row.fairlearn_s):
            assert "| - | - |" in line
        else:
            assert f"| {row.fairlearn_s / row.fairpool_s:,.0f}x |" in line
    timed = speed.dropna(subset=["fairlearn_s"])
    largest = timed["n"].max()
    ratio = (timed["fairlearn_s"] / timed["fairpool_s"])[timed["n"] == largest]
    span = f"{ratio.min():,.0f}–{ratio.max():,.0f}×"
    assert span in table and span in figures.readme_metrics()
    dp2 = timed[(timed["n"] == largest) & (timed["groups"] == "2")
                & (timed["metric"] == "demographic_parity_difference")]
    assert f"{dp2['fairpool_s'].iloc[0] * 1e3:.1f} ms vs {dp2['fairlearn_s'].iloc[0]:.1f} s" \
        in figures.readme_metrics()

    strings = _csv(figures, "metrics", "metrics_strings.csv").set_index("metric")
    block = figures.metrics_strings()
    floor = strings.loc["floor", "seconds"]
    for metric, seconds in strings.drop("floor")["seconds"].items():
        assert f"| {seconds / floor:.2f}x |" in _line(block, metric)
    assert f"within {strings.drop('floor')['seconds'].max() / floor:.2f}x" in block


def test_selection_blocks(figures) -> None:
    frame = _csv(figures, "selection_scale", "selection_scale.csv")
    rounds = frame[frame["strategy"] != "train logreg"]
    block = figures.selection_table()
    sizes = sorted(rounds["pool_rows"].unique())
    for before, size in zip([None, *sizes[:-1]], sizes, strict=True):
        line = _line(block, f"{size:.0e}")
        for strategy in rounds["strategy"].unique():
            seconds = rounds[(rounds["pool_rows"] == size) & (rounds["strategy"] == strategy)]
            value = seconds["seconds"].iloc[0]
            assert f"| {value:.3g} |" in line
            if before is not None:
                previous = rounds[(rounds["pool_rows"] == before)
                                  & (rounds["strategy"] == strategy)]["seconds"].iloc[0]
                assert f"| {value / previous:.1f}x" in line
    entropy = rounds[rounds["strategy"] == "entropy"].sort_values("pool_rows")
    assert f"takes {entropy['seconds'].iloc[-1]:.2f} s" in figures.readme_selection()


def test_fal_blocks(figures) -> None:
    frame = _csv(figures, "fal_agreement", "fal_agreement.csv")
    block, readme = figures.fal_table(), figures.readme_fal()
    for _, part in frame.groupby("dataset"):
        fal = part["fal_s"].mean()
        for steps in (1, 2, 3):
            if f"fast{steps}_s" not in part:
                continue
            same = 100 * part[f"fast{steps}_same"].astype(bool).mean()
            top3 = 100 * part[f"fast{steps}_top3"].astype(bool).mean()
            speedup = fal / part[f"fast{steps}_s"].mean()
            assert f"{same:.0f}% / {top3:.0f}% / {part[f'fast{steps}_s'].mean():.3g} / " \
                   f"{speedup:,.0f}x" in block
            if steps == 3:  # fal_fast's default
                label = {"adult": "Adult", "compas": "COMPAS"}[part["dataset"].iloc[0]]
                assert re.search(rf"{same:.0f}%( of queries)? on {label}", readme)
                assert f"{speedup:,.0f}×" in readme
    queries = " | ".join(str(len(p)) for _, p in frame.groupby("dataset", sort=False))
    assert f"| queries | {queries} |" in block


def test_panda_speed_block(figures) -> None:
    speed = _csv(figures, "speed_panda", "panda_speed.csv").iloc[0]
    context = _csv(figures, "speed_panda", "panda_context.csv")
    block = figures.panda_speed()
    assert f"{speed['training_seconds']:.0f} s, {speed['episodes']} iterations" in block
    assert f"{speed['forward_full_s'] / speed['forward_context_s']:.1f}× faster" in block
    assert f"PANDA is {speed['select_s'] / speed['entropy_select_s']:.0f}× slower" in block
    for label in ("context", "full"):
        part = context[context["attention"] == label]
        assert (f"DP vs overall {_msd(part['demographic_parity_to_overall'])}, DP max − min "
                f"{_msd(part['demographic_parity'])}, F1 {_msd(part['f1'])}") in block


def test_fair_reduction_blocks(figures) -> None:
    frame = _csv(figures, "fair_reduction", "fair_reduction.csv")
    block = figures.fair_reduction()
    for name, part in frame.groupby("strategy"):
        part = part.sort_values("seed")
        line = _line(block, name)
        assert " / ".join(f"{v:.2f}" for v in part["demographic_parity"]) in line
        assert _msd(part["demographic_parity"]) in line and _msd(part["accuracy"]) in line
    dp = frame.groupby("strategy")["demographic_parity"]
    readme = figures.readme_fair_reduction()
    assert f"from {_msd(dp.get_group('random'))}" in readme
    assert f"to {_msd(dp.get_group('fairlearn'))}" in readme


def test_genomes1000_blocks(figures) -> None:
    frame = _csv(figures, "genomes1000_signature", "genomes1000_signature.csv")
    block = figures.genomes1000_signature()
    dp = frame["demographic_parity"]
    assert f"| {dp.mean():.3f} | {dp.min():.3f} – {dp.max():.3f} |" in block
    tpr = frame["tpr_true_afr_sas"]
    assert f"| {tpr.mean():.3f} | {tpr.min():.3f} – {tpr.max():.3f} |" in block
    readme = figures.readme_genomes1000()
    assert f"DP gap of {dp.mean():.3f}" in readme and f"rate of {tpr.mean():.2f}" in readme


def test_facagen_blocks(figures) -> None:
    table = (figures.RESULTS / "facagen_terms" / "table.md").read_text(encoding="utf-8")
    block = figures.facagen_terms()
    rows = [line for line in table.splitlines() if line.startswith(("|", "- "))]
    position = 0
    for line in rows:  # every line of table.md, in its order
        position = block.index(line, position) + len(line)
    runs = _csv(figures, "facagen_terms", "runs.csv")
    part = runs[runs["dataset"] == "genomes1000:999"]
    readme = figures.readme_facagen()
    entropy = part[part["method"] == "entropy"]
    assert f"{_msd(entropy['demographic_parity'])} after entropy" in readme
    cc = part[part["method"] == "facagen_ucb+cc"]
    assert f"from {entropy['cf_gap'].mean():.3f} (entropy) to {cc['cf_gap'].mean():.3f}" \
        in readme


def test_strategies_adult_block(figures) -> None:
    frame = _csv(figures, "strategies_adult", "strategies_adult.csv")
    block = figures.strategies_adult()
    for row in frame.itertuples(index=False):
        cells = [f"{getattr(row, m):.3f}" for m in ("f1", "accuracy", "demographic_parity",
                                                     "equalized_odds")]
        picked = f"{row.picked_Female}/{row.picked_Male}"
        assert _line(block, row.strategy) == (f"| {row.strategy} | " + " | ".join(cells)
                                              + f" | {picked} |")
        assert row.picked_Female + row.picked_Male == row.n_labelled - 100  # B labels bought


def test_fal_noise_floor_block(figures) -> None:
    frame = _csv(figures, "fal_noise_floor", "fal_agreement.csv")
    block = figures.fal_noise_floor()
    names = list(dict.fromkeys(frame["dataset"]))
    loose = [100 * frame.loc[frame["dataset"] == d, "default_tol_same"].astype(bool).mean()
             for d in names]
    fast = [100 * frame.loc[frame["dataset"] == d, "fast3_same"].astype(bool).mean()
            for d in names]
    assert " | ".join(f"{v:.0f}%" for v in loose) + " |" in block.splitlines()[3]
    assert " | ".join(f"{v:.0f}%" for v in fast) + " |" in block.splitlines()[4]


def test_falcon_blocks(figures) -> None:
    frame = _csv(figures, "falcon_authors_setup", "falcon_authors_setup.csv")
    summary, paired = figures.falcon_authors().split("\n\n")[:2]
    authors = frame[frame["method"] == "authors' Falcon (λ = 1)"].set_index("seed")["dp_final"]
    for method, part in frame.groupby("method", sort=False):
        part = part.sort_values("seed")
        line = _line(summary, method)
        assert f"| {_msd(part['dp_final'])} |" in line
        assert ", ".join(f"{v:.3f}" for v in part["dp_final"]) in line
        if not method.startswith("authors"):
            diff = part.set_index("seed")["dp_final"] - authors
            assert _line(paired, method) == (f"| {method} | {diff.mean():+.3f} ± "
                                             f"{diff.std(ddof=1):.3f} |")
    dp = frame.groupby("method")["dp_final"]
    readme = figures.readme_falcon()
    ours = dp.get_group("fairpool falcon, authors' learner")
    theirs = dp.get_group("authors' Falcon (λ = 1)")
    assert f"DP {_msd(ours)} against their Falcon's {_msd(theirs)}" in readme


def test_fis_blocks(figures) -> None:
    rounds = _csv(figures, "fis_table", "fis_rounds.csv")
    for dataset in ("adult", "compas"):
        block = figures.fis_section(dataset)
        part = rounds[rounds["dataset_label"] == dataset]
        for strategy, runs in part.groupby("strategy_label"):
            last = runs[runs["round"] == runs["round"].max()]  # one cell per seed
            assert len(last) == runs["seed"].nunique()
            cells = [_msd(last[m]) for m in ("accuracy", "f1", "demographic_parity",
                                             "equalized_odds")]
            assert _line(block, strategy).startswith(f"| {strategy} | " + " | ".join(cells))


def test_falcon_reproduction_blocks(figures) -> None:
    runs = _csv(figures, "falcon_reproduction", "runs.csv")
    for split in ("paper", "falcon"):
        block = figures.falcon_reproduction(split)
        part = runs[runs["split"] == split]
        means = part.groupby("method")["dp_final"].mean()
        for method, name in figures.FALCON_METHODS.items():
            rows = part[part["method"] == method]
            line = next(x for x in block.splitlines()
                        if x.startswith((f"| {name} |", f"| **{name}** |")))
            assert _msd(rows["dp_final"]) in line and _msd(1 - rows["dp_final"]) in line
            assert _msd(rows["accuracy_final"]) in line
            assert line.startswith("| **") == (method == means.idxmin())
    paper = runs[(runs["split"] == "paper") & (runs["method"] == "falcon")]["dp_final"]
    readme = figures.readme_falcon_reproduction()
    assert f"to {_msd(paper)} (fairness score {1 - paper.mean():.3f}" in readme


def test_monitoring_blocks(figures) -> None:
    change = _csv(figures, "monitoring", "monitoring_change_test.csv")
    block = figures.monitoring_change_test()
    for row in change.itertuples(index=False):
        line = _line(block, row.scenario)
        assert f"| {row.reps} | {row.contrast_test_rejects:.3f} |" in line
    periods = _csv(figures, "monitoring", "monitoring_compas_periods.csv")
    block = figures.monitoring_periods()
    for row in periods.itertuples(index=False):
        line = _line(block, row.period, str(row.rows))
        low = row.demographic_parity_difference_ci_low
        high = row.demographic_parity_difference_ci_high
        assert f"{row.demographic_parity_difference:.3f} [{low:.3f}, {high:.3f}]" in line
    assert f"for {periods['rows'].sum()} rows, {len(periods)} periods" in block
    interop = _csv(figures, "monitoring", "monitoring_interop.csv")
    block = figures.monitoring_interop()
    assert len([x for x in block.splitlines() if x.startswith("| ")]) == len(interop) + 1
    assert interop["abs_difference"].max() < 1e-12  # every toolkit agrees


def test_subgroups_block(figures) -> None:
    frame = _csv(figures, "subgroups", "subgroups.csv")
    block = figures.subgroups_speed()
    for row in frame.itertuples(index=False):
        line = _line(block, row.task, f"{row.n:,}")
        assert f"| {row.fairpool_s:.3g} |" in line
        if not pd.isna(row.reference_s):
            ratio = f"{row.ratio:,.0f}" if row.ratio >= 100 else f"{row.ratio:.3g}"
            assert line.endswith(f"| {ratio} |")


def test_stress_test_block(figures) -> None:
    table = _csv(figures, "stress_test", "stress_test.csv")
    block = figures.stress_summary()
    for (name, source, strategy), part in table.groupby(["dataset", "source", "strategy"]):
        group = part["group"].iloc[0]
        line = _line(block, name, source, strategy)
        for metric in ("accuracy", "demographic_parity", "equalized_odds", f"tpr[{group}]"):
            low = part.loc[part["rate"] == part["rate"].min(), metric].mean()
            high = part.loc[part["rate"] == part["rate"].max(), metric].mean()
            assert f" {low:.3f} → {high:.3f} |" in line


def test_explain_blocks(figures) -> None:
    shares = _csv(figures, "explain_by_group", "explain_by_group.csv")
    block = figures.explain_shares()
    for r in shares.itertuples(index=False):
        assert abs(r.sensitive + r.proxies + r.other - 1) < 1e-9  # shares of one total
        assert _line(block, r.dataset, r.model, r.group).startswith(
            f"| {r.dataset} | {r.model} | {r.group} | {r.sensitive:.3f} | {r.proxies:.3f} |")
    timing = _csv(figures, "explain_by_group", "explain_timing.csv")
    block = figures.explain_timing()
    for r in timing.itertuples(index=False):
        ratio = r.kernel_seconds_per_1000_rows / r.seconds_per_1000_rows
        text = f"{ratio:,.0f}" if ratio >= 100 else f"{ratio:.3g}"
        assert _line(block, r.dataset, r.model).endswith(f"| {text} |")


def test_panda_rho_and_representation_blocks(figures) -> None:
    rho = _csv(figures, "panda_rho", "rho.csv")
    block = figures.panda_rho()
    for row in rho.itertuples(index=False):
        assert (f"| {row.rho:g} | {row.train_disparity:.3f} | {row.test_disparity:.3f} | "
                f"{row.test_f1:.3f} | {int(row.episodes)} |") in block
    final = _csv(figures, "panda_repr", "final.csv")
    block = figures.panda_repr()
    for name, part in final.groupby("strategy"):
        assert (f"| {name} | {part['seed'].nunique()} | {_msd(part['f1'])} | "
                f"{_msd(part['demographic_parity_to_overall'])} |") in block


def test_ot_blocks(figures) -> None:
    frame = _csv(figures, "ot_distance", "ot_accuracy.csv")
    timing = _csv(figures, "ot_distance", "ot_timing.csv")
    block = figures.ot_accuracy()
    for d in sorted(set(frame["d"])):
        rows = frame[frame["d"] == d]
        exact = float(rows.loc[rows["method"] == "exact", "value"].iloc[0])
        errors = [100 * (v - exact) / exact
                  for v in rows.loc[rows["method"] == "subsample", "value"]]
        sliced = rows.loc[rows["method"] == "sliced", "value"].tolist()
        line = _line(block, str(d))
        assert f"| {exact:.3f} | {min(errors):+.1f} % .. {max(errors):+.1f} % |" in line
        assert line.endswith(f"| {sum(sliced) / len(sliced):.3f} |")
    limit = timing[timing["case"].str.startswith("default")]["seconds"].iloc[0]
    assert f"5-D): {figures._seconds(limit)} (best" in block
    loop = timing[timing["case"].str.startswith("active")].iloc[0]
    assert (f"{loop['n_a']} × {loop['n_b']} rows of Adult's {loop['d']} standardised "
            f"features) took {figures._seconds(loop['seconds'])}") in figures.ot_round()


def test_newton_steps_block(figures) -> None:
    frame = _csv(figures, "newton_steps", "newton_steps.csv")
    block = figures.newton_steps()
    rows = block.splitlines()
    surprising = [r for r in frame.to_dict("records") if r["p_label"] < figures.SURPRISING]
    for column, start in (("influence", "| first-order"), ("newton_1x", "| one-step Newton"),
                          ("steps_1", "| `fal_fast`, 1 step "), ("steps_5", "| `fal_fast`, 5 ")):
        line = [r for r in rows if r.startswith(start)]
        assert len(line) == 1, start
        median = float(np.median(frame[column].to_numpy()))
        worst = max(r[column] for r in surprising)
        assert line[0].endswith(f"| {100 * median:.2g} % | {100 * worst:.3g} % |")
    assert f"({len(frame)} pairs)" in block and f"({len(surprising)} pairs)" in block


def test_fis_against_random_lines(figures) -> None:
    rounds = _csv(figures, "fis_table", "fis_rounds.csv")
    for dataset in ("adult", "compas"):
        block = figures.fis_section(dataset)
        means = {}
        for strategy in ("random", "fis"):
            part = rounds[(rounds["dataset"] == dataset) & (rounds["strategy"] == strategy)]
            finals = [cell[cell["round"] == cell["round"].max()].iloc[0]
                      for _, cell in part.groupby("cell_key")]
            means[strategy] = {m: float(np.mean([f[m] for f in finals]))
                               for m in ("accuracy", "demographic_parity", "equalized_odds")}
        r, f = means["random"], means["fis"]
        change = 100 * (f["demographic_parity"] / r["demographic_parity"] - 1)
        assert (f"DP {r['demographic_parity']:.3f} → {f['demographic_parity']:.3f} "
                f"({change:+.0f} %)") in block
        assert f"accuracy {100 * (f['accuracy'] - r['accuracy']):+.1f} points." in block
        # the line agrees with the script's own table (random's DP mean cell)
        assert _mean_cell(block, "random", 3) == f"{r['demographic_parity']:.3f}"
        assert _mean_cell(block, "fis", 3) == f"{f['demographic_parity']:.3f}"


def _mean_cell(block: str, row: str, column: int) -> str:
    """The mean of the ``column``-th cell of ``row``'s table line, as the table prints it."""
    cells = [line for line in block.splitlines() if line.startswith(f"| {row} |")][0]
    return cells.split(" | ")[column].split(" ± ")[0]


def test_audit_report_block(figures) -> None:
    frame = _csv(figures, "audit_report", "audit_report.csv").set_index("what")
    block = figures.audit_report()
    default = frame.loc["report (default: explanations)"]
    explanations = float(default["parts (s)"].split("explanations ")[1])
    assert (f"took {default['seconds']:.1f} s wall and {default['CPU s']:.1f} s of CPU, of "
            f"which {explanations:.1f} s") in block
    stress = float(frame.loc["report --stress", "parts (s)"].split("stress ")[1].split(",")[0])
    assert f"`--stress` added {stress:.0f} s." in block
    for what in frame.index:  # every row of the file is a row of the table
        assert sum(line.startswith(f"| {what} | ") for line in block.splitlines()) == 1


def test_sessions_block(figures) -> None:
    rows = json.loads((figures.RESULTS / "sessions" / "sessions_bench.json").read_text())
    block = figures.sessions_speed()
    ratios = [r["query_over_select_plus_read"] for r in rows]
    assert f"costs {min(ratios):.2f}–{max(ratios):.2f}× the selection" in block
    assert f"takes {max(r['open_s'] for r in rows) * 1000:.1f} ms at most" in block
    for r in rows:  # every strategy's row of the file is in the printed table
        assert any(line.split()[:2] == [r["strategy"], str(r["pool_rows"])]
                   for line in block.splitlines())


def test_facagen_peers_block(figures) -> None:
    runs = _csv(figures, "facagen_peers", "runs.csv")
    block = figures.facagen_peers()
    for dataset in sorted(set(runs["dataset"])):
        section = block.split(f"#### {dataset}\n", 1)[1].split("####", 1)[0]
        for method in ("entropy", "falcon"):
            part = runs[(runs["dataset"] == dataset) & (runs["method"] == method)]
            dp = part["demographic_parity"].to_numpy()
            expected = f"{dp.mean():.3f} ± {dp.std(ddof=1):.3f}"
            assert _line(section, method).startswith(f"| {method} | {expected} |")
