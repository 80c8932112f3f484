"""Public entry point for data: bundled datasets, your own tables, splits, bias injection.

>>> import fairpool as fp
>>> fp.datasets.available()
['adult', 'compas', 'genomes1000', 'german']
>>> ds = fp.datasets.load("compas", sensitive="sex")
>>> parts = fp.datasets.split(ds, "falcon", seed=0)
>>> parts.sizes["pool"], parts.sizes["test"]
(2356, 1178)

See ``docs/datasets.md`` for every dataset, option and choice.
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
