"""The data layer: the Dataset type, the bundled real datasets, splits and bias injection.

The public facade is :mod:`fairpool.datasets`; this package holds one module per idea:
:mod:`~fairpool.data.dataset` (the type), :mod:`~fairpool.data.encoding` (the one
table-to-Dataset encoding), :mod:`~fairpool.data.integrity` (checksums), a loader
module per bundled dataset, :mod:`~fairpool.data.phenotype` (the simulated disease),
:mod:`~fairpool.data.splits`, :mod:`~fairpool.data.stratify` and
:mod:`~fairpool.data.bias_injection`.
"""

from __future__ import annotations

from fairpool.data.bias_injection import inject_bias
from fairpool.data.dataset import Dataset
from fairpool.data.encoding import from_frame
from fairpool.data.loading import available, catalog, load
from fairpool.data.splits import DatasetSplit, split

__all__ = [
    "Dataset",
    "DatasetSplit",
    "available",
    "catalog",
    "from_frame",
    "inject_bias",
    "load",
    "split",
]
