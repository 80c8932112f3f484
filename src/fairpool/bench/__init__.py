"""Experiments: TOML grids of cells run on a process pool or Ray into a resumable store.

``fairpool run`` is :func:`run_and_summarise` over :func:`load_config`; the pieces, one
private module each, are the config (:class:`ExperimentConfig`), the grid of cells
(:func:`expand_grid`), one cell's run (:func:`run_cell`), the executors
(:func:`make_executor`), the DuckDB store (:class:`ResultsStore`), the resumable runner
(:func:`run_experiment`), the summaries, the plots and the HTML report
(:func:`write_report`). See docs/runner.md. ``fairpool report DIR`` of a labelling
session writes the session's page instead (:func:`write_session_report`), and
``fairpool audit FILE ... --report audit.html`` the page of an audit
(:func:`audit_report`, :func:`write_audit_report`; docs/audit.md).

Names load on first use (the module ``__getattr__`` below): a pool worker that imports
the executors must not load numpy and BLAS before it has capped their threads.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the private module that defines it.
_EXPORTS: dict[str, str] = {
    "AUDIT_STRESS_DEFAULTS": "_audit_report",
    "AuditReport": "_audit_report",
    "BarProgress": "_progress",
    "Cell": "_grid",
    "CellOutcome": "_cells",
    "CellResult": "_cells",
    "CellRunner": "_cells",
    "Component": "_config",
    "DEFAULT_DB_NAME": "_store",
    "DISPARITIES": "_plots",
    "GLOSSARY": "_report",
    "METRIC_DISPLAY": "_summary",
    "METRIC_HEADERS": "_html",
    "METRIC_LABELS": "_plots",
    "EXECUTORS": "_executors",
    "Executor": "_executors",
    "ExperimentConfig": "_config",
    "FACAGEN_METRICS": "_summary",
    "GROUP_COLUMNS": "_summary",
    "GridSpec": "_config",
    "LocalExecutor": "_executors",
    "METRICS": "_config",
    "ProgressReporter": "_progress",
    "RUN_COLUMNS": "_store",
    "RayExecutor": "_executors",
    "Registry": "_config",
    "ResultsStore": "_store",
    "RunOutcome": "_runner",
    "SPLITS": "_config",
    "SerialExecutor": "_executors",
    "SilentProgress": "_progress",
    "audit_report": "_audit_report",
    "available_cpus": "_executors",
    "bundled_configs": "_config",
    "canonical_json": "_grid",
    "cell_cost": "_progress",
    "check_command_output": "_commands",
    "check_datasets": "_config",
    "default_database": "_runner",
    "default_registry": "_config",
    "execute_cell": "_cells",
    "expand_grid": "_grid",
    "facagen_table": "_summary",
    "figure_png": "_plots",
    "figure_svg": "_plots",
    "format_summary": "_summary",
    "group_makeup": "_plots",
    "html_table": "_html",
    "identical_label": "_plots",
    "identical_strategies": "_plots",
    "is_session_directory": "_session_report",
    "metric_label": "_plots",
    "load_cell_dataset": "_cells",
    "load_config": "_config",
    "make_executor": "_executors",
    "make_progress": "_progress",
    "package_versions": "_cells",
    "parse_config": "_config",
    "pareto_front": "_plots",
    "plot_group_makeup": "_plots",
    "plot_pareto": "_plots",
    "plot_learning_curves": "_plots",
    "plot_tradeoff": "_plots",
    "present_metrics": "_summary",
    "print_results": "_commands",
    "print_summary": "_summary",
    "print_table": "_summary",
    "render_audit_report": "_audit_report",
    "render_report": "_report",
    "render_session_report": "_session_report",
    "run_and_summarise": "_commands",
    "run_cell": "_cells",
    "run_experiment": "_runner",
    "summarise": "_summary",
    "write_audit_report": "_audit_report",
    "write_report": "_report",
    "write_session_report": "_session_report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fairpool.bench' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"fairpool.bench.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
