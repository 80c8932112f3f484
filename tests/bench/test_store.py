"""The DuckDB results store: round trip, atomic cells, evolving columns, export."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from fairpool.bench import RUN_COLUMNS, CellOutcome, CellResult, ResultsStore, expand_grid
from fairpool.errors import InvalidInputError

from .fakes import fake_history


def _outcome(cell, frame=None, config=None):
    frame = fake_history(cell) if frame is None else frame
    return CellOutcome(key=cell.key, result=CellResult(frame, config or {"n_pool": 90}),
                       error=None, traceback=None, seconds=1.25, versions={"numpy": "2"})


def test_round_trip_keeps_every_value(tmp_path, small_config):
    cells = expand_grid(small_config)
    db = tmp_path / "r.duckdb"
    with ResultsStore(db) as store:
        for cell in cells:
            store.write_cell(cell, _outcome(cell), config_hash="abc")
    with ResultsStore(db, read_only=True) as store:
        assert store.finished_keys() == {c.key for c in cells}
        runs = store.runs()
        rounds = store.rounds()
    assert list(runs.columns) == list(RUN_COLUMNS)
    assert len(runs) == len(cells)
    cell = cells[4]  # facagen, seed 0
    run = runs.set_index("cell_key").loc[cell.key]
    assert (run["strategy"], run["strategy_label"], run["seed"]) == ("facagen", "facagen", 0)
    assert json.loads(run["strategy_params"]) == {"tuner": "ucb"}
    assert json.loads(run["history_config"]) == {"n_pool": 90}
    assert json.loads(run["versions"]) == {"numpy": "2"}
    assert run["wall_seconds"] == 1.25 and run["config_hash"] == "abc"
    assert run["n_rounds"] == 4
    mine = rounds[rounds["cell_key"] == cell.key].reset_index(drop=True)
    expected = fake_history(cell)
    for col in expected.columns:
        if col == "picked":
            assert mine[col].tolist() == expected[col].tolist()
        else:
            np.testing.assert_array_equal(mine[col].to_numpy(), expected[col].to_numpy())
    assert (mine["strategy_label"] == "facagen").all()


def test_final_rounds_are_the_last_round_of_each_run(tmp_path, small_config):
    cells = expand_grid(small_config)
    with ResultsStore(tmp_path / "r.duckdb") as store:
        for cell in cells:
            store.write_cell(cell, _outcome(cell))
        final = store.final_rounds()
    assert len(final) == len(cells)
    assert (final["round"] == 3).all()
    by_key = final.set_index("cell_key")
    for cell in cells:
        assert by_key.loc[cell.key, "f1"] == fake_history(cell)["f1"].iloc[-1]


def test_new_columns_are_added_and_types_widened(tmp_path, small_config):
    a, b, c = expand_grid(small_config)[:3]
    frame_a = pd.DataFrame({"round": [0, 1], "n_labelled": [5, 10], "picked_A": [0, 3],
                            "strategy_lambda": [1, 2]})
    frame_b = pd.DataFrame({"round": [0], "n_labelled": [5], "picked_Other|Group": [2],
                            "strategy_lambda": [0.5]})
    frame_c = pd.DataFrame({"round": [0], "n_labelled": [5], "strategy_lambda": ["auto"],
                            "strategy_arms": [[1, 2]]})
    with ResultsStore(tmp_path / "r.duckdb") as store:
        for cell, frame in ((a, frame_a), (b, frame_b), (c, frame_c)):
            store.write_cell(cell, _outcome(cell, frame))
        rounds = store.rounds().set_index("cell_key")
    assert rounds.loc[a.key, "picked_A"].tolist() == [0, 3]
    assert pd.isna(rounds.loc[b.key, "picked_A"])
    assert rounds.loc[b.key, "picked_Other|Group"] == 2
    # int, then float, then text: the column ends as text holding each value
    assert rounds.loc[a.key, "strategy_lambda"].tolist() == ["1.0", "2.0"]
    assert rounds.loc[b.key, "strategy_lambda"] == "0.5"
    assert rounds.loc[c.key, "strategy_lambda"] == "auto"
    assert json.loads(rounds.loc[c.key, "strategy_arms"]) == [1, 2]


class _FailingConnection:
    """Wraps a DuckDB connection; fails the moment the rounds are registered."""

    def __init__(self, con):
        self._con = con

    def register(self, *args, **kwargs):
        raise RuntimeError("disk full")

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_a_failed_write_leaves_nothing_of_the_cell(tmp_path, small_config):
    first, second = expand_grid(small_config)[:2]
    with ResultsStore(tmp_path / "r.duckdb") as store:
        store.write_cell(first, _outcome(first))
        real = store._con
        store._con = _FailingConnection(real)
        with pytest.raises(RuntimeError, match="disk full"):
            store.write_cell(second, _outcome(second))
        store._con = real
        assert store.finished_keys() == {first.key}
        assert store.count("rounds") == len(fake_history(first))
        store.write_cell(second, _outcome(second))  # the connection is still usable
        assert store.count("runs") == 2


def test_write_refuses_failures_and_mismatched_outcomes(tmp_path, small_config):
    first, second = expand_grid(small_config)[:2]
    failed = CellOutcome(key=first.key, result=None, error="ValueError: x", traceback="",
                         seconds=0.0, versions={})
    with ResultsStore(tmp_path / "r.duckdb") as store:
        with pytest.raises(InvalidInputError, match="failed"):
            store.write_cell(first, failed)
        with pytest.raises(InvalidInputError, match="given with cell"):
            store.write_cell(first, _outcome(second))
        with pytest.raises(InvalidInputError, match="lacks the column 'round'"):
            store.write_cell(first, _outcome(first, pd.DataFrame({"n_labelled": [1]})))
        store.write_cell(first, _outcome(first))
        with pytest.raises(duckdb.ConstraintException):
            store.write_cell(first, _outcome(first))  # a cell is stored once
        assert store.count("rounds") == len(fake_history(first))


def test_reading_a_missing_or_foreign_database_names_it(tmp_path):
    with pytest.raises(InvalidInputError, match="no results database at"):
        ResultsStore(tmp_path / "none.duckdb", read_only=True)
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (x INT)")
    con.close()
    with pytest.raises(InvalidInputError, match="without fairpool results"):
        ResultsStore(other, read_only=True)
    text = tmp_path / "text.duckdb"
    text.write_text("not a database")
    with pytest.raises(InvalidInputError, match="not a valid DuckDB database"):
        ResultsStore(text, read_only=True)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_export_round_trips(tmp_path, small_config, suffix):
    cells = expand_grid(small_config)
    with ResultsStore(tmp_path / "r.duckdb") as store:
        for cell in cells:
            store.write_cell(cell, _outcome(cell))
        rounds = store.export(tmp_path / f"rounds{suffix}")
        final = store.export(tmp_path / f"final{suffix}", table="final")
        expected = store.rounds(decode_json=False)
        with pytest.raises(InvalidInputError, match=r"\.parquet or \.csv"):
            store.export(tmp_path / "x.xlsx")
        with pytest.raises(InvalidInputError, match="rounds, final, runs"):
            store.export(tmp_path / "x.csv", table="cells")
    read = pd.read_parquet if suffix == ".parquet" else pd.read_csv
    back = read(rounds)
    assert len(back) == len(expected) == len(cells) * 4
    np.testing.assert_allclose(back["f1"], expected["f1"])
    assert back["picked"].tolist() == expected["picked"].tolist()
    assert len(read(final)) == len(cells)


def test_configs_are_recorded_once_per_text(tmp_path):
    with ResultsStore(tmp_path / "r.duckdb") as store:
        store.record_config(config_hash="h1", title="t", path="a.toml", source="x = 1")
        store.record_config(config_hash="h1", title="t", path="b.toml", source="x = 1")
        store.record_config(config_hash="h2", title="u", path="c.toml", source="x = 2")
        configs = store.configs()
    assert configs["config_hash"].tolist() == ["h1", "h2"]
    assert configs["path"].tolist() == ["b.toml", "c.toml"]
