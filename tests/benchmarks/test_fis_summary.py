"""benchmarks/fis_summary.py against means and sds computed row by row here."""

from __future__ import annotations

import importlib.util
import statistics
import sys
from pathlib import Path

import pandas as pd

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "fis_summary.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("fis_summary", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _rounds() -> pd.DataFrame:
    rows = []
    for strategy in ("random", "fis"):
        for seed in range(3):
            for rnd in range(3):
                rows.append({
                    "cell_key": f"{strategy}{seed}", "dataset_label": "adult",
                    "strategy_label": strategy, "seed": seed, "round": rnd,
                    "n_labelled": 200 + 50 * rnd,
                    "accuracy": 0.7 + 0.01 * seed + 0.02 * rnd,
                    "f1": 0.5 + 0.03 * seed, "demographic_parity": 0.1 * (seed + 1) + rnd,
                    "equalized_odds": 0.2 + 0.01 * rnd,
                    "strategy_n_wanted": (10 + seed + rnd) if strategy == "fis" and rnd else None,
                })
    return pd.DataFrame(rows)


def test_the_table_holds_the_final_round_mean_and_sd(tmp_path):
    module = _load_script()
    csv = tmp_path / "rounds.csv"
    _rounds().to_csv(csv, index=False)
    out = tmp_path / "table.md"
    assert module.main([str(csv), "--out", str(out)]) == 0
    text = out.read_text()
    dp_last = [0.1 * (s + 1) + 2 for s in range(3)]
    want = f"{statistics.mean(dp_last):.3f} ± {statistics.stdev(dp_last):.3f}"
    fis_line = next(line for line in text.splitlines() if line.startswith("| fis |"))
    assert want in fis_line and fis_line.endswith("| 300 | 3 |  |")
    before = next(line for line in text.splitlines() if line.startswith("| before"))
    dp_first = [0.1 * (s + 1) for s in range(3)]
    assert f"{statistics.mean(dp_first):.3f} ± {statistics.stdev(dp_first):.3f}" in before
    wanted = [10 + s + r for s in range(3) for r in (1, 2)]
    assert f"mean {statistics.mean(wanted):.1f}, min {min(wanted)}, max {max(wanted)}" in text
