"""A labelling campaign on your own files with `fairpool session` (docs/sessions.md walks it).

A team has a labelled CSV and an unlabelled pool. Each round it asks fairpool for a batch,
sends the batch to its annotators, and teaches fairpool their answers when they come back
(days later, from another process: everything lives in the session's directory). Here
Adult's raw table plays both files, and its hidden incomes play the annotators.

Run it from the repository root:  .venv/bin/python examples/labelling_session.py
It prints each command as you would type it, then what fairpool answers.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

FAIRPOOL = shutil.which("fairpool", path=str(Path(sys.executable).parent)) or "fairpool"
work = Path(tempfile.mkdtemp(prefix="fairpool-session-"))


def fairpool(*args: str) -> str:
    """Run a fairpool command as a shell would, print it and its answer."""
    print(f"$ fairpool {' '.join(args)}")
    done = subprocess.run([FAIRPOOL, *args], cwd=work, capture_output=True, text=True,
                          env={"COLUMNS": "100", "PATH": str(Path(sys.executable).parent)})
    print(done.stdout.rstrip() + done.stderr.rstrip(), end="\n\n")
    if done.returncode != 0:
        raise SystemExit(done.returncode)
    return done.stdout


# Your files. Here: Adult's raw table, shuffled, cut into 500 labelled rows and a pool of
# 5,000 whose income column is removed (kept aside as the annotators' answers).
fairpool("datasets", "--raw", "adult", "--out", "adult.csv")
adult = pd.read_csv(work / "adult.csv").sample(frac=1, random_state=0, ignore_index=True)
adult.insert(0, "person", [f"p{i}" for i in range(len(adult))])
adult.iloc[:500].to_csv(work / "labelled.csv", index=False)
adult.iloc[500:5500].drop(columns="income").to_csv(work / "pool.csv", index=False)
truth = dict(zip(adult.person, adult.income, strict=True))

fairpool("session", "init", "campaign", "--labelled", "labelled.csv", "--pool", "pool.csv",
         "--target", "income", "--positive", ">50K", "--sensitive", "sex", "--id", "person",
         "--strategy", "fal_fast", "--budget", "200", "--batch-size", "50")
for round_ in (1, 2):
    fairpool("session", "query", "campaign", "--out", f"batch{round_}.csv")
    # The annotators fill in a label column for the rows of the batch (any order, any subset).
    batch = pd.read_csv(work / f"batch{round_}.csv")
    answers = pd.DataFrame({"person": batch.person, "income": batch.person.map(truth)})
    answers.to_csv(work / f"answers{round_}.csv", index=False)
    fairpool("session", "teach", "campaign", f"answers{round_}.csv")

fairpool("session", "teach", "campaign", "answers2.csv")  # the same file again: a no-op
fairpool("session", "status", "campaign")
fairpool("session", "export", "campaign", "--out", "labels.csv")
print(f"(the files are in {work})")
