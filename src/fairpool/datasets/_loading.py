"""The bundled datasets by name: :func:`available`, :func:`load` and :func:`catalog`."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from fairpool.datasets import _adult as adult
from fairpool.datasets import _compas as compas
from fairpool.datasets import _genomes1000 as genomes1000
from fairpool.datasets import _german as german
from fairpool.datasets import _multilevel as multilevel
from fairpool.datasets._dataset import Dataset
from fairpool.datasets._integrity import data_files_dir
from fairpool.datasets._options import bind_options
from fairpool.errors import UnknownNameError

__all__ = ["BundledDataset", "available", "catalog", "load", "raw_table"]


@dataclass(frozen=True)
class BundledDataset:
    """A dataset shipped with fairpool: its loader and what the catalog says of it."""

    name: str
    loader: Callable[..., Dataset]
    source: str
    licence: str
    label: str
    sensitive: str
    #: The vendored file(s) as one raw table (columns and values as the source writes
    #: them), or None where the data is not one table (genomes1000's genotype matrix).
    read_raw: Callable[[], pd.DataFrame] | None = None


_BUNDLED: dict[str, BundledDataset] = {
    entry.name: entry
    for entry in (
        BundledDataset(
            "adult", adult.load_adult, adult.SOURCE, adult.LICENCE, adult.LABEL,
            "sex (default), race, age (<25, 25-44, 45-64, 65+), marital_status, or a list",
            adult.read_adult_table,
        ),
        BundledDataset(
            "compas", compas.load_compas, compas.SOURCE, compas.LICENCE, compas.LABEL,
            "race (default; African-American vs Caucasian), sex, or a list",
            compas.read_compas_table,
        ),
        BundledDataset(
            "german", german.load_german, german.SOURCE, german.LICENCE, german.LABEL,
            "age (default; <=25 vs >25), sex, or a list",
            german.read_german_table,
        ),
        BundledDataset(
            "genomes1000", genomes1000.load_genomes1000, genomes1000.SOURCE,
            genomes1000.LICENCE, genomes1000.LABEL,
            "superpopulation (default; AFR, AMR, EAS, EUR, SAS), binary (AFR+SAS vs other)",
        ),
        BundledDataset(
            "hsb82", multilevel.load_hsb82, multilevel.HSB82_SOURCE, multilevel.LICENCE,
            multilevel.HSB82_LABEL, "sex (default), minority, or a list",
            multilevel.read_hsb82_table,
        ),
        BundledDataset(
            "star", multilevel.load_star, multilevel.STAR_SOURCE, multilevel.LICENCE,
            multilevel.STAR_LABEL, "sex (default), ethnicity (White, Black, Other), or a list",
            multilevel.read_star_table,
        ),
    )
}


def available() -> list[str]:
    """Names of the bundled datasets, sorted.

    Returns
    -------
    list of str
        ``["adult", "compas", "genomes1000", "german", "hsb82", "star"]``.
    """
    return sorted(_BUNDLED)


def _freeze(value: Any) -> Any:
    """A hashable equivalent of an option value (lists become tuples)."""
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.ndarray):
        return tuple(_freeze(v) for v in value.tolist())
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, set):
        return tuple(sorted(_freeze(v) for v in value))
    return value


@functools.lru_cache(maxsize=32)
def _load_cached(name: str, files_dir: str, options: tuple[tuple[str, Any], ...]) -> Dataset:
    # files_dir is part of the key so that a different data folder is read afresh.
    return _BUNDLED[name].loader(**dict(options))


def _fresh_copy(ds: Dataset) -> Dataset:
    """A copy whose arrays the caller may modify without touching the cache."""
    return replace(
        ds,
        X=ds.X.copy(),
        y=ds.y.copy(),
        groups=ds.groups.copy(),
        clusters=None if ds.clusters is None else ds.clusters.copy(),
        y_true=None if ds.y_true is None else ds.y_true.copy(),
        info=copy.deepcopy(dict(ds.info)),
    )


def load(name: str, **options: Any) -> Dataset:
    """Load a bundled dataset by name.

    The raw files ship with fairpool (nothing is downloaded); their SHA-256
    digests are checked once per process. Results are cached per process (the
    datasets are immutable); each call returns a fresh copy of the arrays.

    Parameters
    ----------
    name : str
        One of :func:`available`: ``"adult"``, ``"compas"``, ``"german"``,
        ``"genomes1000"``, ``"hsb82"``, ``"star"``.
    **options
        Options of the dataset's loader (see ``docs/datasets.md``), for example
        ``sensitive="race"`` or ``standardize=True``.

    Returns
    -------
    Dataset

    Raises
    ------
    UnknownNameError
        ``name`` is not a bundled dataset (the message lists them).
    InvalidInputError
        An unknown option or a bad option value (the message names it and the
        allowed values).
    DataIntegrityError
        A raw file is missing or corrupt (the message names the file).

    Examples
    --------
    >>> import fairpool as fp
    >>> ds = fp.datasets.load("german", sensitive="sex")
    >>> ds.n_samples, ds.group_names
    (1000, ('female', 'male'))
    """
    if not isinstance(name, str) or name not in _BUNDLED:
        raise UnknownNameError(f"unknown dataset {name!r}; available datasets are {available()}")
    entry = _BUNDLED[name]
    bound = bind_options(entry.loader, options, what=f"dataset {name!r}")
    key = tuple((k, _freeze(v)) for k, v in bound.items())
    try:
        hash(key)
    except TypeError:  # an unhashable option value: load without the cache
        return entry.loader(**bound)
    return _fresh_copy(_load_cached(name, str(data_files_dir()), key))


def catalog() -> pd.DataFrame:
    """One row per bundled dataset: what it is, its size with default options, its origin.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``rows``, ``features`` (with the default options),
        ``sensitive`` (the options for the sensitive attribute), ``label``,
        ``source``, ``licence``.
    """
    rows = []
    for name in available():
        entry = _BUNDLED[name]
        ds = load(name)
        rows.append(
            {
                "name": name,
                "rows": ds.n_samples,
                "features": ds.n_features,
                "sensitive": entry.sensitive,
                "label": entry.label,
                "source": entry.source,
                "licence": entry.licence,
            }
        )
    return pd.DataFrame(rows, columns=["name", "rows", "features", "sensitive", "label",
                                       "source", "licence"])


def raw_table(name: str) -> pd.DataFrame:
    """The bundled dataset ``name`` as the raw table its files hold, before any encoding.

    This is the table a user of :func:`~fairpool.datasets.from_frame`, a labelling
    session or ``fairpool audit`` starts from: text categories, the target column as
    the source writes it, no rows filtered. It reads the vendored files (checksums
    verified), nothing is downloaded.

    Parameters
    ----------
    name : {"adult", "compas", "german", "hsb82", "star"}
        ``adult``: 48,842 rows, target ``income`` (``<=50K`` / ``>50K``), missing values
        as the file's ``'?'`` category. ``compas``: ProPublica's 7,214 rows, target
        ``two_year_recid`` (0/1), before their filter. ``german``: 1,000 rows with the
        codebook's readable values, target ``credit`` (1 good, 0 bad). ``hsb82``:
        7,185 students, the file's 8 columns. ``star``: 26,796 pupil-grade rows, the
        file's 18 columns, missing values as NaN.

    Returns
    -------
    pandas.DataFrame
        A fresh copy; changing it changes nothing in fairpool.

    Raises
    ------
    UnknownNameError
        ``name`` is not a bundled dataset, or is one that is not a single table
        (``genomes1000``: a genotype matrix; use :func:`load`).
    """
    entry = _BUNDLED.get(name)
    if entry is None:
        raise UnknownNameError(f"unknown dataset {name!r}; bundled datasets are {available()}")
    if entry.read_raw is None:
        tables = sorted(n for n, e in _BUNDLED.items() if e.read_raw is not None)
        raise UnknownNameError(
            f"dataset {name!r} is not one raw table (use fairpool.datasets.load({name!r})); "
            f"the raw tables are {tables}"
        )
    return entry.read_raw()
