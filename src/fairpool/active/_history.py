"""What a simulated active-learning run records: one row per round."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["History", "TIMING_COLUMNS"]

#: Columns that measure wall time and so differ between otherwise identical runs.
TIMING_COLUMNS = ("seconds_fit", "seconds_select")


class History:
    """The record of one active-learning run: a pandas DataFrame, one row per round.

    Round 0 is the model fitted on the initial labelled set, before any query.
    Columns: ``round``, ``n_labelled``, the test metrics (``f1``, ``accuracy``,
    ``demographic_parity``, ``demographic_parity_to_overall``, ``equalized_odds``,
    ``equalized_odds_to_overall``, ``error_rate_balance``, ``error_rate_difference``;
    docs/metrics.md says which reading each is),
    ``ot_distance``, ``picked`` (dataset positions labelled this round, a list),
    ``picked_<group>`` (how many of them per group), ``seconds_fit``,
    ``seconds_select``, and ``strategy_<key>`` for whatever the strategy reports in
    its ``last_info``.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per round.
    config : mapping
        How the run was made (dataset, strategy, learner, seed, budget, batch_size, ...).
    """

    def __init__(self, frame: pd.DataFrame, config: Mapping[str, Any] | None = None) -> None:
        self._frame = frame.reset_index(drop=True)
        self.config: dict[str, Any] = dict(config or {})

    @classmethod
    def from_records(
        cls, records: Sequence[Mapping[str, Any]], config: Mapping[str, Any] | None = None
    ) -> History:
        """Build a History from one mapping per round (missing keys become NaN)."""
        return cls(pd.DataFrame.from_records([dict(r) for r in records]), config)

    @property
    def frame(self) -> pd.DataFrame:
        """The rounds as a DataFrame (the History's own; copy before modifying)."""
        return self._frame

    def to_frame(self, *, with_config: bool = False) -> pd.DataFrame:
        """A copy of the rounds; with ``with_config``, each config entry added as a column."""
        frame = self._frame.copy()
        if with_config:
            for key, value in self.config.items():
                frame.insert(len(frame.columns), f"config_{key}", [value] * len(frame))
        return frame

    @property
    def final(self) -> dict[str, Any]:
        """The last round as a dict (column -> value); empty before the first round.

        A property, like :attr:`frame`: ``hist.final["f1"]``.
        """
        if self._frame.empty:
            return {}
        return self._frame.iloc[-1].to_dict()

    @property
    def metric_columns(self) -> list[str]:
        """Columns holding numbers that are neither timings nor the round counters."""
        skip = {"round", "n_labelled", "picked", *TIMING_COLUMNS}
        return [
            c
            for c in self._frame.columns
            if c not in skip and pd.api.types.is_numeric_dtype(self._frame[c])
        ]

    def __len__(self) -> int:
        return len(self._frame)

    def __repr__(self) -> str:
        keys = ("dataset", "strategy", "learner", "seed", "budget", "batch_size")
        shown = ", ".join(f"{k}={self.config[k]!r}" for k in keys if k in self.config)
        return f"History({shown}, rounds={len(self)})"
