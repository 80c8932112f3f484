"""The session's input tables: reading a user's file or frame, hashing it, copying it.

A session keeps its own Parquet copy of every input table (so it does not depend on the
user's files staying put) and the SHA-256 of what the user gave. Files are read by
:func:`fairpool.datasets.read_table` (the audit's reader: CSV with its delimiter
detected, or Parquet); hashing and the crash-safe copy (a temporary file, fsync, then an
atomic rename) are the few lines here.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pandas as pd

from fairpool.datasets import from_foreign_frame, read_table
from fairpool.errors import EmptyInputError, InvalidInputError

__all__ = [
    "copy_as_parquet",
    "file_sha256",
    "is_parquet",
    "read_input",
]


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_parquet(path: str | Path) -> bool:
    """Whether ``path`` names a Parquet file (``.parquet`` or ``.pq``)."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    return ".parquet" in suffixes or ".pq" in suffixes


def read_input(source: Any, *, role: str) -> tuple[pd.DataFrame, str, str | None]:
    """Read one input table of a session.

    Parameters
    ----------
    source : str, Path, pandas/polars DataFrame or pyarrow Table
        A CSV file (delimiter detected), a Parquet file, or a frame.
    role : str
        ``"labelled"``, ``"pool"`` or ``"validation"`` (for messages).

    Returns
    -------
    frame : pandas.DataFrame
        With string column names.
    description : str
        The absolute path, or ``"<pandas DataFrame>"`` for a frame.
    sha256 : str or None
        SHA-256 of the file; None for a frame (the copy's digest stands for it).

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    InvalidInputError
        The file cannot be parsed, or ``source`` is neither a path nor a frame.
    EmptyInputError
        The table has no rows.
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"the {role} file does not exist: {path}")
        frame = read_table(path)
        frame.attrs.clear()
        description, digest = str(path.resolve()), file_sha256(path)
    else:
        frame = from_foreign_frame(source)
        if not isinstance(frame, pd.DataFrame):
            raise InvalidInputError(
                f"{role} must be a CSV/Parquet path or a pandas/polars DataFrame, "
                f"got {type(source).__name__}"
            )
        description, digest = f"<{type(source).__module__.split('.')[0]} DataFrame>", None
    if frame.columns.has_duplicates:
        dup = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InvalidInputError(f"the {role} table has duplicate column names: {dup}")
    frame = frame.rename(columns=str).reset_index(drop=True)
    if len(frame) == 0:
        raise EmptyInputError(f"the {role} table ({description}) has no rows")
    return frame, description, digest


def copy_as_parquet(frame: pd.DataFrame, path: Path) -> str:
    """Write ``frame`` to ``path`` as Parquet (through a temporary file) and return its SHA-256.

    Raises
    ------
    InvalidInputError
        A column holds values Parquet cannot store together (mixed types).
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        frame.to_parquet(tmp, index=False)
    except (ValueError, TypeError) as exc:  # pyarrow's ArrowInvalid/ArrowTypeError
        tmp.unlink(missing_ok=True)
        raise InvalidInputError(
            f"cannot store the table as Parquet ({str(exc).splitlines()[0]}): give each "
            "column one type (e.g. convert mixed text/number columns to text)"
        ) from None
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return file_sha256(path)
