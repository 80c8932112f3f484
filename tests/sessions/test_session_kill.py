"""Nothing lost, nothing doubled (issue 12, item 5): ``fairpool session teach`` killed with
SIGKILL at random points, and two teaching processes at once.

After every kill the store is checked with plain ``sqlite3`` (not the session code):
integrity and foreign keys (no orphan rows), every teach holds exactly the labels it says,
at most one live label per row, the labels of the file's teach equal what the file says,
and a teach whose "stored" line was printed is there. Then the same teach is run again:
it completes the job exactly once (stores the labels, or says the file was taught and
recomputes a round the kill left out).

Most kills hit children forked from one warm process (tests/sessions/cli_forkserver.py)
that run the real CLI entry point, so the kill times spread over the command's own work
instead of Python's imports; a few hit ``python -m fairpool.cli`` itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from session_data import answers, write_tables

from fairpool.sessions import Session

HERE = Path(__file__).parent


class ForkServer:
    """Client of cli_forkserver.py."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(HERE / "cli_forkserver.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def start(self, jobs: list[tuple[list[str], Path]]) -> list[int]:
        for _, out in jobs:  # no output of an earlier run may pass for this one's
            out.unlink(missing_ok=True)
        request = {"jobs": [{"args": [str(a) for a in args], "out": str(out)}
                            for args, out in jobs]}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())["pids"]

    def wait(self) -> list[int]:
        return json.loads(self.proc.stdout.readline())["statuses"]

    def run(self, args: list[str], out: Path) -> tuple[int, str]:
        self.start([(args, out)])
        (status,) = self.wait()
        return status, out.read_text()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server():
    srv = ForkServer()
    yield srv
    srv.close()


def _campaign(directory: Path, n_batches: int = 1) -> tuple[Path, list[Path]]:
    """A small session with open batches and the answer file of each (a validation table
    keeps the refit cheap: one fit, no cross-validation)."""
    tables = write_tables(directory / "data", n=300, n_labelled=40, n_validation=30)
    session = directory / "s"
    files = []
    with Session.create(session, labelled=tables.labelled, pool=tables.pool, target="y",
                        sensitive="sex", id="uid", batch_size=20,
                        validation=tables.validation) as s:
        for k in range(n_batches):
            path = directory / f"answers{k}.csv"
            answers(s.query(), tables.truth).to_csv(path, index=False)
            files.append(path)
    return session, files


def check_store(session: Path, label_file: Path, *, acknowledged: bool) -> bool:
    """The invariants after a kill; returns whether the file's teach is committed."""
    con = sqlite3.connect(session / "session.sqlite")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.execute("PRAGMA foreign_keys = ON")
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []  # no orphan rows
        assert json.loads(con.execute("SELECT value FROM meta WHERE key = 'complete'")
                          .fetchone()[0]) is True
        for teach_id, n_stored, undone in con.execute(
                "SELECT teach_id, n_stored, undone_at IS NOT NULL FROM teaches"):
            rows = con.execute("SELECT count(*), sum(undone_at IS NOT NULL) FROM labels "
                               "WHERE teach_id = ?", (teach_id,)).fetchone()
            assert rows[0] == n_stored  # all of a committed teach's labels, no more
            assert rows[1] == (n_stored if undone else 0)
        live = [r for (r,) in con.execute("SELECT row_id FROM labels WHERE undone_at IS NULL")]
        assert len(live) == len(set(live))  # no label stored twice
        mismatched = con.execute(
            "SELECT count(*) FROM labels l JOIN batch_rows br ON br.batch_id = l.batch_id "
            "AND br.rank = l.rank WHERE br.row_id != l.row_id").fetchone()[0]
        assert mismatched == 0
        sha = hashlib.sha256(label_file.read_bytes()).hexdigest()
        active = [t for (t,) in con.execute(
            "SELECT teach_id FROM teaches WHERE source_sha256 = ? AND undone_at IS NULL",
            (sha,))]
        assert len(active) <= 1
        if acknowledged:
            assert len(active) == 1, "a teach the command acknowledged is missing"
        if active:
            stored = dict(con.execute("SELECT row_id, value FROM labels WHERE teach_id = ?",
                                      (active[0],)).fetchall())
            expected = pd.read_csv(label_file)
            assert stored == dict(zip(expected.uid, expected.y, strict=True))
        return bool(active)
    finally:
        con.close()


def _complete(session: Path) -> None:
    """Every live teach has its round (model and metrics)."""
    con = sqlite3.connect(session / "session.sqlite")
    missing = con.execute(
        "SELECT count(*) FROM teaches t LEFT JOIN rounds r ON r.teach_id = t.teach_id "
        "WHERE t.undone_at IS NULL AND r.teach_id IS NULL").fetchone()[0]
    con.close()
    assert missing == 0


def _kill_and_rerun(server, session, label_file, out, n_kills, rng):
    args = ["session", "teach", session, label_file]
    durations = []
    for _ in range(3):  # the command's duration, warm (the first run fills the caches)
        started = time.perf_counter()
        status, text = server.run(args, out)
        durations.append(time.perf_counter() - started)
        assert status == 0 and "stored 20 label(s)" in text, text
        with Session.open(session) as s:
            s.undo()
    duration = float(np.median(durations[1:]))
    kills = acknowledged_kills = 0
    while kills < n_kills:
        (pid,) = server.start([(args, out)])
        time.sleep(rng.uniform(0, duration))
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        (status,) = server.wait()
        text = out.read_text() if out.exists() else ""
        acknowledged = "stored 20 label(s)" in text
        committed = check_store(session, label_file, acknowledged=acknowledged)
        if status == -signal.SIGKILL:
            kills += 1
            acknowledged_kills += acknowledged
        else:
            assert status == 0, text
        # The same teach again completes the job exactly once.
        status, text = server.run(args, out)
        assert status == 0, text
        assert ("already taught" in text) == committed
        assert ("stored 20 label(s)" in text) == (not committed)
        assert check_store(session, label_file, acknowledged=True)
        _complete(session)
        with Session.open(session) as s:
            s.undo()
    return acknowledged_kills


@pytest.mark.parametrize("part", [0, 1])
def test_teach_killed_at_random_points_loses_and_doubles_nothing(tmp_path, server, part):
    session, (label_file,) = _campaign(tmp_path)
    rng = np.random.default_rng(part)
    acknowledged = _kill_and_rerun(server, session, label_file, tmp_path / "out.txt", 25, rng)
    assert acknowledged >= 1  # some kills landed after the labels were stored


@pytest.mark.slow
@pytest.mark.parametrize("part", range(4))
def test_teach_killed_500_times(tmp_path, server, part):
    session, (label_file,) = _campaign(tmp_path)
    rng = np.random.default_rng(100 + part)
    _kill_and_rerun(server, session, label_file, tmp_path / "out.txt", 125, rng)


@pytest.mark.parametrize("n_kills", [1, pytest.param(10, marks=pytest.mark.slow)])
def test_the_cli_process_itself_killed_keeps_the_store_whole(tmp_path, n_kills):
    """``python -m fairpool.cli`` killed (its imports take most of its time, so the kill
    times start at 40% of a measured uninterrupted run)."""
    session, (label_file,) = _campaign(tmp_path)
    command = [sys.executable, "-m", "fairpool.cli", "session", "teach", str(session),
               str(label_file)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    duration = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    with Session.open(session) as s:
        s.undo()
    rng = np.random.default_rng(7)
    for fraction in rng.uniform(0.4, 1.0, size=n_kills):
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        time.sleep(fraction * duration)
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        committed = check_store(session, label_file,
                                acknowledged="stored 20 label(s)" in out)
        with Session.open(session) as s:  # open finishes a round the kill left out
            report = s.teach(label_file)
            assert report.noop == committed and report.stored == (0 if committed else 20)
        check_store(session, label_file, acknowledged=True)
        _complete(session)
        with Session.open(session) as s:
            s.undo()


# -- two processes at once -----------------------------------------------------------------
def test_two_processes_teaching_at_once_serialise(tmp_path, server):
    session, files = _campaign(tmp_path, n_batches=2)
    outs = [tmp_path / "a.txt", tmp_path / "b.txt"]
    server.start([(["session", "teach", session, f], o) for f, o in zip(files, outs,
                                                                        strict=True)])
    assert server.wait() == [0, 0]
    for f, o in zip(files, outs, strict=True):
        assert "stored 20 label(s)" in o.read_text()
        check_store(session, f, acknowledged=True)
    _complete(session)
    with Session.open(session) as s:
        assert s.status().used == 40


def test_the_same_file_taught_by_two_processes_at_once_is_stored_once(tmp_path, server):
    session, (label_file,) = _campaign(tmp_path)
    outs = [tmp_path / "a.txt", tmp_path / "b.txt"]
    server.start([(["session", "teach", session, label_file], o) for o in outs])
    assert server.wait() == [0, 0]
    texts = sorted(o.read_text() for o in outs)
    assert sum("stored 20 label(s)" in t for t in texts) == 1
    assert sum("already taught" in t for t in texts) == 1
    check_store(session, label_file, acknowledged=True)
