"""How long does ``fairpool audit FILE --report audit.html`` take on a bundled-size table?

The table is the bundled Adult census table (48,842 rows, 15 columns; ``fairpool
datasets --raw adult``) with a ``model`` column of predictions: the recorded income,
flipped on a seeded 20 % of the rows. The report (sex x race, 10 groups; worst slices
of depth 2 over age) is computed and written three ways: without the stress test and
the explanations, with the explanations (a logistic regression fitted on the table,
SHAP per group), and with the default stress test too. The reference, measured in the
same run, is the plain audit that ``fairpool audit`` prints (``audit_file``); ``ratio``
is the report's time over the plain audit's. Each time is the best of ``--repeat`` runs
(the stress test's of one), after one warm-up that loads the libraries; ``CPU s`` is
that run's process CPU time, less inflated than wall time on a shared machine.

Usage::

    nice -n 10 python benchmarks/audit_report.py [--repeat 3]
        [--out benchmarks/results/audit_report/audit_report.csv]

Prints a Markdown table (seconds per part, the machine's 1-minute load average at the
end) and writes it to ``--out``. Threads are capped at 2 (BLAS, OpenMP).
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # as a script only: importing it must not change the caller's env
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "NUMBA_NUM_THREADS"):
        os.environ.setdefault(_var, "2")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from fairpool.audit import audit_file  # noqa: E402
from fairpool.bench import audit_report, write_audit_report  # noqa: E402
from fairpool.datasets import raw_table  # noqa: E402

OPTIONS = {"target": "income", "sensitive": ["sex", "race"], "pred": "model",
           "pos_label": ">50K"}


def table() -> pd.DataFrame:
    df = raw_table("adult")
    flip = np.random.default_rng(0).random(len(df)) < 0.2
    other = np.where(df["income"] == ">50K", "<=50K", ">50K")
    return df.assign(model=np.where(flip, other, df["income"]))


def best(function, repeat: int) -> tuple[float, float, object]:
    """The best wall-clock seconds of ``repeat`` calls, that call's CPU seconds, its value."""
    times, value = [], None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        value = function()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    wall, cpu = min(times)
    return wall, cpu, value


def markdown(frame: pd.DataFrame) -> str:
    """The table as Markdown (what docs/audit.md shows)."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |",
             "|" + "---|" * frame.shape[1]]
    lines += ["| " + " | ".join(map(str, row)) + " |"
              for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path,
                        default=Path("benchmarks/results/audit_report/audit_report.csv"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "adult.csv"
        table().to_csv(path, index=False)
        page = Path(folder) / "audit.html"

        def plain():
            return audit_file(path, **OPTIONS)

        def report(**options):
            def run():
                result = audit_report(path, max_depth=2, slice_by=["age"], **OPTIONS, **options)
                write_audit_report(result, page)
                return result
            return run

        report(explain=True)()  # warm-up: imports shap, sklearn, matplotlib
        reference, _, _ = best(plain, args.repeat)
        rows = []
        for label, options, repeat in (
            ("report, no explanations", {"explain": False}, args.repeat),
            ("report (default: explanations)", {"explain": True}, args.repeat),
            ("report --stress", {"explain": True, "stress": True}, 1),
        ):
            seconds, cpu, result = best(report(**options), repeat)
            parts = ", ".join(f"{k} {v:.2f}" for k, v in result.seconds.items())
            rows.append({"what": label, "rows": 48842, "seconds": round(seconds, 2),
                         "CPU s": round(cpu, 2),
                         "plain audit s": round(reference, 2),
                         "ratio": round(seconds / reference, 1), "parts (s)": parts,
                         "page KiB": round(page.stat().st_size / 1024)})
    frame = pd.DataFrame(rows)
    frame["load (1 min)"] = round(os.getloadavg()[0], 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(markdown(frame))


if __name__ == "__main__":
    main()
