"""Experiments: TOML grids of cells run on a process pool or Ray into a resumable store.

``fairpool run`` is :func:`run_and_summarise` over :func:`load_config`; the pieces, one
private module each, are the config (:class:`ExperimentConfig`), the grid of cells
(:func:`expand_grid`), one cell's run (:func:`run_cell`), the executors
(:func:`make_executor`), the DuckDB store (:class:`ResultsStore`), the resumable runner
(:func:`run_experiment`), the summaries, the plots and the HTML report
(:func:`write_report`). See docs/runner.md.
"""

from fairpool.bench._cells import (
    CellOutcome,
    CellResult,
    CellRunner,
    execute_cell,
    load_cell_dataset,
    package_versions,
    run_cell,
)
from fairpool.bench._commands import (
    check_command_output,
    print_results,
    run_and_summarise,
)
from fairpool.bench._config import (
    METRICS,
    SPLITS,
    Component,
    ExperimentConfig,
    GridSpec,
    Registry,
    bundled_configs,
    check_datasets,
    default_registry,
    load_config,
    parse_config,
)
from fairpool.bench._executors import (
    EXECUTORS,
    Executor,
    LocalExecutor,
    RayExecutor,
    SerialExecutor,
    available_cpus,
    make_executor,
)
from fairpool.bench._grid import (
    Cell,
    canonical_json,
    expand_grid,
)
from fairpool.bench._plots import (
    DISPARITIES,
    figure_png,
    figure_svg,
    group_makeup,
    plot_group_makeup,
    plot_learning_curves,
    plot_tradeoff,
)
from fairpool.bench._progress import (
    BarProgress,
    ProgressReporter,
    SilentProgress,
    make_progress,
)
from fairpool.bench._report import (
    html_table,
    render_report,
    write_report,
)
from fairpool.bench._runner import (
    RunOutcome,
    default_database,
    run_experiment,
)
from fairpool.bench._store import (
    DEFAULT_DB_NAME,
    RUN_COLUMNS,
    ResultsStore,
)
from fairpool.bench._summary import (
    FACAGEN_METRICS,
    GROUP_COLUMNS,
    facagen_table,
    format_summary,
    present_metrics,
    print_table,
    summarise,
)

__all__ = [
    "BarProgress",
    "Cell",
    "CellOutcome",
    "CellResult",
    "CellRunner",
    "Component",
    "DEFAULT_DB_NAME",
    "DISPARITIES",
    "EXECUTORS",
    "Executor",
    "ExperimentConfig",
    "FACAGEN_METRICS",
    "GROUP_COLUMNS",
    "GridSpec",
    "LocalExecutor",
    "METRICS",
    "ProgressReporter",
    "RUN_COLUMNS",
    "RayExecutor",
    "Registry",
    "ResultsStore",
    "RunOutcome",
    "SPLITS",
    "SerialExecutor",
    "SilentProgress",
    "available_cpus",
    "bundled_configs",
    "canonical_json",
    "check_command_output",
    "check_datasets",
    "default_database",
    "default_registry",
    "execute_cell",
    "expand_grid",
    "facagen_table",
    "figure_png",
    "figure_svg",
    "format_summary",
    "group_makeup",
    "html_table",
    "load_cell_dataset",
    "load_config",
    "make_executor",
    "make_progress",
    "package_versions",
    "parse_config",
    "plot_group_makeup",
    "plot_learning_curves",
    "plot_tradeoff",
    "present_metrics",
    "print_results",
    "print_table",
    "render_report",
    "run_and_summarise",
    "run_cell",
    "run_experiment",
    "summarise",
    "write_report",
]
