"""Smoke test of benchmarks/subgroups.py on a few thousand rows.

Checks that each row's ratio is its reference time over fairpool's, that the
results file holds what was printed, and that the references compute what they
claim (the loop bootstrap's FPR replicates bracket the FPRs of fairpool.audit.subgroups).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairpool.audit import subgroups

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "subgroups.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("subgroups_benchmark", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


script = _load_script()


@pytest.mark.slow  # ~25 s: fairlearn's MetricFrame and sliceline's numba compile dominate
def test_tiny_run_writes_the_table_it_prints(tmp_path, capsys) -> None:
    out = tmp_path / "subgroups.csv"
    table = script.main(["--n", "3000", "--fairlearn-n", "600", "--slice-n", "600",
                         "--loop-resamples", "2", "--out", str(out)])
    printed = capsys.readouterr().out
    assert "PASS" in printed and str(out) in printed
    written = pd.read_csv(out)
    assert list(written["task"]) == list(table["task"])
    timed = written.dropna(subset=["reference_s"])
    np.testing.assert_allclose(timed["ratio"], timed["reference_s"] / timed["fairpool_s"])
    references = set(written["reference"].dropna())
    assert "fairlearn MetricFrame, 7 groupings" in references
    assert "loop bootstrap (numpy bincount)" in references
    if importlib.util.find_spec("sliceline") is not None:
        assert "sliceline.Slicefinder" in references


def test_loop_bootstrap_reference_brackets_the_fpr() -> None:
    df = script.make_table(2000, seed=1)
    replicates = script.loop_bootstrap(df, 200, seed=0)
    result = subgroups(df["y"], df["p"], sensitive_features=df[list(script.COLUMNS)],
                       min_support=1)
    singles = result[result["grouping"].isin(list(script.COLUMNS))]
    low, high = np.nanpercentile(replicates, [0.5, 99.5], axis=0)
    # the reference's first 11 columns are the single-column groups, in sorted order
    expected = pd.concat([singles[singles["grouping"] == c].sort_values(c)
                          for c in script.COLUMNS])
    order = [sorted(v) for v in script.COLUMNS.values()]
    assert [len(o) for o in order] == [2, 5, 4]
    fpr = expected["fpr"].to_numpy()
    assert np.all((low[:11] <= fpr) & (fpr <= high[:11]))
