"""A session is the loop of ``fp.active.run``, cut between rounds (issue 12, "Evidence").

German credit, run's own split (initial, validation, pool, test); the session gets the
initial rows as its labelled table, the pool without its labels, the validation rows as
its validation table. Each round opens the session anew (nothing kept in memory), asks
for a batch and teaches the hidden labels of exactly that batch. The picks of every
round, every round's model and the validation metrics equal run's.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import fairpool as fp
from fairpool.sessions import Session

BUDGET, BATCH = 150, 50


def _german_frame():
    ds = fp.datasets.load("german")
    frame = pd.DataFrame(ds.X, columns=list(ds.feature_names))
    frame.insert(0, "rid", [f"r{i}" for i in range(ds.n_samples)])
    frame["age_group"] = [ds.group_names[g] for g in ds.groups]
    frame["credit"] = ds.y
    return ds, frame


def _run_reference(ds, parts, strategy):
    """run(), keeping every round's model (as a copy of the learner's predictions)."""
    snapshots = []

    def keep(al, test):
        snapshots.append(al.predict_proba(ds.X))
        return 0.0

    hist = fp.active.run(
        ds, strategy, "logreg", budget=BUDGET, batch_size=BATCH, seed=3,
        split={"pool": parts["pool"], "test": parts["test"], "validation": parts["validation"],
               "initial": parts["initial"]},
        metrics=["accuracy"], model_metrics={"snapshot": keep},
    )
    return hist, snapshots


def _session_round(directory, frame, truth, *, cli: bool, tmp_path, round_):
    if not cli:
        with Session.open(directory) as s:
            batch = s.query()
            labels = pd.DataFrame({"rid": batch.rid, "credit": [truth[r] for r in batch.rid]})
            report = s.teach(labels)
            assert report.ok and report.stored == len(batch)
            return batch.rid.tolist()
    out = tmp_path / f"batch{round_}.csv"
    subprocess.run([sys.executable, "-m", "fairpool.cli", "session", "query", str(directory),
                    "--out", str(out)], check=True, capture_output=True, text=True)
    batch = pd.read_csv(out)
    answers = tmp_path / f"answers{round_}.csv"
    pd.DataFrame({"rid": batch.rid, "credit": [truth[r] for r in batch.rid]}).to_csv(
        answers, index=False)
    done = subprocess.run([sys.executable, "-m", "fairpool.cli", "session", "teach",
                           str(directory), str(answers)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"stored {len(batch)} label(s)" in done.stdout
    return batch.rid.tolist()


@pytest.mark.parametrize("strategy", ["entropy", "random", "falcon"])
def test_a_session_picks_and_fits_what_run_does(tmp_path, strategy):
    ds, frame = _german_frame()
    parts = fp.datasets.split(ds, "panda", seed=3).indices
    hist, snapshots = _run_reference(ds, parts, strategy)

    initial = parts["initial"]
    pool = np.setdiff1d(parts["pool"], initial)  # the order run keeps its pool in
    directory = tmp_path / "session"
    s = Session.create(
        directory, labelled=frame.iloc[initial], pool=frame.iloc[pool].drop(columns="credit"),
        validation=frame.iloc[parts["validation"]], target="credit", sensitive="age_group",
        id="rid", strategy=strategy, learner="logreg", budget=BUDGET, batch_size=BATCH, seed=3)
    # The session's encoding of the raw table is the dataset's.
    encoded = s.encoder.transform(frame)
    np.testing.assert_array_equal(encoded.X, ds.X)
    np.testing.assert_array_equal(encoded.groups, ds.groups)
    s.close()

    truth = dict(zip(frame.rid, frame.credit, strict=True))
    rounds = []
    for round_ in range(1, BUDGET // BATCH + 1):
        # One round through the command line in fresh processes for the cheap strategy.
        cli = strategy == "entropy" and round_ == 2
        rounds.append(_session_round(directory, frame, truth, cli=cli, tmp_path=tmp_path,
                                     round_=round_))

    picked = [list(p) for p in hist.frame["picked"].iloc[1:]]
    assert [[int(r[1:]) for r in batch] for batch in rounds] == picked

    with Session.open(directory) as s:
        for round_, snapshot in enumerate(snapshots):
            model = s.model(round_)
            proba = model.predict_proba(ds.X)
            # The stored pipeline standardises in float64: equal to run's model up to that.
            np.testing.assert_allclose(proba, snapshot, atol=1e-5)
        final = s.learner()
        np.testing.assert_array_equal(final.predict_proba(ds.X), snapshots[-1])
        status = s.status()
    # Round metrics: the definition on the validation rows with run's model of that round.
    val = parts["validation"]
    for round_, snapshot in enumerate(snapshots):
        y_pred = snapshot[val].argmax(axis=1)
        row = status.rounds.iloc[round_]
        assert row.accuracy == pytest.approx((y_pred == ds.y[val]).mean())
        assert row.demographic_parity == pytest.approx(fp.metrics.demographic_parity_difference(
            ds.y[val], y_pred, sensitive_features=ds.groups[val]))
        assert row.equalized_odds == pytest.approx(fp.metrics.equalized_odds_difference(
            ds.y[val], y_pred, sensitive_features=ds.groups[val]))
    assert status.used == BUDGET and status.left == 0
