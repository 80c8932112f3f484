"""Speed of a labelling session on a large pool: ``query`` against the strategy's own selection.

The issue's targets: ``session query`` on a 10^6-row pool costs at most twice the
strategy's own selection time plus reading the pool, and ``Session.open`` takes under a
second. The reference is measured in the same run: an :class:`fairpool.active.ActiveLearner`
fitted on the same encoded labelled rows selects from the same encoded pool in memory
(``select``), and reading the session's stored pool arrays is timed on its own (``read``).

The pool is Adult's rows drawn with replacement up to ``--pool`` rows, each with its own
id; the labelled table is 500 other Adult rows. One session is created; each strategy is
set in turn (``set_strategy``) and queried from the same labelled state (each measured
batch is released again).

Run:  .venv/bin/python benchmarks/sessions.py [--pool 1000000] [--repeats 3]
Writes --out (default results/sessions/sessions_bench.json) and prints the table;
docs/sessions.md quotes it through ``benchmarks/doc_figures.py`` (run ``sessions``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import fairpool as fp

TARGET, SENSITIVE = "income", "sex"


def make_tables(n_pool: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = fp.datasets.raw_table("adult")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(raw))
    labelled = raw.iloc[order[:500]].reset_index(drop=True)
    rest = raw.iloc[order[500:]].drop(columns=[TARGET]).reset_index(drop=True)
    pool = rest.iloc[rng.integers(0, len(rest), n_pool)].reset_index(drop=True)
    labelled.insert(0, "row", [f"L{k}" for k in range(len(labelled))])
    pool.insert(0, "row", [f"P{k}" for k in range(len(pool))])
    return labelled, pool


def median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--strategies", nargs="+", default=["entropy", "margin", "random"])
    parser.add_argument("--out", default="results/sessions/sessions_bench.json")
    args = parser.parse_args()

    labelled, pool = make_tables(args.pool)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "session"
        start = time.perf_counter()
        fp.Session.create(directory, labelled=labelled, pool=pool, target=TARGET,
                          sensitive=SENSITIVE, id="row", strategy=args.strategies[0],
                          positive=">50K").close()
        seconds_create = time.perf_counter() - start
        seconds_open = median_seconds(lambda: fp.Session.open(directory).close(), args.repeats)

        # The references: reading the stored pool table, and the strategy's own selection
        # on the same encoded rows held in memory.
        seconds_read = median_seconds(
            lambda: pd.read_parquet(directory / "inputs" / "pool.parquet"), args.repeats)
        with fp.Session.open(directory) as session:
            encoder = session.encoder
        lab = encoder.transform(labelled, ids=False)
        stored = encoder.transform(pool, ids=False)

        for strategy in args.strategies:
            with fp.Session.open(directory) as session:
                session.set_strategy(strategy)

            def session_query() -> None:
                with fp.Session.open(directory) as session:
                    session.query(50)
                    session.release()  # the next repeat queries from the same state

            seconds_query = median_seconds(session_query, args.repeats)

            al = fp.active.ActiveLearner(strategy, "logreg", seed=0,
                                         group_names=encoder.group_names_)
            al.fit(lab.X, lab.y, lab.groups)
            seconds_select = median_seconds(
                lambda al=al: al.query(stored.X.copy(), stored.groups.copy(), 50),
                args.repeats)
            rows.append({
                "strategy": strategy,
                "pool_rows": args.pool,
                "create_s": round(seconds_create, 2),
                "open_s": round(seconds_open, 4),
                "read_pool_s": round(seconds_read, 3),
                "select_s": round(seconds_select, 3),
                "query_s": round(seconds_query, 3),
                "query_over_select_plus_read": round(
                    seconds_query / (seconds_select + seconds_read), 2),
                "within_target": bool(seconds_query <= 2 * seconds_select + seconds_read
                                      and seconds_open < 1.0),
            })

    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    print("target: query_s <= 2 * select_s + read_pool_s, and open_s < 1 s")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
