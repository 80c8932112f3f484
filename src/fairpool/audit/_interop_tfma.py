"""Per-group metrics as TFMA-style sliced-metrics JSON, written and read back.

TFMA writes ``MetricsForSlice`` protocol buffers
(``tensorflow_model_analysis/proto/metrics_for_slice.proto``); this module writes and
reads a JSON array of those messages in proto3's JSON mapping with the proto's field
names, with the standard library's ``json`` and ``base64``. Hand-written: TFMA itself
pulls TensorFlow and Apache Beam. The schema is in docs/monitoring.md, "Interop".
"""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairpool.audit._audit import AuditResult
from fairpool.errors import InvalidInputError
from fairpool.metrics import GroupReport

__all__ = ["read_tfma_json", "to_tfma_json"]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value



def _slice_key(columns: tuple[str, ...], group: Any) -> dict[str, Any]:
    values = group if isinstance(group, tuple) else (group,)
    keys = []
    for column, value in zip(columns, values, strict=True):
        value = _plain(value)
        if isinstance(value, bool | np.bool_) or not isinstance(value, int | float):
            text = str(value).encode("utf-8")
            keys.append({"column": column, "bytes_value": base64.b64encode(text).decode("ascii")})
        elif isinstance(value, int):
            keys.append({"column": column, "int64_value": str(value)})  # proto3 JSON int64
        else:
            keys.append({"column": column, "float_value": value})
    return {"single_slice_keys": keys}


def _number(value: Any) -> Any:
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _metrics(row: pd.Series, columns: list[str]) -> dict[str, Any]:
    out = {}
    for name in columns:
        if name.endswith(("_ci_low", "_ci_high")) or name == "small":
            continue
        key = "example_count" if name == "count" else name
        low, high = row.get(f"{name}_ci_low"), row.get(f"{name}_ci_high")
        if low is not None and high is not None:
            out[key] = {"bounded_value": {"lower_bound": _number(low),
                                          "upper_bound": _number(high),
                                          "value": _number(row[name])}}
        else:
            out[key] = {"double_value": _number(row[name])}
    return out


def to_tfma_json(result: AuditResult | GroupReport, path: str | Path | None = None) -> str:
    """Per-group metrics as TFMA ``MetricsForSlice`` messages in JSON.

    Parameters
    ----------
    result : AuditResult or GroupReport
        An audit (its ``by_group``: rates and Wilson intervals) or a group report.
    path : str or Path, optional
        Where to write the JSON (UTF-8).

    Returns
    -------
    str
        A JSON array: first the overall slice (``slice_key`` with no keys; from the
        audit's ``summary`` or the report's ``overall``), then one message per
        group, ``slice_key.single_slice_keys`` one ``{column, bytes_value |
        int64_value | float_value}`` per sensitive column (text as base64 bytes,
        integers as decimal strings: proto3's JSON mapping). ``metrics`` maps a
        name to ``{"double_value": x}``, or ``{"bounded_value": {"lower_bound",
        "upper_bound", "value"}}`` for a rate with an interval; ``count`` is
        ``example_count``; NaN is ``"NaN"``.
    """
    if isinstance(result, AuditResult):
        columns = tuple(result.sensitive)
        frame = result.by_group
        overall = {"count": result.summary["n"]}
        overall.update({k[len("overall_"):]: v for k, v in result.summary.items()
                        if k.startswith("overall_")})
    elif isinstance(result, GroupReport):
        frame = result.by_group
        columns = tuple(str(n) for n in frame.index.names)
        overall = dict(result.overall)
    else:
        raise InvalidInputError(f"expected an AuditResult or GroupReport, got "
                                f"{type(result).__name__}")
    names = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
             and not pd.api.types.is_bool_dtype(frame[c])]
    slices = [{"slice_key": {}, "metrics": _metrics(pd.Series(overall), list(overall))}]
    for group, row in frame.iterrows():
        slices.append({"slice_key": _slice_key(columns, group), "metrics": _metrics(row, names)})
    text = json.dumps(slices, indent=2)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def _read_number(value: Any) -> float:
    return float(value)  # proto3 JSON writes NaN and infinities as strings float() reads


def read_tfma_json(source: str | Path) -> tuple[pd.Series, pd.DataFrame]:
    """Read sliced metrics written by :func:`to_tfma_json` (or TFMA's JSON of the same messages).

    Parameters
    ----------
    source : str or Path
        A path to the file, or the JSON text itself.

    Returns
    -------
    overall : pandas.Series
        The metrics of the slice with no keys (empty if absent).
    by_group : pandas.DataFrame
        One row per slice with keys, indexed by its values (a MultiIndex named by
        the columns for several); ``example_count`` is ``count``; a bounded value
        gives ``<name>``, ``<name>_ci_low`` and ``<name>_ci_high``.

    Raises
    ------
    InvalidInputError
        If the text is not a JSON array of MetricsForSlice messages, or slices
        have different key columns.
    """
    text = source
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith(
            ("[", "{"))):
        text = Path(source).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"not JSON: {exc}") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(m, dict) for m in data):
        raise InvalidInputError("expected a JSON array of MetricsForSlice messages")
    overall: dict[str, float] = {}
    rows, keys, columns = [], [], None
    for message in data:
        metrics = {}
        for name, value in (message.get("metrics") or {}).items():
            name = "count" if name == "example_count" else name
            if "bounded_value" in value:
                bounded = value["bounded_value"]
                metrics[name] = _read_number(bounded.get("value", "NaN"))
                metrics[f"{name}_ci_low"] = _read_number(bounded.get("lower_bound", "NaN"))
                metrics[f"{name}_ci_high"] = _read_number(bounded.get("upper_bound", "NaN"))
            elif "double_value" in value:
                metrics[name] = _read_number(value["double_value"])
        single = (message.get("slice_key") or {}).get("single_slice_keys") or []
        if not single:
            overall = metrics
            continue
        names = tuple(k["column"] for k in single)
        if columns is None:
            columns = names
        elif names != columns:
            raise InvalidInputError(f"slices have different key columns: {columns} and {names}")
        keys.append(tuple(_slice_value(k) for k in single))
        rows.append(metrics)
    if columns is None:
        return pd.Series(overall, dtype=object), pd.DataFrame()
    index = (pd.MultiIndex.from_tuples(keys, names=list(columns)) if len(columns) > 1
             else pd.Index([k[0] for k in keys], name=columns[0], dtype=object))
    by_group = pd.DataFrame(rows, index=index)
    if "count" in by_group.columns:
        by_group["count"] = by_group["count"].astype(np.int64)
    return pd.Series(overall, dtype=object), by_group


def _slice_value(key: dict[str, Any]) -> Any:
    if "bytes_value" in key:
        return base64.b64decode(key["bytes_value"]).decode("utf-8")
    if "int64_value" in key:
        return int(key["int64_value"])
    if "float_value" in key:
        return _read_number(key["float_value"])
    raise InvalidInputError(f"slice key of column {key.get('column')!r} has no value")
