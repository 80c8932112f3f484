"""History: the per-round record of a run."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fairpool.active import History


def _history() -> History:
    rows = [
        {
            "round": 0,
            "n_labelled": 10,
            "f1": 0.5,
            "picked": [],
            "seconds_fit": 0.1,
            "seconds_select": 0.0,
        },
        {
            "round": 1,
            "n_labelled": 15,
            "f1": 0.6,
            "picked": [3, 4],
            "seconds_fit": 0.1,
            "seconds_select": 0.2,
            "strategy_arm": "a",
        },
    ]
    return History.from_records(rows, {"dataset": "toy", "strategy": "entropy", "seed": 0})


def test_frame_final_and_config():
    hist = _history()
    assert len(hist) == 2
    assert hist.final["f1"] == 0.6 and hist.final["picked"] == [3, 4]
    assert np.isnan(hist.frame["strategy_arm"].iloc[0])  # missing keys become NaN
    assert hist.config == {"dataset": "toy", "strategy": "entropy", "seed": 0}
    assert hist.metric_columns == ["f1"]
    assert "strategy='entropy'" in repr(hist) and "rounds=2" in repr(hist)


def test_to_frame_is_a_copy_and_can_carry_the_config():
    hist = _history()
    copy = hist.to_frame()
    copy.loc[0, "f1"] = -1.0
    assert hist.frame.loc[0, "f1"] == 0.5
    wide = hist.to_frame(with_config=True)
    assert (wide["config_dataset"] == "toy").all() and wide.shape[0] == 2


def test_empty_history():
    hist = History(pd.DataFrame())
    assert hist.final == {} and len(hist) == 0
