"""Compare two results stores cell by cell: are the recorded numbers the same?

Used to show that a change that should not change behaviour (a refactor) leaves the
main job's results identical for the same seeds::

    fairpool run --out before/   # on the old commit
    fairpool run --out after/    # on the new one
    python benchmarks/compare_results.py before/fairpool.duckdb after/fairpool.duckdb

Every column of every round is compared exactly (floats bit for bit, NaN equal to
NaN), except the timing columns (any with ``seconds`` in the name), which measure the
machine. Prints one line per differing column and exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

from fairpool.bench import ResultsStore

_KEYS = ["cell_key", "round"]


def _rounds(path: str) -> pd.DataFrame:
    with ResultsStore(path, read_only=True) as store:
        frame = store.rounds(decode_json=False)
    timing = [c for c in frame.columns if "seconds" in c]
    return frame.drop(columns=timing).sort_values(_KEYS).reset_index(drop=True)


def compare(before: str, after: str) -> list[str]:
    """Differences between the rounds of two stores, one message each (empty = identical)."""
    a, b = _rounds(before), _rounds(after)
    problems: list[str] = []
    if set(a.columns) != set(b.columns):
        problems.append(f"columns differ: only before {sorted(set(a.columns) - set(b.columns))}, "
                        f"only after {sorted(set(b.columns) - set(a.columns))}")
    if len(a) != len(b) or not a[_KEYS].equals(b[_KEYS]):
        problems.append(f"rows differ: {len(a)} rounds before, {len(b)} after")
        return problems
    for column in sorted(set(a.columns) & set(b.columns)):
        x, y = a[column], b[column]
        if x.dtype.kind == "f" or y.dtype.kind == "f":
            xv, yv = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
            same = (xv == yv) | (np.isnan(xv) & np.isnan(yv))
        else:
            same = (x.astype(object).fillna("<missing>").astype(str)
                    == y.astype(object).fillna("<missing>").astype(str)).to_numpy()
        if not same.all():
            cells = a.loc[~same, "cell_key"].nunique()
            problems.append(f"{column}: {int((~same).sum())} of {len(a)} rounds differ "
                            f"({cells} cells)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    args = parser.parse_args(argv)
    problems = compare(args.before, args.after)
    n = len(_rounds(args.before))
    for line in problems:
        print(line)
    print(f"{'IDENTICAL' if not problems else 'DIFFERENT'}: {n} rounds compared "
          f"(timing columns excluded)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
