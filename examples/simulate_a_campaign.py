"""Simulate a labelling campaign: does a fair strategy buy a fairer model than random picks?

fp.active.run hides the labels of a bundled dataset's pool, lets a strategy pick which
rows to "label" round by round, reveals those labels as an annotator would, refits the
model, and scores it on a held-out test split after every round.

Run it from the repository root:  .venv/bin/python examples/simulate_a_campaign.py
"""

import fairpool as fp

# COMPAS (ProPublica's recidivism data), groups by sex; the label is re-arrest within
# two years. The "falcon" split holds out a test set and starts from a small labelled seed.
ds = fp.datasets.load("compas", sensitive="sex")
print("strategies you can try:", ", ".join(fp.active.available_strategies()))

for strategy in ["random", "falcon"]:  # Falcon: Tae et al., VLDB 2024
    finals = []
    for seed in [0, 1, 2]:  # one seed is noisy: average three campaigns
        hist = fp.active.run(
            ds, strategy=strategy, learner="logreg", budget=200, batch_size=20,
            seed=seed, split="falcon",
            metrics=["f1", "accuracy", "demographic_parity", "equalized_odds"],
        )
        finals.append(hist.final)  # the last round as a dict; hist.frame has every round
    mean = {k: sum(f[k] for f in finals) / len(finals)
            for k in ["accuracy", "f1", "demographic_parity", "equalized_odds"]}
    print(f"{strategy:>7}: 200 labels bought, {finals[0]['n_labelled']} labelled in all  "
          f"accuracy {mean['accuracy']:.3f}  F1 {mean['f1']:.3f}  "
          f"DP gap {mean['demographic_parity']:.3f}  EO gap {mean['equalized_odds']:.3f}")
print("DP / EO gap: demographic parity / equalized odds difference between sexes (lower is fairer)")
