"""Data: the Dataset type, the bundled real datasets, your own tables, splits, bias injection.

>>> import fairpool as fp
>>> fp.datasets.available()
['adult', 'compas', 'genomes1000', 'german', 'hsb82', 'star']
>>> ds = fp.datasets.load("compas", sensitive="sex")
>>> parts = fp.datasets.split(ds, "falcon", seed=0)
>>> parts.sizes["pool"], parts.sizes["test"]
(2356, 1178)

A :class:`TableEncoder` is the fitted schema of your own table: fitted on the labelled
rows (``also=[pool]`` adds the unlabelled rows' values to the vocabulary), it encodes
any later table with the same columns, with or without the target, into the same
features and group codes (an :class:`EncodedTable`), and saves as JSON.

See ``docs/datasets.md`` for every dataset, option and choice. One private module per
idea:
:mod:`~fairpool.datasets._dataset` (the type), :mod:`~fairpool.datasets._encoding` (the one
table-to-Dataset encoding: ``from_frame``), :mod:`~fairpool.datasets._table_encoder` (the
fitted schema it is built on: ``TableEncoder``), :mod:`~fairpool.datasets._frames` (input
tables and per-column value codes), :mod:`~fairpool.datasets._target` (the target's
coding), :mod:`~fairpool.datasets._integrity` (checksums), a loader
module per bundled dataset, :mod:`~fairpool.datasets._phenotype` (the simulated disease),
:mod:`~fairpool.datasets._multilevel` (hsb82 and star, students within schools),
:mod:`~fairpool.datasets._mixed_effects` (synthetic clusters with known random effects),
:mod:`~fairpool.datasets._reading` (a user's CSV or Parquet file),
:mod:`~fairpool.datasets._splits`, :mod:`~fairpool.datasets._stratify`,
:mod:`~fairpool.datasets._subsample` and
:mod:`~fairpool.datasets._bias_injection`.
"""

from __future__ import annotations

from fairpool.datasets._bias_injection import inject_bias
from fairpool.datasets._binary import binary_coding
from fairpool.datasets._dataset import Dataset
from fairpool.datasets._encoding import from_frame
from fairpool.datasets._frames import from_foreign_frame
from fairpool.datasets._loading import available, catalog, load, raw_table
from fairpool.datasets._mixed_effects import MixedEffectsTruth, make_mixed_effects
from fairpool.datasets._phenotype import simulate_phenotype
from fairpool.datasets._reading import DELIMITERS, read_table, sniff_delimiter
from fairpool.datasets._splits import DatasetSplit, split, stratification_codes
from fairpool.datasets._stratify import allocate, stratified_partition
from fairpool.datasets._subsample import subsample
from fairpool.datasets._table_encoder import EncodedTable, TableEncoder

__all__ = [
    "DELIMITERS",
    "Dataset",
    "DatasetSplit",
    "EncodedTable",
    "MixedEffectsTruth",
    "TableEncoder",
    "allocate",
    "binary_coding",
    "available",
    "catalog",
    "from_foreign_frame",
    "from_frame",
    "inject_bias",
    "load",
    "make_mixed_effects",
    "raw_table",
    "read_table",
    "simulate_phenotype",
    "sniff_delimiter",
    "split",
    "stratification_codes",
    "stratified_partition",
    "subsample",
]
