"""Experiment configs: read a TOML file, check every key, and hold the result.

A config file describes one or more *grids*. Each grid is a product of datasets,
learners, strategies and seeds run under one split, budget and batch size (see
docs/runner.md for every key). Keys at the top of the file are defaults that every
``[[grid]]`` table inherits; a file without ``[[grid]]`` tables is a single grid.

Validation happens here, before anything runs, and every error names the key at
fault (``grid[1].strategies[0].name``) and the values it accepts.

Why one module of ~640 lines: it is the schema of the TOML file, key by key, with the
validation and message of each; the keys refer to one another (defaults inherited by
grids, options checked against the registries), so it reads best in one place.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fairpool.errors import FairpoolError, InvalidInputError, UnknownNameError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "SPLITS",
    "METRICS",
    "Component",
    "GridSpec",
    "ExperimentConfig",
    "Registry",
    "default_registry",
    "bundled_configs",
    "load_config",
    "parse_config",
    "check_datasets",
]

#: Splits ``fairpool.active.run`` knows.
SPLITS: tuple[str, ...] = ("panda", "facagen", "falcon", "random", "cluster_holdout")

#: Per-round metrics a config may ask the summary, plots and report for.
METRICS: tuple[str, ...] = (
    "f1",
    "accuracy",
    "demographic_parity",
    "demographic_parity_to_overall",
    "equalized_odds",
    "equalized_odds_to_overall",
    "error_rate_balance",
    "error_rate_difference",
    "ot_distance",
)

_GRID_KEYS: tuple[str, ...] = (
    "label",
    "datasets",
    "split",
    "learners",
    "strategies",
    "budget",
    "batch_size",
    "initial",
    "seeds",
    "metrics",
    "subsample",
)
_TOP_KEYS: tuple[str, ...] = ("title", "grid", *(k for k in _GRID_KEYS if k != "label"))
_REQUIRED: tuple[str, ...] = ("datasets", "learners", "strategies", "budget", "batch_size")
_COMPONENT_RESERVED = ("name", "label")
#: Keys of a strategy table that set the run's protocol rather than the strategy.
_STRATEGY_PROTOCOL = ("batch_size",)


@dataclass(frozen=True, eq=False)
class Component:
    """A named, configured piece of a grid: a dataset, split, learner or strategy.

    Parameters
    ----------
    name : str
        Registered name (``"adult"``, ``"facagen"``, ``"xgboost"``...).
    options : dict
        Keyword options passed to the loader, split, learner or strategy.
    label : str
        Name shown in tables and plots; unique among the grid's components of a kind.
    batch_size : int or None
        Strategies only: a batch size that overrides the grid's for this strategy
        (PANDA selects its whole budget in one step).
    """

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""
    batch_size: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", dict(self.options))
        if not self.label:
            object.__setattr__(self, "label", self.name)


@dataclass(frozen=True, eq=False)
class GridSpec:
    """One grid: every dataset × learner × strategy × seed under one protocol.

    Parameters
    ----------
    label : str
        Name of the grid (shown in the report).
    datasets, learners, strategies : tuple of Component
        The grid's axes.
    split : Component
        How each dataset is split into pool, validation and test parts.
    budget : int
        Labels bought per run.
    batch_size : int
        Labels bought per round.
    initial : int or None
        Size of the initial labelled set (``None``: the split's default).
    seeds : tuple of int
        One run per seed.
    metrics : tuple of str
        Metrics reported (the store keeps every column of the History).
    subsample : int or None
        Draw this many rows of each dataset, with the cell's seed, before splitting.
    """

    label: str
    datasets: tuple[Component, ...]
    split: Component
    learners: tuple[Component, ...]
    strategies: tuple[Component, ...]
    budget: int
    batch_size: int
    initial: int | None
    seeds: tuple[int, ...]
    metrics: tuple[str, ...]
    subsample: int | None = None


@dataclass(frozen=True, eq=False)
class ExperimentConfig:
    """A validated experiment: its grids and the text it came from.

    Parameters
    ----------
    title : str
        Title of the experiment (the report's heading).
    grids : tuple of GridSpec
        The grids to run.
    source : str
        The TOML text, kept verbatim for the report.
    path : str
        Where the text came from (a file path, ``"bundled:default"`` or ``"<string>"``).
    """

    title: str
    grids: tuple[GridSpec, ...]
    source: str
    path: str = "<string>"

    @property
    def config_hash(self) -> str:
        """SHA-256 (first 16 hex digits) of the TOML text."""
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()[:16]

    @property
    def metrics(self) -> tuple[str, ...]:
        """Every metric some grid reports, in the canonical order of :data:`METRICS`."""
        wanted = {m for grid in self.grids for m in grid.metrics}
        return tuple(m for m in METRICS if m in wanted)


@dataclass(frozen=True)
class Registry:
    """Where validation looks names up and builds components to check their options.

    The default (:func:`default_registry`) reads fairpool's own registries; tests
    inject a small one so validation can be checked without the heavy modules.

    Parameters
    ----------
    datasets, strategies, learners : callable
        Return the registered names of each kind.
    build_strategy, build_learner : callable
        ``build(name, **options)``; raising ``TypeError`` or a ``FairpoolError``
        means the options are wrong.
    load_dataset : callable
        ``load(name, **options) -> Dataset``.
    split_dataset : callable
        ``split(dataset, scheme, *, seed, **options)``; raises on bad options.
    """

    datasets: Callable[[], Sequence[str]]
    strategies: Callable[[], Sequence[str]]
    learners: Callable[[], Sequence[str]]
    build_strategy: Callable[..., Any]
    build_learner: Callable[..., Any]
    load_dataset: Callable[..., Any]
    split_dataset: Callable[..., Any]


def _available_datasets() -> list[str]:
    from fairpool import datasets

    return list(datasets.available())


def _load_dataset(name: str, **options: Any) -> Any:
    from fairpool import datasets

    return datasets.load(name, **options)


def _split_dataset(dataset: Any, scheme: str, *, seed: int, **options: Any) -> Any:
    from fairpool import datasets

    return datasets.split(dataset, scheme, seed=seed, **options)


def _available_strategies() -> list[str]:
    from fairpool import active

    return active.available_strategies()


def _available_learners() -> list[str]:
    from fairpool import active

    return active.available_learners()


def _build_strategy(name: str, **options: Any) -> Any:
    from fairpool import active

    return active.make_strategy(name, **options)


def _build_learner(name: str, **options: Any) -> Any:
    from fairpool import active

    return active.make_learner(name, **options)


def default_registry() -> Registry:
    """The registry of fairpool's bundled datasets, strategies and learners."""
    return Registry(
        datasets=_available_datasets,
        strategies=_available_strategies,
        learners=_available_learners,
        build_strategy=_build_strategy,
        build_learner=_build_learner,
        load_dataset=_load_dataset,
        split_dataset=_split_dataset,
    )


# -- reading -----------------------------------------------------------------


def bundled_configs() -> list[str]:
    """Names of the configs shipped inside the package (``fairpool run NAME``)."""
    folder = resources.files("fairpool.bench").joinpath("configs")
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_config(
    path: str | Path | None = None, *, registry: Registry | None = None
) -> ExperimentConfig:
    """Read and validate an experiment config.

    Parameters
    ----------
    path : str or Path, optional
        A TOML file, or the name of a bundled config (``"default"``). ``None`` means
        the bundled default.
    registry : Registry, optional
        Where names are looked up (default: fairpool's registries).

    Returns
    -------
    ExperimentConfig

    Raises
    ------
    InvalidInputError
        If the file cannot be read or parsed, or a key is missing, unknown or wrong.
    UnknownNameError
        If a dataset, split, learner or strategy name is not registered.
    """
    if path is None:
        path = "default"
    candidate = Path(path)
    if candidate.is_file():
        try:
            text = candidate.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInputError(f"cannot read config {str(candidate)!r}: {exc}") from None
        return parse_config(text, source=str(candidate), registry=registry)
    name = str(path)
    if name in bundled_configs():
        text = (
            resources.files("fairpool.bench")
            .joinpath("configs", f"{name}.toml")
            .read_text(encoding="utf-8")
        )
        return parse_config(text, source=f"bundled:{name}", registry=registry)
    raise InvalidInputError(
        f"config {name!r} is neither a file nor a bundled config; "
        f"bundled: {', '.join(bundled_configs())}"
    )


def parse_config(
    text: str, *, source: str = "<string>", registry: Registry | None = None
) -> ExperimentConfig:
    """Parse and validate the TOML text of an experiment config.

    Names are checked against ``registry`` and every strategy and learner is built
    once with its options, so a misspelt option fails here rather than mid-run.
    Datasets are only loaded by :func:`check_datasets`.

    Parameters
    ----------
    text : str
        TOML text.
    source : str
        Where the text came from, used in error messages.
    registry : Registry, optional
        Where names are looked up (default: fairpool's registries).

    Returns
    -------
    ExperimentConfig
    """
    registry = registry or default_registry()
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"{source}: not valid TOML: {exc}") from None
    try:
        return _build_config(raw, text=text, source=source, registry=registry)
    except FairpoolError as exc:
        raise type(exc)(f"{source}: {exc}") from None


def _build_config(
    raw: dict[str, Any], *, text: str, source: str, registry: Registry
) -> ExperimentConfig:
    _check_keys(raw, _TOP_KEYS, where="the top level")
    title = raw.get("title", Path(source).stem if source != "<string>" else "experiment")
    if not isinstance(title, str) or not title:
        raise InvalidInputError(f"title must be a non-empty string, got {title!r}")
    defaults = {k: v for k, v in raw.items() if k not in ("title", "grid")}
    if "grid" in raw:
        tables = raw["grid"]
        if not isinstance(tables, list) or not tables or not all(
            isinstance(t, dict) for t in tables
        ):
            raise InvalidInputError(
                "grid must be a non-empty array of tables ([[grid]] sections)"
            )
        grids = []
        for i, table in enumerate(tables):
            _check_keys(table, _GRID_KEYS, where=f"grid[{i}]")
            merged = {**defaults, **table}
            grids.append(
                _build_grid(merged, path=f"grid[{i}]", default_label=f"grid {i + 1}",
                            registry=registry)
            )
    else:
        grids = [_build_grid(defaults, path="", default_label=title, registry=registry)]
    labels = [g.label for g in grids]
    if len(set(labels)) != len(labels):
        raise InvalidInputError(f"grid labels must be unique, got {labels}")
    return ExperimentConfig(title=title, grids=tuple(grids), source=text, path=source)


def _check_keys(table: Mapping[str, Any], allowed: Sequence[str], *, where: str) -> None:
    for key in table:
        if key not in allowed:
            raise InvalidInputError(
                f"unknown key {key!r} at {where}; allowed keys: {', '.join(allowed)}"
            )


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _build_grid(
    raw: Mapping[str, Any], *, path: str, default_label: str, registry: Registry
) -> GridSpec:
    for key in _REQUIRED:
        if key not in raw:
            raise InvalidInputError(f"missing required key {_key(path, key)!r}")
    label = raw.get("label", default_label)
    if not isinstance(label, str) or not label:
        raise InvalidInputError(f"{_key(path, 'label')} must be a non-empty string")

    budget = _positive_int(raw["budget"], _key(path, "budget"))
    batch_size = _positive_int(raw["batch_size"], _key(path, "batch_size"))
    if batch_size > budget:
        raise InvalidInputError(
            f"{_key(path, 'batch_size')} = {batch_size} is larger than "
            f"{_key(path, 'budget')} = {budget}; expected 1 <= batch_size <= budget"
        )
    initial = raw.get("initial")
    if initial is not None:
        initial = _positive_int(initial, _key(path, "initial"), allow_zero=True)
    subsample = raw.get("subsample")
    if subsample is not None:
        subsample = _positive_int(subsample, _key(path, "subsample"))
        if subsample < 2:
            raise InvalidInputError(f"{_key(path, 'subsample')} must be at least 2 rows")
    seeds = _seeds(raw.get("seeds", [0]), _key(path, "seeds"))
    metrics = _metrics(raw.get("metrics", list(METRICS)), _key(path, "metrics"))

    datasets = _components(raw["datasets"], _key(path, "datasets"), "dataset",
                           registry.datasets)
    learners = _components(raw["learners"], _key(path, "learners"), "learner",
                           registry.learners)
    strategies = _components(raw["strategies"], _key(path, "strategies"), "strategy",
                             registry.strategies)
    split = _component(raw.get("split", "random"), _key(path, "split"), "split",
                       lambda: SPLITS)
    for i, learner in enumerate(learners):
        _try_build(registry.build_learner, learner, f"{_key(path, 'learners')}[{i}]", "learner")
    for i, strategy in enumerate(strategies):
        if strategy.batch_size is not None and strategy.batch_size > budget:
            raise InvalidInputError(
                f"{_key(path, 'strategies')}[{i}].batch_size = {strategy.batch_size} is larger "
                f"than {_key(path, 'budget')} = {budget}; expected 1 <= batch_size <= budget"
            )
        key = f"{_key(path, 'strategies')}[{i}]"
        if "policy_file" in strategy.options:
            # a saved policy (fairpool.active.run loads it per seed): check the rest
            # of the options against it there; here only that it is a path
            if not isinstance(strategy.options["policy_file"], str):
                raise InvalidInputError(f"{key}.policy_file must be a path (a string)")
            strategy = dataclasses.replace(strategy, options={
                k: v for k, v in strategy.options.items() if k != "policy_file"})
        _try_build(registry.build_strategy, strategy, key, "strategy")
    return GridSpec(
        label=label,
        datasets=datasets,
        split=split,
        learners=learners,
        strategies=strategies,
        budget=budget,
        batch_size=batch_size,
        initial=initial,
        seeds=seeds,
        metrics=metrics,
        subsample=subsample,
    )


def _positive_int(value: Any, key: str, *, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        kind = "non-negative" if allow_zero else "positive"
        raise InvalidInputError(f"{key} must be a {kind} integer, got {value!r}")
    return int(value)


def _seeds(value: Any, key: str) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise InvalidInputError(
                f"{key} must be a positive count or a list of seeds, got {value!r}"
            )
        return tuple(range(value))
    if not isinstance(value, list) or not value:
        raise InvalidInputError(
            f"{key} must be a positive count or a non-empty list of integers, got {value!r}"
        )
    for i, seed in enumerate(value):
        _positive_int(seed, f"{key}[{i}]", allow_zero=True)
    if len(set(value)) != len(value):
        raise InvalidInputError(f"{key} must not repeat a seed, got {value!r}")
    return tuple(int(s) for s in value)


def _metrics(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise InvalidInputError(
            f"{key} must be a non-empty list; allowed values: {', '.join(METRICS)}"
        )
    for i, metric in enumerate(value):
        if metric not in METRICS:
            raise UnknownNameError(
                f"{key}[{i}]: unknown metric {metric!r}; allowed values: {', '.join(METRICS)}"
            )
    return tuple(dict.fromkeys(value))


def _components(
    value: Any, key: str, kind: str, available: Callable[[], Sequence[str]]
) -> tuple[Component, ...]:
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, list) or not value:
        raise InvalidInputError(
            f"{key} must be a non-empty list of names or tables with a 'name' key"
        )
    parsed = [_component(item, f"{key}[{i}]", kind, available) for i, item in enumerate(value)]
    # Entries that share a name but not a label are told apart by their options.
    names = [c.name for c in parsed]
    out = []
    for comp, item in zip(parsed, value, strict=True):
        explicit = isinstance(item, dict) and "label" in item
        if not explicit and names.count(comp.name) > 1 and comp.options:
            opts = ", ".join(f"{k}={v}" for k, v in sorted(comp.options.items()))
            comp = Component(comp.name, comp.options, f"{comp.name}({opts})", comp.batch_size)
        out.append(comp)
    labels = [c.label for c in out]
    for i, lab in enumerate(labels):
        if labels.index(lab) != i:
            raise InvalidInputError(
                f"{key}[{i}]: duplicate {kind} {lab!r}; give the entries different "
                "options or a distinct 'label'"
            )
    return tuple(out)


def _component(
    item: Any, key: str, kind: str, available: Callable[[], Sequence[str]]
) -> Component:
    batch_size = None
    if isinstance(item, str):
        name, options, label = item, {}, item
    elif isinstance(item, dict):
        if "name" not in item:
            raise InvalidInputError(f"{key} is a table without the required 'name' key")
        name = item["name"]
        label = item.get("label", name)
        if not isinstance(label, str) or not label:
            raise InvalidInputError(f"{key}.label must be a non-empty string, got {label!r}")
        options = {k: v for k, v in item.items() if k not in _COMPONENT_RESERVED}
        if kind == "strategy" and "batch_size" in options:
            batch_size = _positive_int(options.pop("batch_size"), f"{key}.batch_size")
        for opt, val in options.items():
            _check_json_value(val, f"{key}.{opt}")
    else:
        raise InvalidInputError(
            f"{key} must be a {kind} name or a table with a 'name' key, got {item!r}"
        )
    if not isinstance(name, str):
        raise InvalidInputError(f"{key}.name must be a string, got {name!r}")
    names = list(available())
    if name not in names:
        raise UnknownNameError(
            f"{key}: unknown {kind} {name!r}; allowed values: {', '.join(sorted(names))}"
        )
    return Component(name=name, options=options, label=label, batch_size=batch_size)


def _check_json_value(value: Any, key: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInputError(f"{key} must be a finite number, got {value!r}")
        return
    if isinstance(value, list):
        for i, v in enumerate(value):
            _check_json_value(v, f"{key}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _check_json_value(v, f"{key}.{k}")
        return
    raise InvalidInputError(
        f"{key} must be a string, number, boolean, array or table, got {type(value).__name__}"
    )


def _try_build(build: Callable[..., Any], comp: Component, key: str, kind: str) -> None:
    try:
        build(comp.name, **comp.options)
    except TypeError as exc:
        raise InvalidInputError(f"{key}: bad options for {kind} {comp.name!r}: {exc}") from None
    except FairpoolError as exc:
        raise type(exc)(f"{key}: bad options for {kind} {comp.name!r}: {exc}") from None


def check_datasets(config: ExperimentConfig, *, registry: Registry | None = None) -> None:
    """Load every dataset of ``config`` once and split it, to check options and sizes.

    Parameters
    ----------
    config : ExperimentConfig
        A parsed config.
    registry : Registry, optional
        Where datasets are loaded and split (default: fairpool's loaders and splits).

    Raises
    ------
    InvalidInputError
        If a loader rejects a dataset's options, ``subsample`` exceeds a dataset's
        rows, or the split rejects its options or the (subsampled) dataset.
    """
    from fairpool import datasets

    registry = registry or default_registry()
    loaded: dict[str, Any] = {}
    for g, grid in enumerate(config.grids):
        where = f"grid[{g}]." if len(config.grids) > 1 else ""
        for i, comp in enumerate(grid.datasets):
            key = f"{where}datasets[{i}]"
            ident = json.dumps([comp.name, comp.options], sort_keys=True)
            if ident not in loaded:
                loaded[ident] = _checked(
                    f"{config.path}: {key}: bad options for dataset {comp.name!r}",
                    registry.load_dataset, comp.name, **comp.options,
                )
            dataset = loaded[ident]
            seed = grid.seeds[0]
            if grid.subsample is not None:
                if grid.subsample > len(dataset):
                    raise InvalidInputError(
                        f"{config.path}: {where}subsample = {grid.subsample} exceeds the "
                        f"{len(dataset)} rows of dataset {comp.label!r} ({key})"
                    )
                dataset = datasets.subsample(dataset, grid.subsample, seed=seed)
            _checked(
                f"{config.path}: {where}split: split {grid.split.name!r} of dataset "
                f"{comp.label!r} fails",
                registry.split_dataset, dataset, grid.split.name, seed=seed,
                **grid.split.options,
            )


def _checked(context: str, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``action(*args, **kwargs)``, its user errors prefixed with ``context``."""
    try:
        return action(*args, **kwargs)
    except TypeError as exc:
        raise InvalidInputError(f"{context}: {exc}") from None
    except FairpoolError as exc:
        raise type(exc)(f"{context}: {exc}") from None
