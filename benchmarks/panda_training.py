"""How fast PANDA meta-trains on Adult, what it reaches, and what one selection costs.

Prints: meta-training wall time, episodes, why it stopped, the demographic parity
of the best policy on the held-out meta-train validation tasks (hard selection,
converged logistic regression) next to random selection's, the same policy's
parity and F1 on the test split after B = 400 labels chosen from the full pool
(~12k rows) and from a 2,000-row subsample of it (the size of a training episode),
and the time of one selection forward pass over the full pool against entropy
sampling's selection time.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/panda_training.py --seconds 840
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/panda_training.py \\
        --policy results/panda/panda_seed0_rho0.04.safetensors   # skip training

Torch is limited to ``--threads`` CPU threads (default 2: the target machine).
There is no GPU on the machine these numbers were taken on; with CUDA available
the same script trains and selects on the GPU (``device="auto"``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

import fairpool as fp
from fairpool.active.panda import PandaStrategy

try:  # run as a script from the repository root
    from reproduce_panda import panda_options, real_pool_size
except ImportError:  # pragma: no cover - imported as benchmarks.panda_training
    from benchmarks.reproduce_panda import panda_options, real_pool_size


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=840.0, help="training time cap")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rho", type=float, default=0.04)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--policy", type=Path, help="load a saved policy instead of training")
    parser.add_argument("--save", type=Path, help="where to save the trained policy")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    ds = fp.datasets.load("adult", sensitive="sex")
    split = fp.datasets.split(ds, "panda", seed=args.seed)
    parts = split.indices
    if args.policy:
        panda = PandaStrategy.load(args.policy)
        summary = panda.training_summary_
    else:
        meta = ds.subset(np.union1d(parts["initial"], parts["validation"]))
        panda = PandaStrategy(**panda_options(args.seconds, args.rho, real_pool_size(parts)))
        panda.fit(meta, np.random.default_rng(args.seed), verbose=True)
        summary = panda.training_summary_
        if args.save:
            panda.save(args.save)
    best, rand = summary["best"], summary["random_baseline"]
    print(f"device: {panda.policy_.head.weight.device} (CUDA available: "
          f"{torch.cuda.is_available()}), torch threads: {torch.get_num_threads()}")
    print(f"meta-training: {summary['seconds']:.0f} s, {summary['episodes']} episodes, "
          f"stopped: {summary['stopped']}")
    print(f"meta-train validation tasks: parity {best['disparity']:.3f} (random "
          f"{rand['disparity']:.3f}), F1 {best['f1']:.3f} (random {rand['f1']:.3f}), "
          f"rho = {panda.config.rho}")

    # The same policy selecting B = 400 from the full pool and from a 2,000-row subsample.
    rng = np.random.default_rng(args.seed)
    pool = np.setdiff1d(parts["pool"], parts["initial"])
    small = {"initial": parts["initial"], "test": parts["test"],
             "pool": rng.choice(pool, 2000, replace=False)}
    for label, which in (("full pool", "panda"), ("2,000-row pool", small)):
        hist = fp.active.run(ds, strategy=panda, learner="logreg", budget=400, batch_size=400,
                             seed=args.seed, split=which)
        final = hist.final()
        print(f"test after B=400 from the {label} ({final['n_labelled']} labelled): "
              f"parity {final['demographic_parity']:.3f}, error-rate balance "
              f"{final['error_rate_balance']:.3f}, F1 {final['f1']:.3f}, "
              f"select {final['seconds_select']:.2f} s")
    entropy = fp.active.run(ds, strategy="entropy", learner="logreg", budget=400,
                            batch_size=400, seed=args.seed, split="panda").final()
    print(f"entropy: test parity {entropy['demographic_parity']:.3f}, F1 {entropy['f1']:.3f}, "
          f"select {entropy['seconds_select']:.3f} s")
    start = time.perf_counter()
    repeats = 3
    for _ in range(repeats):
        fp.active.run(ds, strategy=panda, learner="logreg", budget=400, batch_size=400,
                      seed=args.seed, split="panda", metrics=["f1"])
    per_run = (time.perf_counter() - start) / repeats
    print(f"PANDA whole one-step run (fit h0, one forward pass, refit, score): {per_run:.2f} s; "
          f"GPU timing not taken (no GPU on this machine)")

if __name__ == "__main__":
    main()
