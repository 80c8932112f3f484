"""docs/audit.md quotes benchmarks/results/audit_report/audit_report.csv as the script prints it.

The timings themselves come from ``benchmarks/audit_report.py`` (minutes with the
stress test, so not rerun here); this keeps the page's table equal to the results
file, and each row's ratio equal to its times.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd

_ROOT = Path(__file__).resolve().parents[2]
_SCRIPT = _ROOT / "benchmarks" / "audit_report.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("audit_report_benchmark", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_docs_quote_the_results_file() -> None:
    results = pd.read_csv(_ROOT / "benchmarks" / "results" / "audit_report" / "audit_report.csv")
    table = _load_script().markdown(results)
    assert table in (_ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    ratio = results["seconds"] / results["plain audit s"]
    assert ((ratio - results["ratio"]).abs() <= 0.05 + 0.01 * ratio).all()
