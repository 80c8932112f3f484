"""The session's use of the fitted table encoder: fitting it, reloading it, row ids.

The encoding itself (features, group codes, target classes, row hashes) is
:class:`fairpool.datasets.TableEncoder`'s: fitted on the labelled table with the pool
(and validation table) as ``also``, so every table lands in one feature space with one
set of groups. What the session adds:

* the row ids of the labelled table and the pool are computed over both tables at once
  (``row_ids`` of their concatenation), so an id (the user's column, or the hash of a
  row's values) names one row of the whole session: identical rows, even one labelled and
  one in the pool, get distinct ids (``<hash>``, ``<hash>-1``, ...), stable because the
  session keeps its own copy of the rows;
* a session needs class labels: a regression target is refused.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairpool.datasets import TableEncoder
from fairpool.errors import InvalidInputError, MissingValueError

__all__ = [
    "EncodedRows",
    "fit_encoder",
    "load_encoder",
    "session_ids",
]


@dataclass(frozen=True)
class EncodedRows:
    """One input table as the learner sees it.

    Attributes
    ----------
    X : ndarray of float32, shape (n, d)
    groups : ndarray of int64, shape (n,)
    y : ndarray of int64, shape (n,), or None for the pool
    """

    X: np.ndarray
    groups: np.ndarray
    y: np.ndarray | None


def fit_encoder(
    labelled: pd.DataFrame,
    also: Sequence[pd.DataFrame],
    *,
    target: str,
    sensitive: Sequence[str],
    id: str | None,
    drop: Sequence[str] | None,
    categorical: Sequence[str] | None,
    positive: Any,
) -> Any:
    """Fit the table encoder on the labelled table (vocabulary and groups also from ``also``).

    ``also`` is the pool, then the validation table when there is one (named so in the
    encoder's messages).

    Raises
    ------
    InvalidInputError
        The target is a regression target (a session needs classes), or the encoder
        refuses the tables.
    """
    encoder = TableEncoder(
        target=target,
        sensitive=list(sensitive),
        id=id,
        drop=list(drop) if drop else None,
        categorical=list(categorical) if categorical else None,
        positive=positive,
    )
    # The pool and the validation table by name in the encoder's messages, not also[0].
    names = ["the pool", "the validation table"] + [f"table {i}" for i in range(2, len(also))]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            encoder.fit(labelled, also=dict(zip(names, also, strict=False)))
        except MissingValueError as exc:
            # The encoder's fix (missing='drop') is not a session's: every pool row keeps
            # its place and id, so missing feature values are filled or the rows removed.
            message = str(exc).split("; pass missing='drop'")[0]
            raise MissingValueError(
                f"{message}; a session keeps every row of its tables, so fill those values "
                "(or remove those rows from the file) and run init again") from None
    for warning in caught:
        # A text column with a distinct value in every row is an id the user did not name:
        # one-hot encoding it would give a session a model of hundreds of useless features.
        if "looks like an identifier" in str(warning.message):
            raise InvalidInputError(
                f"{warning.message} (on the command line: --id COLUMN or --drop COLUMN)")
    for warning in caught:  # the others (one group, unseen categories) as they were
        if "looks like an identifier" not in str(warning.message):
            warnings.warn(warning.message, stacklevel=2)
    if encoder.task_ != "classification":
        raise InvalidInputError(
            f"target column {target!r} is a regression target (float values); a labelling "
            "session needs class labels"
        )
    return encoder


def load_encoder(schema: dict[str, Any]) -> Any:
    """The encoder saved by ``to_dict`` (JSON), fitted as it was."""
    return TableEncoder.from_dict(schema)


def session_ids(encoder: Any, labelled: pd.DataFrame, pool: pd.DataFrame) -> tuple[list[str],
                                                                                  list[str]]:
    """The row ids of the labelled table and the pool, unique over both.

    Raises
    ------
    InvalidInputError
        The id column repeats a value (within or across the tables).
    MissingValueError
        The id column has an empty value.
    """
    columns = [c for c in labelled.columns if c in pool.columns]
    both = pd.concat([labelled[columns], pool[columns]], ignore_index=True)
    ids = [str(v) for v in encoder.row_ids(both)]
    if any(not i.strip() for i in ids):
        raise MissingValueError("the id column has empty values; every row needs an id")
    return ids[: len(labelled)], ids[len(labelled):]
