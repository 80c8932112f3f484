"""Small tables for the session tests: a labelled table, a pool with hidden labels, an oracle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


def make_frame(n: int = 360, *, seed: int = 0,
               groups: tuple[str, ...] = ("F", "M")) -> pd.DataFrame:
    """A binary task (``y`` in yes/no) with an id, two numeric and one text feature."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(list(groups), n)
    x1 = rng.normal(size=n).round(4)
    x2 = rng.normal(size=n).round(4)
    job = rng.choice(["clerk", "nurse", "welder"], n)
    score = x1 + 0.6 * (sex == groups[-1]) + 0.4 * (job == "nurse") + rng.normal(size=n) * 0.6
    return pd.DataFrame({
        "uid": [f"u{i:04d}" for i in range(n)],
        "x1": x1,
        "x2": x2,
        "job": job,
        "sex": sex,
        "y": np.where(score > 0.3, "yes", "no"),
    })


@dataclass
class Tables:
    """Files of one small campaign and the hidden truth of the pool."""

    labelled: Path
    pool: Path
    validation: Path
    truth: dict[str, str]
    frame: pd.DataFrame


def write_tables(directory: Path, *, n: int = 360, n_labelled: int = 40, n_validation: int = 60,
                 seed: int = 0) -> Tables:
    """Write labelled.csv (semicolons), pool.csv (no target), validation.csv."""
    frame = make_frame(n, seed=seed)
    lab = frame.iloc[:n_labelled]
    val = frame.iloc[n_labelled:n_labelled + n_validation]
    pool = frame.iloc[n_labelled + n_validation:]
    directory.mkdir(parents=True, exist_ok=True)
    paths = (directory / "labelled.csv", directory / "pool.csv", directory / "validation.csv")
    lab.to_csv(paths[0], index=False, sep=";")
    pool.drop(columns="y").to_csv(paths[1], index=False)
    val.to_csv(paths[2], index=False)
    truth = dict(zip(pool["uid"], pool["y"], strict=True))
    return Tables(*paths, truth, frame)


def answers(batch: pd.DataFrame, truth: dict[str, str], *, id_column: str = "uid",
            label_column: str = "y") -> pd.DataFrame:
    """The oracle: the hidden label of every row of a batch."""
    return pd.DataFrame({id_column: batch[id_column].to_numpy(),
                         label_column: [truth[i] for i in batch[id_column]]})
