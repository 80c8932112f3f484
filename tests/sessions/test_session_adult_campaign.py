"""Issue 12's evidence, end to end: Adult as a team would run it, through the command line.

500 labelled rows and a 20,000-row pool whose ``income`` column is removed; a scripted
annotator answers each batch from the hidden labels; five rounds of ``fairpool session
query`` / ``teach`` in fresh processes, with the third ``teach`` killed by SIGKILL while it
runs and then repeated. The labels bought, every round's picks and the final model must
equal ``fp.active.run`` with the same seed on the same split: a session is the same loop,
cut into processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import fairpool as fp
from fairpool.sessions import Session

N_LABELLED, N_POOL, N_TEST = 500, 20_000, 2_000
BUDGET, BATCH, SEED, STRATEGY = 250, 50, 0, "falcon"


def _cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "fairpool.cli", "session", *args],
                          capture_output=True, text=True)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def adult_parts():
    raw = fp.datasets.raw_table("adult")
    raw.insert(0, "person", [f"p{i}" for i in range(len(raw))])
    order = np.random.default_rng(7).permutation(len(raw))
    labelled = raw.iloc[order[:N_LABELLED]]
    pool = raw.iloc[order[N_LABELLED:N_LABELLED + N_POOL]]
    test = raw.iloc[order[N_LABELLED + N_POOL:N_LABELLED + N_POOL + N_TEST]]
    return raw, labelled, pool, test


def test_five_rounds_through_the_cli_with_a_kill_equal_run(tmp_path, adult_parts):
    raw, labelled, pool, test = adult_parts
    labelled.to_csv(tmp_path / "labelled.csv", index=False)
    pool.drop(columns="income").to_csv(tmp_path / "pool.csv", index=False)
    hidden = dict(zip(pool.person, pool.income, strict=True))  # the annotators' answers
    directory = tmp_path / "campaign"
    _cli("init", str(directory), "--labelled", str(tmp_path / "labelled.csv"),
         "--pool", str(tmp_path / "pool.csv"), "--target", "income", "--sensitive", "sex",
         "--id", "person", "--positive", ">50K", "--strategy", STRATEGY,
         "--budget", str(BUDGET), "--batch-size", str(BATCH), "--seed", str(SEED))

    batches: list[list[str]] = []
    killed = False
    for round_ in range(1, BUDGET // BATCH + 1):
        out = tmp_path / f"batch{round_}.csv"
        _cli("query", str(directory), "--out", str(out))
        batch = pd.read_csv(out)
        assert "income" not in batch.columns and len(batch) == BATCH
        batches.append(batch.person.tolist())
        answers = tmp_path / f"answers{round_}.csv"
        pd.DataFrame({"person": batch.person,
                      "income": [hidden[p] for p in batch.person]}).to_csv(answers, index=False)
        if round_ == 3:
            # SIGKILL in the middle of the teach (after its imports, around its write).
            child = subprocess.Popen(
                [sys.executable, "-m", "fairpool.cli", "session", "teach", str(directory),
                 str(answers)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True)
            time.sleep(2.0)
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                killed = True
            child.communicate()
            again = _cli("teach", str(directory), str(answers))
            # Either the kill came before the labels' commit (stored now) or after it (the
            # same file again is a no-op that says so); never stored twice.
            assert ("stored 50 label(s)" in again.stdout) or ("already" in again.stdout), (
                again.stdout)
        else:
            done = _cli("teach", str(directory), str(answers))
            assert "stored 50 label(s)" in done.stdout
    assert killed, "the teach finished within 2 s: the kill did not land mid-command"

    # The reference: run() on the same rows, encoded by the session's own encoder.
    with Session.open(directory) as s:
        frame = pd.concat([labelled, pool, test], ignore_index=True)
        ds = s.encoder.to_dataset(frame)
        positions = {p: k for k, p in enumerate(frame.person)}
        split = {
            "initial": np.arange(N_LABELLED),
            "pool": np.arange(N_LABELLED, N_LABELLED + N_POOL),
            "test": np.arange(N_LABELLED + N_POOL, len(frame)),
        }
        final_proba = []
        hist = fp.active.run(
            ds, STRATEGY, "logreg", budget=BUDGET, batch_size=BATCH, seed=SEED, split=split,
            metrics=["accuracy"],
            model_metrics={"keep": lambda al, t: final_proba.append(al.predict_proba(t.X))
                           or 0.0},
        )
        picked = [list(p) for p in hist.frame["picked"].iloc[1:]]
        assert [[positions[p] for p in b] for b in batches] == picked

        labels = s.export()
        X_test = ds.X[split["test"]]
        np.testing.assert_array_equal(s.learner().predict_proba(X_test), final_proba[-1])
        status = s.status()
    bought = labels[labels["id"].isin(hidden)]
    assert len(labels) == N_LABELLED + BUDGET and len(bought) == BUDGET  # each label once
    assert sorted(bought["id"]) == sorted(p for b in batches for p in b)
    assert (bought["label"] == bought["id"].map(hidden)).all()  # what the annotators said
    assert status.used == BUDGET and status.left == 0
