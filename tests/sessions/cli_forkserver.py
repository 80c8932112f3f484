"""Run ``fairpool`` commands in forked children of one warm Python process.

The kill tests need many ``fairpool session teach`` processes to SIGKILL. Started with
``python -m fairpool.cli``, each would spend seconds importing pandas, scikit-learn and
torch before it touched the session, and the kills would mostly hit the imports. This
server imports everything once; for each request it forks a child that runs the real CLI
entry point (``fairpool.cli.main``) with the given arguments, so every kill lands in the
command's own work: reading the file, the labels' transaction, the refit.

Protocol (one JSON object per line): the test writes ``{"jobs": [{"args": [...], "out":
PATH}, ...]}``; the server forks one child per job (all at once), answers ``{"pids":
[...]}``, and when all ended ``{"statuses": [...]}`` (exit codes, ``-signal`` for a
killed child). A child's stdout and stderr go to its ``out``, line-buffered, so what the
command printed before a kill is in the file.
"""

from __future__ import annotations

import json
import os
import signal
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pyarrow.parquet  # noqa: E402,F401
import sklearn.metrics  # noqa: E402,F401
import sklearn.model_selection  # noqa: E402,F401
import sklearn.pipeline  # noqa: E402,F401
import skops.io  # noqa: E402,F401

import fairpool.active  # noqa: E402,F401 - warm imports the children inherit
import fairpool.cli  # noqa: E402
import fairpool.metrics  # noqa: E402,F401
import fairpool.sessions  # noqa: E402,F401


def _child(args: list[str], out: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    handle = open(out, "w", buffering=1)  # noqa: SIM115 - lives until os._exit
    sys.stdout = sys.stderr = handle
    sys.argv = ["fairpool", *args]
    code = 0
    try:
        fairpool.cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:  # noqa: BLE001 - reported as the child's status
        print(f"crash: {type(exc).__name__}: {exc}", file=handle)
        code = 70
    handle.flush()
    os._exit(code)


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        pids = []
        for job in json.loads(line)["jobs"]:
            pid = os.fork()
            if pid == 0:
                _child(job["args"], job["out"])
            pids.append(pid)
        print(json.dumps({"pids": pids}), flush=True)
        statuses = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
        print(json.dumps({"statuses": statuses}), flush=True)


if __name__ == "__main__":
    main()
