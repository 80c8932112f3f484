"""Reproduce (and go beyond) FACA-GEN's table with fairpool, on real 1000 Genomes genotypes.

The paper ("FACA-GEN: Investigating Bias and Generalization in Active Learning for
Genomics AI") reports, for 999 samples, an 80/20 split, XGBoost and 10 rounds of
50 labels, demographic parity 0.2429 -> 0.1333, equalized odds 1.0 -> 0.3011 and
an optimal-transport distance 0.0072 -> 0.0097 (before -> after active learning).
This script runs, through the one loop ``fairpool.active.run`` and the
``"facagen"`` split (80/20, 50 labelled seed rows), for every seed:

* ``before``          -- the model on the 50 seed rows (round 0, shared by all);
* ``entropy``         -- entropy sampling, XGBoost;
* ``entropy+cc``      -- entropy sampling, XGBoost with counterfactual augmentation;
* ``facagen_fixed``   -- FACA-GEN, λ = γ = 1;
* ``facagen_ucb``     -- FACA-GEN, UCB1 over (λ, γ) arms;
* ``facagen_ppo``     -- FACA-GEN, PPO-tuned (trained at round 1 on the labelled rows);
* ``facagen_ucb+cc``  -- FACA-GEN (UCB) with the causal consistency learner: the
  paper's full method (acquisition + consistency loss);
* ``facagen_*_gp``    -- the same four with ``fairness_term="group_parity"``: F(x) is
  the DP contribution of x's group under the current model instead of the expected
  change of the DP gap;
* ``fal_fast``        -- FAL's expected-fairness rule (Newton update);
* ``falcon``          -- Falcon's bandit over target-group policies;

and records at the last round the test demographic parity, equalized odds,
optimal-transport distance between the labelled set and the pool, accuracy and
F1 against the recorded labels and (genomes1000) against ``y_true``, the
counterfactual fairness gap and the share of XGBoost's SHAP importance on the
true causal SNPs. Adult and COMPAS get the same comparison (fewer seeds).

Results are appended to ``<out>/runs.csv`` as they finish (a rerun skips the
runs already there); the summary tables are written to ``<out>/table.md``.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/reproduce_facagen.py \\
        [--datasets genomes1000:999 genomes1000:2504 adult:4000 compas] \\
        [--seeds 10] [--methods entropy facagen_ucb ...] [--workers 2] \\
        [--out results/facagen]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import fairpool as fp
from fairpool.bench import make_executor

#: Method label -> (strategy, strategy options, learner).
METHODS: dict[str, tuple[str, dict[str, Any], str]] = {
    "entropy": ("entropy", {}, "xgboost"),
    "entropy+cc": ("entropy", {}, "xgboost_cf"),
    "facagen_fixed": ("facagen", {"tuner": "fixed", "lam": 1.0, "gamma": 1.0}, "xgboost"),
    "facagen_ucb": ("facagen", {"tuner": "ucb"}, "xgboost"),
    "facagen_ppo": ("facagen", {"tuner": "ppo"}, "xgboost"),
    "facagen_ucb+cc": ("facagen", {"tuner": "ucb"}, "xgboost_cf"),
    # The other reading of F(x) (issue 16 part 5): the DP contribution of x's group.
    "facagen_fixed_gp": ("facagen", {"tuner": "fixed", "lam": 1.0, "gamma": 1.0,
                                     "fairness_term": "group_parity"}, "xgboost"),
    "facagen_ucb_gp": ("facagen", {"tuner": "ucb", "fairness_term": "group_parity"}, "xgboost"),
    "facagen_ppo_gp": ("facagen", {"tuner": "ppo", "fairness_term": "group_parity"}, "xgboost"),
    "facagen_ucb+cc_gp": ("facagen", {"tuner": "ucb", "fairness_term": "group_parity"},
                          "xgboost_cf"),
    "fal_fast": ("fal_fast", {}, "xgboost"),
    "falcon": ("falcon", {}, "xgboost"),
}
#: The paper's before -> after numbers (genomes1000, 999 samples).
PAPER = {"demographic_parity": (0.2429, 0.1333), "equalized_odds": (1.0, 0.3011),
         "ot_distance": (0.0072, 0.0097)}
#: Columns of the table: History column -> heading.
COLUMNS = {
    "demographic_parity": "DP",
    "equalized_odds": "EO",
    "ot_distance": "OTD",
    "accuracy": "acc",
    "f1": "F1",
    "acc_true_all": "acc (y_true)",
    "acc_true_f1": "F1 (y_true)",
    "acc_true_worst": "worst-group acc (y_true)",
    "cf_gap": "CF gap",
    "causal_share": "causal share",
}

CSV_COLUMNS = (
    ["dataset", "method", "seed", "seconds"]
    + [name for col in COLUMNS for name in (col, f"before_{col}")]
    + ["arms", "lams", "gammas"]
)


def load(spec: str) -> fp.data.dataset.Dataset:
    """``"genomes1000:999"`` -> 999 samples; ``"adult:4000"`` -> a seeded 4,000-row subsample."""
    name, _, size = spec.partition(":")
    if name == "genomes1000":
        return fp.datasets.load(name, n_samples=int(size) if size else None, seed=0)
    ds = fp.datasets.load(name)
    if size and int(size) < ds.n_samples:
        rows = np.sort(np.random.default_rng(0).choice(ds.n_samples, int(size), replace=False))
        ds = ds.subset(rows)
    return ds


def run_one(task: tuple[str, str, int]) -> dict[str, Any]:
    """One campaign: dataset spec, method label, seed -> the final (and round-0) metrics."""
    spec, method, seed = task
    warnings.simplefilter("ignore")
    ds = load(spec)
    strategy, options, learner = METHODS[method]
    split = fp.datasets.split(ds, "facagen", seed=seed)
    train = np.concatenate([split.indices["initial"], split.indices["pool"]])
    start = time.perf_counter()
    hist = fp.active.run(
        ds,
        strategy=strategy,
        learner=learner,
        budget=500,
        batch_size=50,
        seed=seed,
        split=split,
        strategy_options=options,
        learner_options={"dataset": ds} if learner.endswith("_cf") else None,
        model_metrics=fp.causal.validity_metrics(ds, fit_rows=train, seed=seed),
    )
    frame = hist.frame
    out: dict[str, Any] = {"dataset": spec, "method": method, "seed": seed,
                           "seconds": time.perf_counter() - start}
    for col in COLUMNS:
        if col in frame:
            out[col] = float(frame[col].iloc[-1])
            out[f"before_{col}"] = float(frame[col].iloc[0])
    if strategy == "facagen" and options.get("tuner") == "ucb":
        out["arms"] = " ".join(str(int(a)) for a in frame["strategy_arm"].iloc[1:])
    if strategy == "facagen":
        out["lams"] = " ".join(f"{v:.2f}" for v in frame["strategy_lam"].iloc[1:])
        out["gammas"] = " ".join(f"{v:.2f}" for v in frame["strategy_gamma"].iloc[1:])
    return out


def summary(results: pd.DataFrame, spec: str) -> pd.DataFrame:
    """Mean ± sd over seeds per method (and the shared 'before AL' row)."""
    part = results[results["dataset"] == spec]
    rows = {}
    # Round 0 is the same seed set for every method; take XGBoost's (entropy's) model.
    reference = "entropy" if (part["method"] == "entropy").any() else part["method"].iloc[0]
    before = part[part["method"] == reference]
    rows["before AL"] = {
        h: _cell(before[f"before_{c}"]) for c, h in COLUMNS.items() if f"before_{c}" in before
    }
    for method in METHODS:
        chosen = part[part["method"] == method]
        if len(chosen):
            rows[method] = {h: _cell(chosen[c]) for c, h in COLUMNS.items() if c in chosen}
            rows[method]["n"] = str(len(chosen))
    rows["before AL"]["n"] = str(len(before))
    table = pd.DataFrame.from_dict(rows, orient="index")
    return table.dropna(axis=1, how="all").fillna("")


def _cell(values: pd.Series) -> str:
    values = pd.to_numeric(values, errors="coerce").dropna()
    if values.empty:
        return ""
    return f"{values.mean():.3f} ± {values.std(ddof=1) if len(values) > 1 else 0.0:.3f}"


def markdown(table: pd.DataFrame) -> str:
    """A pipe table (pandas' to_markdown needs tabulate, which fairpool does not ship)."""
    head = ["", *map(str, table.columns)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for index, row in table.iterrows():
        lines.append("| " + " | ".join([str(index), *map(str, row.tolist())]) + " |")
    return "\n".join(lines)


def tuner_choices(results: pd.DataFrame) -> str:
    """Which UCB arms were pulled, and the PPO policy's (λ, γ), pooled over seeds."""
    from fairpool.active.strategies.facagen import DEFAULT_ARMS

    lines = []
    for (spec, method), part in results.groupby(["dataset", "method"]):
        if method.startswith("facagen_ucb") and "arms" in part:
            arms = np.concatenate([np.array(a.split(), dtype=int) for a in part["arms"].dropna()])
            counts = np.bincount(arms, minlength=len(DEFAULT_ARMS))
            late = np.concatenate([np.array(a.split(), dtype=int)[-3:]
                                   for a in part["arms"].dropna()])
            late_counts = np.bincount(late, minlength=len(DEFAULT_ARMS))
            pulls = ", ".join(f"(λ={a[0]:g}, γ={a[1]:g}): {c} ({lc} in rounds 8-10)"
                              for a, c, lc in zip(DEFAULT_ARMS, counts, late_counts, strict=True))
            lines.append(f"- {spec}, {method}: {pulls}")
        if method.startswith("facagen_ppo") and "lams" in part:
            lam = np.concatenate([np.array(v.split(), dtype=float) for v in part["lams"]])
            gam = np.concatenate([np.array(v.split(), dtype=float) for v in part["gammas"]])
            lines.append(f"- {spec}, {method}: PPO actions over all rounds and seeds: λ = "
                         f"{lam.mean():.2f} ± {lam.std():.2f}, γ = {gam.mean():.2f} ± "
                         f"{gam.std():.2f}")
    return "\n".join(lines)


def paper_comparison(results: pd.DataFrame, spec: str = "genomes1000:999") -> str:
    """The paper's Table 1 (before -> after) beside each method's before -> after on ``spec``.

    Both readings of F(x) side by side: a method ``m`` and its ``m_gp`` twin share a row.
    """
    part = results[results["dataset"] == spec]
    if part.empty:
        return ""
    head = ["metric", "paper", "fairpool before"]
    bases = [m for m in METHODS if m.startswith("facagen") and not m.endswith("_gp")
             and ((part["method"] == m) | (part["method"] == f"{m}_gp")).any()]
    for base in bases:
        head += [f"{base} (expected_change)", f"{base}_gp (group_parity)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for col, (before, after) in PAPER.items():
        label = COLUMNS[col]
        reference = part[part["method"] == "entropy"] if (part["method"] == "entropy").any() \
            else part
        row = [label, f"{before:g} → {after:g}", _cell(reference[f"before_{col}"])]
        for base in bases:
            for method in (base, f"{base}_gp"):
                chosen = part[part["method"] == method]
                row.append(f"{_cell(chosen[col])} (n={len(chosen)})" if len(chosen) else "")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+",
                        default=["genomes1000:999", "genomes1000", "adult:4000", "compas"])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--seeds-other", type=int, default=3,
                        help="seeds for adult and compas")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", default="results/facagen")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "runs.csv"
    done = pd.read_csv(csv) if csv.exists() else pd.DataFrame(columns=["dataset", "method", "seed"])
    have = set(zip(done["dataset"], done["method"], done["seed"], strict=True))
    tasks = [
        (spec, method, seed)
        for spec in args.datasets
        for seed in range(args.seeds if spec.startswith("genomes") else args.seeds_other)
        for method in args.methods
        if (spec, method, seed) not in have
    ]
    print(f"{len(tasks)} runs to do ({len(have)} already in {csv})", flush=True)
    with make_executor("local", workers=args.workers) as executor:
        for row in executor.map_unordered(run_one, tasks):
            # One fixed column order, so rows of every method line up in the file.
            frame = pd.DataFrame([row]).reindex(columns=CSV_COLUMNS)
            frame.to_csv(csv, mode="a", header=not csv.exists(), index=False)
            print(f"{row['dataset']} {row['method']} seed {row['seed']}: DP "
                  f"{row.get('demographic_parity', float('nan')):.3f} "
                  f"({row['seconds']:.0f} s)", flush=True)
    results = pd.read_csv(csv)
    text = [f"# FACA-GEN reproduction ({len(results)} runs)\n"]
    for spec in dict.fromkeys(results["dataset"]):
        text.append(f"## {spec}\n\n{markdown(summary(results, spec))}\n")
    comparison = paper_comparison(results)
    if comparison:
        text.append("## Beside the paper's Table 1 (genomes1000, 999 samples)\n\n"
                    + comparison + "\n")
    text.append("## Tuner choices\n\n" + tuner_choices(results) + "\n")
    seconds = results.groupby("method")["seconds"].median().round(1)
    text.append("## Median seconds per run\n\n" + markdown(seconds.to_frame()) + "\n")
    (out / "table.md").write_text("\n".join(text))
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    # as a script only: a test calling main() must keep its own environment
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
