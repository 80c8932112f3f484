"""The session store (fairpool.sessions._store): transactions, locking, constraints, formats."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import zipfile
from io import BytesIO

import pytest
from session_data import answers, write_tables

from fairpool.errors import SessionBusyError
from fairpool.sessions import SCHEMA_VERSION, Session
from fairpool.sessions._store import DB_NAME, SessionStore


@pytest.fixture
def store(tmp_path):
    s = SessionStore.create(tmp_path, busy_timeout=0.2)
    with s.write():
        s.set_meta("complete", True)
    yield s
    s.close()


def test_the_store_is_wal_with_full_sync_and_foreign_keys(store, tmp_path):
    assert store.one("PRAGMA journal_mode") == "wal"
    assert store.one("PRAGMA synchronous") == 2  # FULL
    assert store.one("PRAGMA foreign_keys") == 1
    again = SessionStore.open(tmp_path)
    assert again.one("PRAGMA synchronous") == 2 and again.get_meta("schema_version") == \
        SCHEMA_VERSION
    again.close()


def test_a_write_commits_everything_or_nothing(store):
    before = store.generation()
    with store.write():
        store.set_meta("a", 1)
    assert store.get_meta("a") == 1 and store.generation() == before + 1
    with pytest.raises(RuntimeError, match="boom"), store.write():
        store.set_meta("a", 2)
        store.set_meta("b", 3)
        raise RuntimeError("boom")
    assert store.get_meta("a") == 1 and store.get_meta("b") is None
    assert store.generation() == before + 1


def test_a_writer_waits_for_another_and_gives_up_after_the_busy_timeout(store, tmp_path):
    other = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    started = time.perf_counter()
    with pytest.raises(SessionBusyError, match="another fairpool command is writing"), \
            store.write():
        pass
    assert time.perf_counter() - started >= 0.15
    # Released within the timeout: the second writer waits and then writes (serialised).
    patient = SessionStore.open(tmp_path, busy_timeout=10)
    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
    with patient.write():
        patient.set_meta("after", True)
    assert patient.get_meta("after") is True
    patient.close()
    other.close()


def _populated(tmp_path):
    tables = write_tables(tmp_path / "data", n=200)
    s = Session.create(tmp_path / "s", labelled=tables.labelled, pool=tables.pool, target="y",
                       sensitive="sex", id="uid", batch_size=10, strategy="falcon")
    s.teach(answers(s.query(), tables.truth))
    s.query()
    return s, tables


def test_at_most_one_live_label_and_one_live_reservation_per_row(tmp_path):
    s, _ = _populated(tmp_path)
    con = sqlite3.connect(s.directory / DB_NAME, isolation_level=None)
    con.execute("PRAGMA foreign_keys = ON")
    label = con.execute("SELECT teach_id, row_id, batch_id, rank, value, code, created "
                        "FROM labels LIMIT 1").fetchone()
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        con.execute("INSERT INTO labels (teach_id, row_id, batch_id, rank, value, code, "
                    "created) VALUES (?, ?, ?, ?, ?, ?, ?)", label)
    reserved = con.execute("SELECT batch_id, row_id, pool_position FROM batch_rows "
                           "WHERE batch_id = 2 LIMIT 1").fetchone()
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        con.execute("INSERT INTO batch_rows (batch_id, rank, row_id, pool_position) "
                    "VALUES (1, 99, ?, ?)", reserved[1:])
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        con.execute("INSERT INTO labels (teach_id, row_id, batch_id, rank, value, code, "
                    "created) VALUES (1, 'no-such-row', 1, 0, 'yes', 1, 'now')")


def test_nothing_in_the_store_is_pickled(tmp_path):
    s, _ = _populated(tmp_path)
    con = sqlite3.connect(s.directory / DB_NAME)
    states = [bytes(b) for (b,) in con.execute("SELECT learner_state FROM batches")]
    models = [bytes(b) for (b,) in con.execute("SELECT model FROM rounds")]
    assert states and models
    for blob in states:  # safetensors: a little-endian header length, then a JSON header
        size = int.from_bytes(blob[:8], "little")
        header = json.loads(blob[8:8 + size])
        assert header["__metadata__"]["format"]
    for blob in models:  # skops: a zip of JSON and .npy files
        names = zipfile.ZipFile(BytesIO(blob)).namelist()
        assert "schema.json" in names
        assert all(n.endswith((".json", ".npy")) for n in names)
    for (text,) in con.execute("SELECT value FROM meta"):
        json.loads(text)
    assert all(not p.name.endswith((".pkl", ".pickle")) for p in s.directory.rglob("*"))
    state = s._store.all("SELECT state_format FROM batches")
    assert {f for (f,) in state} == {"pack_state"}


def test_a_round_lost_to_a_kill_is_recomputed_on_open(tmp_path):
    s, _ = _populated(tmp_path)
    con = sqlite3.connect(s.directory / DB_NAME)
    metrics = con.execute("SELECT metrics FROM rounds WHERE teach_id = 1").fetchone()[0]
    con.execute("DELETE FROM rounds WHERE teach_id = 1")  # as if killed before the refit
    con.commit()
    assert s.status().pending_rounds == 1
    with Session.open(s.directory) as again:
        assert again.status().pending_rounds == 0
        assert again.round_metrics(1)[0] == pytest.approx(json.loads(metrics), nan_ok=True)
