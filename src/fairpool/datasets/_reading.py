"""Read a user's CSV or Parquet file, finding a CSV file's delimiter when not given."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from fairpool.errors import InvalidInputError

__all__ = ["DELIMITERS", "read_table", "sniff_delimiter"]

#: The delimiters the sniffer chooses between (comma wins a tie, as csv.Sniffer prefers it).
DELIMITERS = ",;\t|"

#: How much of a CSV file the sniffer reads.
_SAMPLE_BYTES = 64 * 1024

_SEP_NAMES = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def sniff_delimiter(path: str | Path) -> str:
    """The delimiter of a CSV file, found by :class:`csv.Sniffer` on its first 64 KiB.

    Parameters
    ----------
    path : str or Path
        The CSV file.

    Returns
    -------
    str
        One of ``","``, ``";"``, ``"\\t"`` and ``"|"``; ``","`` when the sample
        does not decide (a one-column file, say).
    """
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    if len(sample) == _SAMPLE_BYTES and "\n" in sample:  # whole lines only
        sample = sample[: sample.rindex("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _check_sep(sep: str) -> str:
    """``sep`` as one delimiter character (``"\\t"``, ``"tab"``, ``"semicolon"`` are named)."""
    sep = _SEP_NAMES.get(sep.lower(), sep) if isinstance(sep, str) else sep
    if not isinstance(sep, str) or len(sep) != 1 or sep in "\"\r\n":
        raise InvalidInputError(
            f"sep must be one character such as ',', ';', '|' or '\\t' (or tab), got {sep!r}"
        )
    return sep


def read_table(path: str | Path, *, sep: str | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame.

    Parameters
    ----------
    path : str or Path
        A ``.parquet`` / ``.pq`` file, or a CSV file (any other name).
    sep : str, optional
        The CSV delimiter (one character; ``"tab"`` or ``"\\t"`` for tabs). Without
        it the delimiter is detected among ``,`` ``;`` tab and ``|``
        (:func:`sniff_delimiter`). The chosen delimiter is kept in
        ``frame.attrs["sep"]``.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    InvalidInputError
        If the file cannot be parsed as CSV or Parquet, ``sep`` is not one
        character, or ``sep`` is given for a Parquet file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    suffixes = [s.lower() for s in path.suffixes]
    parquet = ".parquet" in suffixes or ".pq" in suffixes
    if parquet and sep is not None:
        raise InvalidInputError(f"sep applies to CSV files; {path} is a Parquet file")
    try:
        if parquet:
            return pd.read_parquet(path)
        delimiter = _check_sep(sep) if sep is not None else sniff_delimiter(path)
        frame = pd.read_csv(path, sep=delimiter)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        if isinstance(exc, InvalidInputError):
            raise
        kind = "Parquet" if parquet else "CSV"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInputError(f"cannot read {path} as {kind}: {first}") from None
    frame.attrs["sep"] = delimiter
    return frame
