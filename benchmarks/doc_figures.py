"""The figures README.md and docs/ quote, written from the results files that runs left.

A page quotes measured numbers only inside a generated block::

    <!-- figures:panda-fig1 -->
    ...
    <!-- /figures:panda-fig1 -->

Each block is rendered here from files under ``benchmarks/results/<run>/`` (committed,
so every number on a page can be traced and checked without rerunning), and ends with
the command that made those files and the commit of the code that ran it, read from
the run's ``provenance.json``. Nothing in a block is typed by hand.

Usage::

    # after a run: copy its results into benchmarks/results/<run>/ with provenance
    .venv/bin/python benchmarks/doc_figures.py record panda --source results/panda \\
        --command "benchmarks/reproduce_panda.py --seeds 1 ..." [--commit SHA]
    .venv/bin/python benchmarks/doc_figures.py write     # rewrite every block
    .venv/bin/python benchmarks/doc_figures.py check     # exit 1 if a page is stale

``tests/benchmarks/test_doc_figures.py`` runs ``check``: a page whose numbers differ
from its results files fails the test suite. Hand-written (string formatting over
pandas); no library renders Markdown blocks from result tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

#: Which files of each run are kept under ``benchmarks/results/<run>/``.
RUN_FILES: dict[str, tuple[str, ...]] = {
    "make_run": ("final.csv",),
    "panda": ("final.csv", "curves.csv", "training.csv", "summary.md"),
    "panda_eb": ("final.csv", "training.csv"),
    "panda_rho": ("rho.csv", "training.csv"),
    "panda_baselines": ("final.csv", "summary.csv", "summary.md"),
}


# ---------------------------------------------------------------------------
# provenance and formatting
# ---------------------------------------------------------------------------
def provenance(run: str) -> dict[str, str]:
    """The ``provenance.json`` of ``run``: command, commit, date, note."""
    return json.loads((RESULTS / run / "provenance.json").read_text(encoding="utf-8"))


def made_by(*runs: str) -> str:
    """The closing line of a block: the command and commit behind each results folder."""
    parts = []
    for run in runs:
        p = provenance(run)
        parts.append(f"`{p['command']}` at commit `{p['commit'][:10]}` ({p['date']}; "
                     f"results: `benchmarks/results/{run}/`)")
    return "Made by " + "; ".join(parts) + "."


def mean_sd(values: pd.Series) -> str:
    """``0.123 ± 0.045`` (sample sd); just the mean for one value."""
    values = values.dropna()
    if len(values) < 2:
        return f"{values.mean():.3f}"
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


def _read(run: str, name: str) -> pd.DataFrame:
    return pd.read_csv(RESULTS / run / name)


def _load_script(name: str):  # noqa: ANN202 - a module
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------
# the blocks
# ---------------------------------------------------------------------------
def readme_make_run() -> str:
    """README: what the main job (``make run``) measured, per strategy, mean ± sd over seeds."""
    final = _read("make_run", "final.csv")
    lines = ["| grid | strategy | seeds | F1 | DP gap, max−min | DP, vs overall (PANDA) |",
             "|---|---|---|---|---|---|"]
    for (grid, strategy), part in final.groupby(["grid", "strategy_label"], sort=False):
        if strategy not in ("random", "falcon", "fairlearn", "panda", "facagen"):
            continue
        lines.append(f"| {grid} | {strategy} | {part['seed'].nunique()} | "
                     f"{mean_sd(part['f1'])} | {mean_sd(part['demographic_parity'])} | "
                     f"{mean_sd(part['demographic_parity_to_overall'])} |")
    return "\n".join(lines) + "\n\n" + made_by("make_run")


def _panda_rows(final: pd.DataFrame, strategy: str) -> pd.DataFrame:
    return final[final["strategy"] == strategy]


def readme_panda() -> str:
    """README: PANDA against random, Fairlearn and Falcon (Table 1's DP), and meta-train DP."""
    final = _read("panda", "final.csv")
    training = _read("panda", "training.csv")
    dp = "demographic_parity_to_overall"
    cells = []
    for name in ("random", "panda", "fairlearn", "falcon"):
        rows = _panda_rows(final, name)
        if len(rows):
            cells.append(f"{name} DP {mean_sd(rows[dp])}, EB "
                         f"{mean_sd(rows['error_rate_balance'])} at F1 {mean_sd(rows['f1'])}")
    kept = training[training["kind"] == "demographic_parity"]
    seeds = sorted(final["seed"].unique().tolist())
    text = (f"Adult, B = 400, seed(s) {', '.join(map(str, seeds))}, DP = PANDA's Table 1 "
            f"max_a |P(ŷ=1 | a) − P(ŷ=1)|, EB = max over y and pairs of groups of "
            f"|P(ŷ=1 | a, y) − P(ŷ=1 | a', y)|: " + "; ".join(cells) + ". ")
    if len(kept):
        trained = ", ".join(f"{v:.3f}" for v in kept["train_disparity"])
        random = ", ".join(f"{v:.3f}" for v in kept["train_random_disparity"])
        iterations = ", ".join(str(int(e)) for e in kept["episodes"])
        text += (f"Meta-train DP of the kept policy (ρ = 0.04): {trained} after "
                 f"{iterations} iterations (random selection {random}).")
    return text + "\n\n" + made_by("panda")


def panda_fig1() -> str:
    """docs/reproduce-panda.md Figure 1's table: the script's own summary of final.csv."""
    script = _load_script("reproduce_panda")
    final = _read("panda", "final.csv")
    rows = script._table(final)
    extra = []
    eb_path = RESULTS / "panda_eb" / "final.csv"
    if eb_path.exists() and "panda_eb" not in set(final["strategy"]):
        eb = pd.read_csv(eb_path)
        eb = eb[eb["strategy"] == "panda_eb"]
        if len(eb):
            extra = script._table(eb)[2:]
    return "\n".join(rows + extra) + "\n\n" + made_by(
        "panda", *(["panda_eb"] if extra else []))


def panda_fig2() -> str:
    """docs/reproduce-panda.md Figure 2's table: F1 / DP (vs overall) against labels."""
    curves = _read("panda", "curves.csv")
    curves = curves[~curves["strategy"].isin(["panda", "panda_eb"])]
    points = sorted(curves["n_labelled"].unique().tolist())
    header = "| strategy | " + " | ".join(str(p) for p in points) + " |"
    lines = [header, "|---|" + "---|" * len(points)]
    for name, part in curves.groupby("strategy", sort=True):
        means = part.groupby("n_labelled")[["f1", "demographic_parity_to_overall"]].mean()
        cells = [f"{means.loc[p, 'f1']:.3f} / {means.loc[p, 'demographic_parity_to_overall']:.3f}"
                 if p in means.index else "–" for p in points]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return ("F1 / DP (vs overall, Table 1), mean over seeds, by labelled examples "
            "(D0 = 100):\n\n" + "\n".join(lines) + "\n\n" + made_by("panda"))


def panda_training() -> str:
    """docs/reproduce-panda.md: meta-training of each policy (train and test constraint)."""
    frames = [_read("panda", "training.csv")]
    runs = ["panda"]
    if (RESULTS / "panda_eb" / "training.csv").exists():
        frames.append(_read("panda_eb", "training.csv"))
        runs.append("panda_eb")
    training = pd.concat(frames, ignore_index=True)
    finals = pd.concat([_read(r, "final.csv") for r in runs], ignore_index=True)
    reading = {"demographic_parity": ("demographic_parity_to_overall", "panda"),
               "error_rate_balance": ("error_rate_balance", "panda_eb")}
    lines = ["| constraint (Table 1) | seed | s | iterations | stopped | meta-train value "
             "(random) | test value | test F1 |", "|---|---|---|---|---|---|---|---|"]
    for row in training.itertuples(index=False):
        column, strategy = reading[row.kind]
        test = finals[(finals["strategy"] == strategy) & (finals["seed"] == row.seed)]
        value = f"{test[column].iloc[0]:.3f}" if len(test) else "–"
        f1 = f"{test['f1'].iloc[0]:.3f}" if len(test) else "–"
        lines.append(f"| {row.kind} | {row.seed} | {row.seconds:.0f} | {row.episodes} | "
                     f"{row.stopped} | {row.train_disparity:.3f} "
                     f"({row.train_random_disparity:.3f}) | {value} | {f1} |")
    return "\n".join(lines) + "\n\n" + made_by(*runs)


def panda_rho() -> str:
    """docs/reproduce-panda.md: the rho sweep, meta-train against test DP per bound."""
    rho = _read("panda_rho", "rho.csv").sort_values("rho")
    lines = ["| ρ | meta-train DP (Table 1) | test DP (Table 1) | test F1 | iterations |",
             "|---|---|---|---|---|"]
    for row in rho.itertuples(index=False):
        lines.append(f"| {row.rho:g} | {row.train_disparity:.3f} | {row.test_disparity:.3f} | "
                     f"{row.test_f1:.3f} | {int(row.episodes)} |")
    return ("Seed 0, one policy per bound, all 400 labels in one forward pass:\n\n"
            + "\n".join(lines) + "\n\n" + made_by("panda_rho"))


def baselines_table() -> str:
    """docs/reproduce-panda-baselines.md: the script's summary.md, as it wrote it."""
    text = (RESULTS / "panda_baselines" / "summary.md").read_text(encoding="utf-8").strip()
    return text + "\n\n" + made_by("panda_baselines")


@dataclass(frozen=True)
class Block:
    """One generated block: where it lives and how it is rendered."""

    name: str
    page: str
    render: Callable[[], str]
    runs: tuple[str, ...]


BLOCKS: tuple[Block, ...] = (
    Block("make-run", "README.md", readme_make_run, ("make_run",)),
    Block("panda-summary", "README.md", readme_panda, ("panda",)),
    Block("panda-fig1", "docs/reproduce-panda.md", panda_fig1, ("panda",)),
    Block("panda-fig2", "docs/reproduce-panda.md", panda_fig2, ("panda",)),
    Block("panda-training", "docs/reproduce-panda.md", panda_training, ("panda",)),
    Block("panda-rho", "docs/reproduce-panda.md", panda_rho, ("panda_rho",)),
    Block("baselines", "docs/reproduce-panda-baselines.md", baselines_table,
          ("panda_baselines",)),
)


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- figures:{re.escape(name)} -->\n)(.*?)(<!-- /figures:"
                      rf"{re.escape(name)} -->)", re.S)


def rendered(page_text: str, block: Block) -> tuple[str, str]:
    """(the block's text on the page, the text its results give). Raises if absent."""
    match = _pattern(block.name).search(page_text)
    if match is None:
        raise LookupError(f"{block.page} has no <!-- figures:{block.name} --> block")
    return match.group(2), block.render().rstrip("\n") + "\n"


def write(blocks: tuple[Block, ...] = BLOCKS) -> list[str]:
    """Rewrite every block from its results; returns the pages changed."""
    changed = []
    for page in sorted({b.page for b in blocks}):
        path = ROOT / page
        text = path.read_text(encoding="utf-8")
        new = text
        for block in (b for b in blocks if b.page == page):
            _, fresh = rendered(new, block)
            new = _pattern(block.name).sub(lambda m, f=fresh: m.group(1) + f + m.group(3), new)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(page)
    return changed


def check(blocks: tuple[Block, ...] = BLOCKS) -> list[str]:
    """The blocks whose page text differs from what their results give (empty: all fresh)."""
    stale = []
    for block in blocks:
        on_page, fresh = rendered((ROOT / block.page).read_text(encoding="utf-8"), block)
        if on_page != fresh:
            stale.append(f"{block.page} [{block.name}]")
    return stale


def record(run: str, source: Path, command: str, commit: str | None, note: str) -> Path:
    """Copy ``run``'s files from ``source`` into benchmarks/results/<run>/ with provenance."""
    if run not in RUN_FILES:
        raise SystemExit(f"error: unknown run {run!r}; known: {', '.join(RUN_FILES)}")
    dest = RESULTS / run
    dest.mkdir(parents=True, exist_ok=True)
    for name in RUN_FILES[run]:
        if (source / name).exists():
            shutil.copyfile(source / name, dest / name)
    # the full hash, also of an abbreviated --commit (a block quotes its first 10 digits)
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{commit or 'HEAD'}^{{commit}}"],
                            cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    info = {"command": command, "commit": commit,
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"), "note": note}
    (dest / "provenance.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return dest


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    rec = sub.add_parser("record", help="copy a run's results here with provenance")
    rec.add_argument("run", choices=sorted(RUN_FILES))
    rec.add_argument("--source", type=Path, required=True)
    rec.add_argument("--command", required=True, help="the command that made the results")
    rec.add_argument("--commit", help="the code's commit (default: HEAD)")
    rec.add_argument("--note", default="")
    for action, text in (("write", "rewrite the generated blocks"),
                         ("check", "exit 1 when a block differs from its results")):
        one = sub.add_parser(action, help=text)
        one.add_argument("blocks", nargs="*", help="block names (default: all)")
    args = parser.parse_args()
    chosen = BLOCKS
    if args.action != "record" and args.blocks:
        unknown = sorted(set(args.blocks) - {b.name for b in BLOCKS})
        if unknown:
            raise SystemExit(f"error: unknown block(s) {unknown}")
        chosen = tuple(b for b in BLOCKS if b.name in args.blocks)
    if args.action == "record":
        print(record(args.run, args.source, args.command, args.commit, args.note))
    elif args.action == "write":
        print("\n".join(write(chosen)) or "every page was already up to date")
    else:
        stale = check(chosen)
        if stale:
            print("stale (run `benchmarks/doc_figures.py write`):\n  " + "\n  ".join(stale))
            sys.exit(1)
        print(f"{len(chosen)} blocks match their results files")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
