"""How fast PANDA meta-trains on Adult, what it reaches, and what one selection costs.

Prints, for one seed of Adult's PANDA split (sensitive = sex, B = 400, rho = 0.04):

1. meta-training: device, torch threads, wall time, episodes, why it stopped, and the
   final constraint value: the demographic parity of the kept policy on the held-out
   meta-train validation tasks (hard Gumbel-top-B selection from full-size pools,
   converged logistic regression) next to random selection's on the same tasks;
2. one selection over the real pool (~12k rows): the policy's forward pass with full
   attention and with the attention context (``attention_context``, the episode
   pool size), the whole ``select`` (h0 fit + features + forward), and entropy
   sampling's ``select``, with ratios; on CUDA the same on the GPU;
3. whether the attention context hurts: the correlation of the two passes' logits,
   and test parity / F1 after B = 400 labels chosen with each, over several
   selection seeds (the same policy, the same splits).

Usage::

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/panda_training.py --seconds 840
    .venv/bin/python benchmarks/panda_training.py --policy results/panda/x.safetensors

``--json PATH`` also writes every figure as JSON; ``--out DIR`` writes the results
files ``benchmarks/doc_figures.py`` quotes: ``DIR/panda_speed.csv`` (one row: the run's
settings, meta-training and selection figures) and ``DIR/panda_context.csv`` (one row
per attention variant and selection seed: test ``demographic_parity`` (max − min),
``demographic_parity_to_overall`` (Table 1) and ``f1`` after B = 400). Torch uses
``--threads`` CPU threads (default 2: the target machine). With CUDA available the
policy trains and selects on the GPU (``device="auto"``); ``--device cpu`` forces the CPU.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

import fairpool as fp
from fairpool.active.strategies.panda import PandaStrategy, attention_context, policy_view

try:  # run as a script from the repository root
    from reproduce_panda import panda_options, real_pool_size
except ImportError:  # pragma: no cover - imported as benchmarks.panda_training
    from benchmarks.reproduce_panda import panda_options, real_pool_size


def _best_time(fn: Any, repeats: int, sync: bool) -> float:
    """Smallest wall time of ``repeats`` calls of ``fn`` (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeats):
        if sync:
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if sync:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


def _pool_features(panda: PandaStrategy, ds: Any, parts: dict[str, np.ndarray]) -> torch.Tensor:
    """The policy's input for the real pool, as ``select`` builds it."""
    pool = np.setdiff1d(parts["pool"], parts["initial"])
    initial = parts["initial"]
    return policy_view(ds.X[initial], ds.y[initial], ds.X[pool], ds.groups[pool],
                       n_groups=len(ds.group_names), C=panda.config.C, device=panda._device)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=840.0, help="training time cap")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rho", type=float, default=0.04)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--policy", type=Path, help="load a saved policy instead of training")
    parser.add_argument("--save", type=Path, help="where to save the trained policy")
    parser.add_argument("--selection-seeds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="write the figures there as JSON")
    parser.add_argument("--out", type=Path,
                        help="write panda_speed.csv and panda_context.csv there")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    report: dict[str, Any] = {"threads": torch.get_num_threads(),
                              "cuda": torch.cuda.is_available()}

    ds = fp.datasets.load("adult", sensitive="sex")
    parts = fp.datasets.split(ds, "panda", seed=args.seed).indices
    if args.policy:
        panda = PandaStrategy.load(args.policy, device=args.device)
    else:
        meta = ds.subset(np.union1d(parts["initial"], parts["validation"]))
        options = panda_options(args.seconds, args.rho, real_pool_size(parts))
        panda = PandaStrategy(**options, device=args.device)
        panda.fit(meta, np.random.default_rng(args.seed), verbose=True)
        if args.save:
            panda.save(args.save)
    summary = panda.training_summary_
    best, rand = summary["best"], summary["random_baseline"]
    device = panda._device
    report["device"] = str(device)
    if device.type == "cuda":
        report["gpu"] = torch.cuda.get_device_name(device)
    report["training"] = {k: summary[k] for k in ("seconds", "episodes", "stopped")}
    report["training"].update(constraint=best["disparity"], f1=best["f1"],
                              random_constraint=rand["disparity"], random_f1=rand["f1"])
    print(f"device: {report.get('gpu', device)}, torch threads: {report['threads']}")
    print(f"meta-training: {summary['seconds']:.0f} s, {summary['episodes']} episodes, "
          f"stopped: {summary['stopped']}")
    print(f"final constraint (demographic parity on the held-out meta-train validation "
          f"tasks): {best['disparity']:.3f} (random selection {rand['disparity']:.3f}), "
          f"F1 {best['f1']:.3f} (random {rand['f1']:.3f}), rho = {panda.config.rho}")

    # -- one selection over the real pool --------------------------------------------
    features = _pool_features(panda, ds, parts)
    n = features.shape[0]
    policy = panda.policy_
    sync = device.type == "cuda"
    context = attention_context(n, panda.config.context_size, np.random.default_rng(0),
                                device=device)
    with torch.no_grad():
        t_full = _best_time(lambda: policy(features), 3, sync)
        t_context = _best_time(lambda: policy(features, context), 3, sync)
        full_logits = policy(features).double().cpu().numpy()
        context_logits = policy(features, context).double().cpu().numpy()
    kw = dict(learner="logreg", budget=400, batch_size=400, seed=args.seed, split="panda",
              metrics=["f1"])
    t_select = min(fp.active.run(ds, strategy=panda, **kw).final["seconds_select"]
                   for _ in range(3))
    t_entropy = min(fp.active.run(ds, strategy="entropy", **kw).final["seconds_select"]
                    for _ in range(3))
    report["selection"] = {
        "pool_rows": n, "context_rows": panda.config.context_size,
        "forward_full_s": t_full, "forward_context_s": t_context,
        "select_s": t_select, "entropy_select_s": t_entropy,
        "select_over_entropy": t_select / t_entropy,
        "logit_correlation_full_vs_context": float(np.corrcoef(full_logits, context_logits)[0, 1]),
    }
    print(f"one forward pass over {n} pool rows: full attention {t_full * 1e3:.1f} ms, "
          f"context of {panda.config.context_size} rows {t_context * 1e3:.1f} ms "
          f"({t_full / t_context:.1f}x faster)")
    print(f"whole select (h0 fit + features + forward): {t_select * 1e3:.1f} ms; entropy "
          f"select {t_entropy * 1e3:.1f} ms; ratio {t_select / t_entropy:.1f}")
    print(f"logit correlation, full attention vs context: "
          f"{report['selection']['logit_correlation_full_vs_context']:.4f}")

    # -- does the context hurt? -----------------------------------------------------------
    outcomes: dict[str, list[tuple[float, float]]] = {"context": [], "full": []}
    context_rows = []
    for label, context_option in (("context", panda.config.attention_context),
                                  ("full", "full")):
        variant = panda.with_config(attention_context=context_option)
        for s in range(args.selection_seeds):  # the same split, different selection noise
            final = fp.active.run(ds, strategy=variant, learner="logreg", budget=400,
                                  batch_size=400, seed=s, split=parts).final
            outcomes[label].append((final["demographic_parity"], final["f1"]))
            context_rows.append({
                "attention": label, "selection_seed": s,
                "demographic_parity": final["demographic_parity"],
                "demographic_parity_to_overall": final["demographic_parity_to_overall"],
                "f1": final["f1"]})
    report["context_effect"] = {}
    for label, values in outcomes.items():
        dp, f1 = np.array(values).T
        report["context_effect"][label] = {"dp_mean": dp.mean(), "dp_sd": dp.std(ddof=1),
                                           "f1_mean": f1.mean(), "f1_sd": f1.std(ddof=1)}
        print(f"test after B=400, attention {label:7s}: parity {dp.mean():.3f} ± "
              f"{dp.std(ddof=1):.3f}, F1 {f1.mean():.3f} ± {f1.std(ddof=1):.3f} "
              f"({args.selection_seeds} selection seeds)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=float))
    if args.out is not None:
        speed = {"seed": args.seed, "rho": panda.config.rho,
                 "constraint": panda.config.constraint, "threads": report["threads"],
                 "device": report.get("gpu", str(device)),
                 "training_seconds": summary["seconds"], "episodes": summary["episodes"],
                 "stopped": summary["stopped"], "patience": panda.config.patience,
                 "train_constraint": best["disparity"], "train_f1": best["f1"],
                 "train_random_constraint": rand["disparity"], "train_random_f1": rand["f1"],
                 **report["selection"]}
        args.out.mkdir(parents=True, exist_ok=True)
        pd.DataFrame([speed]).to_csv(args.out / "panda_speed.csv", index=False)
        pd.DataFrame(context_rows).to_csv(args.out / "panda_context.csv", index=False)


if __name__ == "__main__":
    main()
