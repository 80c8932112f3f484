"""Which value of a two-valued label is the positive one, when the values say so themselves.

fairpool never guesses the positive class of a target such as ``approved``/``denied``
(sorting would pick ``denied`` and report denial rates as selection rates); it reads
the positive value off the recognised codings only, and asks otherwise. The audit
(:mod:`fairpool.audit`) and :func:`fairpool.datasets.from_frame` share this function.
"""

from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np

__all__ = ["binary_coding"]


def binary_coding(value: Any) -> tuple[str, bool] | None:
    """``(family, is_positive)`` of a value of a recognised binary coding, else None.

    The families: ``"binary"`` (0/1, True/False and the strings "0", "1", "true",
    "false" in any case) and ``"yesno"`` ("yes"/"no" in any case).

    Parameters
    ----------
    value : object
        One label value.

    Returns
    -------
    tuple of (str, bool) or None

    Examples
    --------
    >>> binary_coding("Yes"), binary_coding(0), binary_coding("approved")
    (('yesno', True), ('binary', False), None)
    """
    if isinstance(value, bool | np.bool_):
        return "binary", bool(value)
    if isinstance(value, Number):
        number = float(value)  # type: ignore[arg-type]
        return ("binary", number == 1.0) if number in (0.0, 1.0) else None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("0", "1", "true", "false"):
            return "binary", text in ("1", "true")
        if text in ("yes", "no"):
            return "yesno", text == "yes"
    return None
