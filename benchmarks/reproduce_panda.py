"""Reproduce PANDA (Sharaf, Daumé III, Ni, FAccT 2022) on Adult against the baselines.

For every seed: split Adult (sensitive = sex) with PANDA's scheme, meta-train a
PANDA policy on the meta-train part (D0 + validation), save it, and run it through
``fairpool.active.run`` with B = 400 in one step (``panda``) and in rounds of 50
(``panda_b50``, for the learning curves); then run every registered baseline with
the same split, learner (logistic regression) and batch size 50. Results are
written incrementally, so an interrupted run keeps what it finished.

Usage (slow: minutes per seed; ``OMP_NUM_THREADS=1`` is recommended)::

    .venv/bin/python benchmarks/reproduce_panda.py --seeds 5 --train-seconds 840
    .venv/bin/python benchmarks/reproduce_panda.py --seeds 2 --representation  # instead of raw
    .venv/bin/python benchmarks/reproduce_panda.py --seeds 0 --rho-sweep 0.1 0.2
    .venv/bin/python benchmarks/reproduce_panda.py --figures-only   # redraw from CSVs

Policies are saved as ``panda_{kind}_seed{s}_rho{rho}.safetensors`` (kind: the
constraint, ``repr`` or ``encoder``) and loaded from ``--policy-dir`` or ``--out``
when present, so policies can be trained elsewhere (``--train-only``, e.g. one
process per seed and constraint on a many-core or GPU machine) and evaluated here.

Outputs: ``final.csv`` (one row per strategy and seed at B = 400), ``curves.csv``
(every round), ``training.csv`` (per policy: device, seconds, episodes, why it
stopped, constraint and F1 on the held-out meta-train tasks and random selection's),
``rho.csv``, ``summary.md`` under ``--out`` (``results/panda``) and the figures
``docs/figures/panda_*.png``.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

import fairpool as fp
from fairpool.active.strategies.panda import PandaStrategy

BASELINES = ("random", "margin", "entropy", "group_random", "fal_fast", "fairlearn",
             "fairlearn_al", "falcon", "facagen")
CONSTRAINTS = ("demographic_parity", "error_rate_balance")
OPTIONS: dict[str, dict[str, Any]] = {"fal_fast": {"alpha": 0.6}, "fal": {"alpha": 0.6}}
#: Recorded per round: F1, PANDA's Table 1 disparities (DP and EO against the overall
#: rate, EB between pairs of groups), and the max - min DP fairpool reported before.
METRICS = ("f1", "demographic_parity_to_overall", "error_rate_balance",
           "equalized_odds_to_overall", "demographic_parity")
#: Column headers of the tables: each names its reading.
HEADERS = {
    "f1": "F1",
    "demographic_parity_to_overall": "DP to overall (Table 1)",
    "error_rate_balance": "EB between groups (Table 1)",
    "equalized_odds_to_overall": "EO to overall (Table 1)",
    "demographic_parity": "DP max−min",
}
PAPER_DP = "demographic_parity_to_overall"


def panda_options(seconds: float, rho: float, pool_size: int,
                  constraint: str = "demographic_parity",
                  max_episodes: int = 4000) -> dict[str, Any]:
    """The configuration used for Adult (docs/panda.md explains each value).

    ``max_episodes`` caps the outer iterations (a cap that does not depend on the
    machine's load, unlike ``seconds``).
    """
    return dict(budget=400, rho=rho, constraint=constraint, episode_pool_size=1000,
                pool_size=pool_size, validation_size=2000, tasks_per_step=4, prox_steps=2,
                eval_every=20, n_eval_tasks=8, max_episodes=max_episodes, patience=8,
                max_seconds=seconds)


def real_pool_size(parts: dict[str, np.ndarray]) -> int:
    """Rows the policy selects from in ``run``: the split's pool without D0."""
    return int(np.setdiff1d(parts["pool"], parts["initial"]).size)


def _append(path: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(path, mode="a", header=not path.exists(), index=False)


def _record(hist: Any, strategy: str, seed: int, out: Path) -> None:
    frame = hist.frame.copy()
    frame["strategy"], frame["seed"] = strategy, seed
    keep = ["strategy", "seed", "round", "n_labelled", *METRICS, "seconds_select"]
    _append(out / "curves.csv", frame[keep])
    _append(out / "final.csv", frame[keep].tail(1))


def policy_file(directory: Path, kind: str, seed: int, rho: float) -> Path:
    """Where the policy of ``kind`` (a constraint name, or ``repr``/``encoder``) is saved."""
    return directory / f"panda_{kind}_seed{seed}_rho{rho}.safetensors"


def _meta(ds: Any, seed: int) -> tuple[Any, dict[str, np.ndarray]]:
    parts = fp.datasets.split(ds, "panda", seed=seed).indices
    return ds.subset(np.union1d(parts["initial"], parts["validation"])), parts


def shared_representation(ds: Any, encoder: PandaStrategy) -> Any:
    """``ds`` with ``X`` replaced by PANDA's pretrained row encoder's embedding (§3.3)."""
    Z = encoder.representation(ds.X).astype(np.float64)
    names = tuple(f"z{k}" for k in range(Z.shape[1]))
    return dataclasses.replace(ds, X=Z, feature_names=names)


def train_panda(ds: Any, seed: int, args: argparse.Namespace, kind: str) -> PandaStrategy:
    """Meta-train (or load from ``--policy-dir``) one policy for ``seed``.

    ``kind`` is a constraint name, or ``"repr"``: a demographic-parity policy trained
    on the shared representation (:func:`shared_representation` of the ``encoder``
    policy, whose meta-training is one episode: only its pretrained encoder is used).
    """
    for directory in (args.policy_dir, args.out):
        path = policy_file(directory, kind, seed, args.rho) if directory else None
        if path is not None and path.exists():
            return PandaStrategy.load(path)
    if kind == "repr":
        data = shared_representation(ds, train_panda(ds, seed, args, "encoder"))
    else:
        data = ds
    meta, parts = _meta(data, seed)
    constraint = "demographic_parity" if kind in ("repr", "encoder") else kind
    options = panda_options(args.train_seconds, args.rho, real_pool_size(parts), constraint,
                            args.max_episodes)
    options["device"] = args.device
    if kind == "encoder":
        options.update(max_episodes=1, eval_every=1, n_eval_tasks=1)
    panda = PandaStrategy(**options).fit(meta, np.random.default_rng(seed),
                                         verbose=kind != "encoder")
    panda.save(policy_file(args.out, kind, seed, args.rho))
    log = panda.training_summary_
    _append(args.out / "training.csv", pd.DataFrame([{
        "seed": seed, "kind": kind, "rho": args.rho, "device": str(panda._device),
        "seconds": log["seconds"], "episodes": log["episodes"], "stopped": log["stopped"],
        "train_disparity": log["best"]["disparity"], "train_f1": log["best"]["f1"],
        "train_random_disparity": log["random_baseline"]["disparity"],
        "train_random_f1": log["random_baseline"]["f1"],
    }]))
    return panda


def baselines_from(directory: Path, seed: int, names: list[str], out: Path) -> list[str]:
    """Copy ``seed``'s Adult rows of ``names`` from a reproduce_panda_baselines.py run.

    That script runs the same protocol (PANDA split of Adult by sex, logistic
    regression, batches of 50, B = 400, the same seeds), so its runs are the ones this
    script would make; reusing them saves recomputing the baselines. Returns the names
    found.
    """
    curves = pd.read_csv(directory / "curves.csv")
    curves = curves[(curves["dataset"] == "adult") & (curves["seed"] == seed)
                    & curves["strategy"].isin(names)]
    keep = ["strategy", "seed", "round", "n_labelled", *METRICS, "seconds_select"]
    for _, frame in curves.groupby("strategy", sort=True):
        frame = frame.sort_values("round")[keep]
        _append(out / "curves.csv", frame)
        _append(out / "final.csv", frame.tail(1))
    return sorted(set(curves["strategy"]))


def run_seed(ds: Any, seed: int, args: argparse.Namespace) -> None:
    """PANDA (trained or loaded for this seed) and every baseline on the split of ``seed``.

    With ``--representation`` the comparison runs on the shared representation
    instead of the raw features (rows named ``<strategy>@repr``).
    """
    out = args.out
    available = set(fp.active.available_strategies())
    if args.representation:
        panda = train_panda(ds, seed, args, "repr")
        if args.train_only:
            return
        data = shared_representation(ds, train_panda(ds, seed, args, "encoder"))
        runs: list[tuple[str, Any, Any]] = [("panda", panda, None)]
        runs += [(name, name, OPTIONS.get(name)) for name in args.baselines if name in available]
        for name, strategy, options in runs:
            hist = fp.active.run(data, strategy=strategy, learner="logreg", budget=400,
                                 batch_size=400 if name == "panda" else 50, seed=seed,
                                 split="panda", strategy_options=options)
            _record(hist, f"{name}@repr", seed, out)
        return
    for kind in args.constraints:
        panda = train_panda(ds, seed, args, kind)
        if args.train_only:
            continue
        suffix = "" if kind == "demographic_parity" else "_eb"
        runs = (("panda", 400), ("panda_b50", 50)) if not suffix else (("panda_eb", 400),)
        for name, batch in runs:
            hist = fp.active.run(ds, strategy=panda, learner="logreg", budget=400,
                                 batch_size=batch, seed=seed, split="panda")
            _record(hist, name, seed, out)
    if args.train_only:
        return
    if args.baselines_from is not None:
        found = baselines_from(args.baselines_from, seed, list(args.baselines), out)
        print(f"seed {seed}: baselines {', '.join(found)} read from {args.baselines_from}")
        return
    for name in args.baselines:
        if name not in available:
            print(f"skip {name}: not registered")
            continue
        start = time.perf_counter()
        hist = fp.active.run(ds, strategy=name, learner="logreg", budget=400, batch_size=50,
                             seed=seed, split="panda", strategy_options=OPTIONS.get(name))
        _record(hist, name, seed, out)
        print(f"seed {seed} {name}: {time.perf_counter() - start:.0f}s", flush=True)


def rho_sweep(ds: Any, args: argparse.Namespace) -> None:
    """Training vs test disparity of demographic-parity policies trained for several rho."""
    for rho in args.rho_sweep:
        run_args = argparse.Namespace(**{**vars(args), "rho": rho})
        panda = train_panda(ds, 0, run_args, "demographic_parity")
        if args.train_only:
            continue
        hist = fp.active.run(ds, strategy=panda, learner="logreg", budget=400, batch_size=400,
                             seed=0, split="panda")
        log = panda.training_summary_
        _append(args.out / "rho.csv", pd.DataFrame([{
            "rho": rho, "train_disparity": log["best"]["disparity"],
            "test_disparity": hist.final[PAPER_DP], "test_f1": hist.final["f1"],
            "episodes": log["episodes"], "seconds": log["seconds"],
        }]))


def _table(final: pd.DataFrame) -> list[str]:
    """Mean ± sd per strategy of the :data:`METRICS` that ``final`` has; headers name readings."""
    metrics = [m for m in METRICS if m in final.columns]
    rows = ["| strategy | seeds | " + " | ".join(HEADERS[m] for m in metrics) + " |",
            "|---|---|" + "---|" * len(metrics)]
    stats = final.groupby("strategy")[metrics].agg(["mean", "std"])
    counts = final.groupby("strategy")["seed"].nunique()
    for name in stats.sort_values(("f1", "mean"), ascending=False).index:
        cells = [f"{stats.loc[name, (m, 'mean')]:.3f}" + (
                     "" if np.isnan(stats.loc[name, (m, "std")])
                     else f" ± {stats.loc[name, (m, 'std')]:.3f}") for m in metrics]
        rows.append(f"| {name} | {counts[name]} | " + " | ".join(cells) + " |")
    return rows


def summarise(out: Path) -> str:
    """Mean ± sd over seeds at B = 400 (raw features, then the shared representation)."""
    final = pd.read_csv(out / "final.csv")
    shared = final["strategy"].str.endswith("@repr")
    text = "\n".join(_table(final[~shared]))
    if shared.any():
        text += "\n\nOn PANDA's shared representation:\n\n" + "\n".join(_table(final[shared]))
    if (out / "training.csv").exists():
        training = pd.read_csv(out / "training.csv")
        lines = ["| " + " | ".join(training.columns) + " |",
                 "|" + "---|" * len(training.columns)]
        lines += ["| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v)
                                    for v in row) + " |"
                  for row in training.itertuples(index=False)]
        text += "\n\nMeta-training:\n\n" + "\n".join(lines)
    (out / "summary.md").write_text(text + "\n")
    return text


def figures(out: Path, figures_dir: Path) -> None:
    """Figure 1 (F1 against disparity at B = 400) and Figure 2 (curves against budget)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures_dir.mkdir(parents=True, exist_ok=True)
    final = pd.read_csv(out / "final.csv")
    final = final[~final["strategy"].str.endswith("@repr")]
    means = final.groupby("strategy")[list(METRICS)].mean()
    sds = final.groupby("strategy")[list(METRICS)].std()
    # One colour and marker per strategy (more strategies than the default colour cycle).
    colours = plt.get_cmap("tab20").colors
    style = {name: (colours[k % 20], "osD^v<>ph*"[k % 10])
             for k, name in enumerate(sorted(set(final["strategy"])))}
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    panels = (PAPER_DP, "error_rate_balance")
    for ax, metric, label in zip(axes, panels, (HEADERS[PAPER_DP], HEADERS["error_rate_balance"]),
                                 strict=True):
        for name in means.index:
            ax.errorbar(means.loc[name, metric], means.loc[name, "f1"],
                        xerr=sds.loc[name, metric], yerr=sds.loc[name, "f1"],
                        fmt=style[name][1], color=style[name][0], label=name, capsize=2)
        ax.axvline(0.04, color="grey", ls=":", lw=1)
        ax.set_xlabel(f"{label} (test)")
        ax.set_ylabel("F1 (test)")
    axes[1].legend(fontsize=7, loc="lower right")
    fig.suptitle("Adult, sex, B = 400: F1 against disparity (mean ± sd over seeds)")
    fig.tight_layout()
    fig.savefig(figures_dir / "panda_tradeoff.png", dpi=80)
    plt.close(fig)

    curves = pd.read_csv(out / "curves.csv")
    curves = curves[~curves["strategy"].isin(["panda", "panda_eb"])
                    & ~curves["strategy"].str.endswith("@repr")]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, metric in zip(axes, ("f1", PAPER_DP), strict=True):
        for name, part in curves.groupby("strategy"):
            m = part.groupby("n_labelled")[metric].mean()
            ax.plot(m.index, m.values, marker=style[name][1], markersize=3,
                    color=style[name][0], label=name)
        ax.set_xlabel("labelled examples (D0 = 100)")
        ax.set_ylabel(f"{HEADERS[metric]} (test)", fontsize=8)
    axes[1].axhline(0.04, color="grey", ls=":", lw=1)
    axes[0].legend(fontsize=7)
    fig.suptitle("Adult, sex: learning curves (mean over seeds; PANDA in rounds of 50)")
    fig.tight_layout()
    fig.savefig(figures_dir / "panda_curves.png", dpi=80)
    plt.close(fig)

    if (out / "rho.csv").exists():
        rho = pd.read_csv(out / "rho.csv").groupby("rho").mean()
        fig, ax = plt.subplots(figsize=(4.5, 3.4))
        ax.plot(rho.index, rho["train_disparity"], marker="o", label="meta-train validation")
        ax.plot(rho.index, rho["test_disparity"], marker="s", label="test")
        ax.plot(rho.index, rho.index, color="grey", ls=":", lw=1, label="rho")
        ax.set_xlabel("rho")
        ax.set_ylabel(HEADERS[PAPER_DP])
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(figures_dir / "panda_rho.png", dpi=80)
        plt.close(fig)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--train-seconds", type=float, default=300.0)
    parser.add_argument("--max-episodes", type=int, default=4000,
                        help="cap on meta-training iterations per policy (load-independent)")
    parser.add_argument("--rho", type=float, default=0.04)
    parser.add_argument("--rho-sweep", type=float, nargs="*", default=[])
    parser.add_argument("--baselines", nargs="*", default=list(BASELINES))
    parser.add_argument("--out", type=Path, default=Path("results/panda"))
    parser.add_argument("--baselines-from", type=Path,
                        help="read the baselines' runs from this reproduce_panda_baselines.py "
                             "output (same protocol and seeds) instead of running them")
    parser.add_argument("--figures", type=Path, default=Path("docs/figures"))
    parser.add_argument("--figures-only", action="store_true")
    parser.add_argument("--constraints", nargs="*", default=list(CONSTRAINTS),
                        choices=CONSTRAINTS, help="PANDA policies to train (one per constraint)")
    parser.add_argument("--representation", action="store_true",
                        help="compare every method on PANDA's shared representation instead")
    parser.add_argument("--policy-dir", type=Path,
                        help="load policies saved there (e.g. trained elsewhere) before training")
    parser.add_argument("--dataset", default="adult:sex",
                        help="name:sensitive of the data the policies meta-train on "
                             "(default adult:sex; another needs --train-only)")
    parser.add_argument("--train-only", action="store_true",
                        help="train and save the policies, run nothing else")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                        help="where policies train (auto: CUDA when available)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.figures_only:
        name, _, sensitive = args.dataset.partition(":")
        ds = fp.datasets.load(name, **({"sensitive": sensitive} if sensitive else {}))
        if name != "adult" and not args.train_only:
            parser.error("--dataset other than adult needs --train-only (the comparison "
                         "and its figures are Adult's)")
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            run_seed(ds, seed, args)
        if args.rho_sweep:
            rho_sweep(ds, args)
    if args.train_only or not (args.out / "final.csv").exists():
        return
    print(summarise(args.out))
    figures(args.out, args.figures)


if __name__ == "__main__":
    main()
