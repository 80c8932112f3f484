"""A loop's state as bytes and back, without pickle: safetensors for arrays, JSON for the rest.

A labelling session runs one active-learning round per process, days apart; what the
:class:`~fairpool.active.ActiveLearner` and its strategy carry from one round to the
next (``ActiveLearner.state_dict()``) must survive in between, in a file or a
database cell, and must be read back exactly. Pickle would do it in one line but
runs code on load and ties the bytes to today's classes; these few functions are
written by hand instead, around a documented format:

* the bytes are one safetensors file (``safetensors.numpy.save``): every numpy array
  of the state is a tensor, so weights and counts come back bit for bit, with their
  dtype and shape;
* everything else (ints, floats, strings, ``None``, lists, tuples, nested dicts) is one
  JSON document in the safetensors metadata, under ``"fairpool.state"``. Each JSON
  object in it is a one-key tag: ``{"dict": {...}}`` (a dict, keys kept in order),
  ``{"tuple": [...]}`` and ``{"array": NAME}`` (the tensor called NAME), so a user's
  key can never be read as a tag;
* a tensor's NAME is its path in the state, the JSON array of its keys and positions
  (``'["strategy", "bandits", 0, "log_weights"]'``): a flattening whose separator
  cannot clash with any key, whatever characters the keys hold.

Python's ``json`` writes and reads integers of any size (the 128-bit ``state`` and
``inc`` of a PCG64 generator's state come back exactly) and the floats ``nan``,
``inf`` and ``-inf`` (as ``NaN``/``Infinity``, which Python's reader accepts; strict
JSON readers elsewhere would not).
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from typing import Any

import numpy as np

from fairpool.errors import InvalidInputError

__all__ = [
    "LEARNER_STATE_FORMAT",
    "STATE_FORMAT",
    "check_learner_state",
    "copy_tree",
    "pack_state",
    "same_state",
    "unpack_state",
]

#: The value of the ``"format"`` metadata entry of every packed state.
STATE_FORMAT = "fairpool.state/1"
_TREE_KEY = "fairpool.state"
_FORMAT_KEY = "format"
#: numpy dtype kinds safetensors stores (bool, signed and unsigned ints, floats).
_ARRAY_KINDS = "biuf"
#: The ``format`` entry of ``ActiveLearner.state_dict()``.
LEARNER_STATE_FORMAT = "fairpool.active_learner/1"
#: The keys ``ActiveLearner.load_state_dict`` needs (``n_labelled`` is informative only).
_LEARNER_STATE_KEYS = (
    "format",
    "seed",
    "strategy",
    "n_queries",
    "select_rng",
    "strategy_fit_rng",
    "strategy_trained",
    "last_info",
    "group_names",
    "n_features",
    "strategy_state",
)


def _path_text(path: tuple[str | int, ...]) -> str:
    return "state" + "".join(f"[{p!r}]" for p in path)


def _encode(value: Any, path: tuple[str | int, ...], tensors: dict[str, np.ndarray]) -> Any:
    """``value`` as tagged JSON; its arrays moved into ``tensors`` under their path."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ARRAY_KINDS or value.dtype.itemsize > 8:
            raise InvalidInputError(
                f"{_path_text(path)} is an array of dtype {value.dtype}, which safetensors "
                "cannot store; keep bool, integer or float arrays, and lists of str for text"
            )
        # (not np.ascontiguousarray: it turns a 0-d array into a 1-d one)
        array = value if value.flags.c_contiguous else value.copy(order="C")
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        name = json.dumps(list(path))
        tensors[name] = array
        return {"array": name}
    if isinstance(value, np.generic):
        if value.dtype.kind not in "biuf":
            raise InvalidInputError(
                f"{_path_text(path)} is a numpy {value.dtype} scalar, which the state cannot "
                "hold; store a Python value or an array"
            )
        return _encode(value.item(), path, tensors)  # comes back as the Python scalar
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInputError(
                    f"{_path_text(path)} has the key {key!r} of type {type(key).__name__}; "
                    "state keys must be strings"
                )
            out[key] = _encode(item, (*path, key), tensors)
        return {"dict": out}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, (*path, i), tensors) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, (*path, i), tensors) for i, v in enumerate(value)]
    raise InvalidInputError(
        f"{_path_text(path)} is a {type(value).__name__}, which the state cannot hold: use "
        "None, bool, int, float, str, list, tuple, dict with str keys, or a numpy array"
    )


def _decode(value: Any, tensors: Mapping[str, np.ndarray]) -> Any:
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        raise InvalidInputError(f"corrupt fairpool state: an untagged object {sorted(value)}")
    ((tag, body),) = value.items()
    if tag == "dict":
        return {key: _decode(item, tensors) for key, item in body.items()}
    if tag == "tuple":
        return tuple(_decode(v, tensors) for v in body)
    if tag == "array":
        if body not in tensors:
            raise InvalidInputError(f"corrupt fairpool state: the array {body} is missing")
        array = tensors[body]
        return array if array.flags.writeable else array.copy()
    raise InvalidInputError(f"corrupt fairpool state: unknown tag {tag!r}")


def pack_state(state: Mapping[str, Any]) -> bytes:
    """Serialise a nested state dict to bytes: safetensors tensors plus JSON metadata.

    Parameters
    ----------
    state : mapping of str to values
        What ``ActiveLearner.state_dict()`` or ``Strategy.state_dict()`` returns. Values
        may be ``None``, ``bool``, ``int`` (any size), ``float`` (NaN and infinities
        included), ``str``, lists, tuples, dicts with ``str`` keys (nested to any
        depth, any characters) and numpy arrays of bool, integer or float dtype.

    Returns
    -------
    bytes
        A safetensors file. :func:`unpack_state` gives back an equal state: the same
        nesting, key order, lists as lists and tuples as tuples, arrays with their
        dtype, shape and values. Two things are normalised: numpy scalars
        (``np.float64(0.5)``) come back as the equal Python scalar, and arrays come
        back C-contiguous, little-endian and writeable.

    Raises
    ------
    InvalidInputError
        ``state`` is not a mapping, has a key that is not a string, or holds a value
        of another type (an object, ``bytes``, a string or object array, ...); the
        message gives its path.

    Examples
    --------
    >>> import numpy as np
    >>> from fairpool.active import pack_state, unpack_state
    >>> state = {"counts": np.arange(3), "last": (1, "a"), "big": 2**100}
    >>> back = unpack_state(pack_state(state))
    >>> back["last"], back["big"] == 2**100, back["counts"].dtype
    ((1, 'a'), True, dtype('int64'))
    """
    from safetensors.numpy import save

    if not isinstance(state, Mapping):
        raise InvalidInputError(f"state must be a dict, got {type(state).__name__}")
    tensors: dict[str, np.ndarray] = {}
    tree = _encode(state, (), tensors)
    try:
        document = json.dumps(tree, allow_nan=True, ensure_ascii=False)
    except ValueError as exc:  # a circular structure
        raise InvalidInputError(f"the state cannot be written as JSON: {exc}") from None
    return save(tensors, metadata={_FORMAT_KEY: STATE_FORMAT, _TREE_KEY: document})


def _metadata(data: bytes) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors file's header (8-byte length, then JSON)."""
    if len(data) < 8:
        raise InvalidInputError(f"not a fairpool state: {len(data)} bytes")
    (size,) = struct.unpack("<Q", data[:8])
    if size > len(data) - 8:
        raise InvalidInputError("not a fairpool state: the safetensors header is truncated")
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidInputError("not a fairpool state: the header is not JSON") from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or metadata.get(_FORMAT_KEY) != STATE_FORMAT:
        found = metadata.get(_FORMAT_KEY) if isinstance(metadata, dict) else None
        raise InvalidInputError(
            f"not a fairpool state (format {found!r}, expected {STATE_FORMAT!r}): pass the "
            "bytes pack_state returned"
        )
    return metadata


def unpack_state(data: bytes) -> dict[str, Any]:
    """Read back a state written by :func:`pack_state` (nothing is unpickled or executed).

    Parameters
    ----------
    data : bytes
        What :func:`pack_state` returned (``bytearray`` and ``memoryview`` work too).

    Returns
    -------
    dict
        Equal to the packed state, with the normalisations :func:`pack_state` lists.

    Raises
    ------
    InvalidInputError
        ``data`` is not a packed fairpool state, or is damaged.
    """
    from safetensors.numpy import load

    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidInputError(f"data must be bytes, got {type(data).__name__}")
    data = bytes(data)
    metadata = _metadata(data)
    try:
        tensors = load(data)
        tree = json.loads(metadata[_TREE_KEY])
    except InvalidInputError:
        raise
    except Exception as exc:  # safetensors raises its own error types on damaged bytes
        raise InvalidInputError(f"a damaged fairpool state: {exc}") from None
    state = _decode(tree, tensors)
    if not isinstance(state, dict):
        raise InvalidInputError("corrupt fairpool state: the top level is not a dict")
    return state


def copy_tree(value: Any) -> Any:
    """A copy of nested dicts, lists and tuples, arrays copied (other leaves are immutable)."""
    if isinstance(value, Mapping):
        return {k: copy_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_tree(v) for v in value]
    if isinstance(value, tuple):
        return tuple(copy_tree(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def check_learner_state(
    state: Any,
    *,
    seed: int,
    strategy: Mapping[str, str],
    group_names: list[str],
    n_features: int,
) -> None:
    """Check that ``state`` is an ``ActiveLearner`` state saved by the same loop.

    Parameters
    ----------
    state : object
        What ``ActiveLearner.load_state_dict`` was given.
    seed, strategy, group_names, n_features
        The loading learner's seed, strategy identity (name and class), groups and
        number of feature columns.

    Raises
    ------
    InvalidInputError
        ``state`` is not a mapping, lacks a key, has another format, or was saved by a
        loop with another seed, strategy, groups or number of features.
    """
    if not isinstance(state, Mapping):
        raise InvalidInputError(f"state must be a dict, got {type(state).__name__}")
    missing = [k for k in _LEARNER_STATE_KEYS if k not in state]
    if missing:
        raise InvalidInputError(
            f"this is not a complete ActiveLearner state: it lacks {missing}; pass what "
            "ActiveLearner.state_dict() returned"
        )
    if state["format"] != LEARNER_STATE_FORMAT:
        raise InvalidInputError(
            f"state format {state['format']!r} is not {LEARNER_STATE_FORMAT!r}; pass what "
            "ActiveLearner.state_dict() returned"
        )
    mismatches = []
    if state["seed"] != seed:
        mismatches.append(f"seed {state['seed']!r} (this learner: {seed!r})")
    saved = dict(state["strategy"]) if isinstance(state["strategy"], Mapping) else None
    if saved != dict(strategy):
        mismatches.append(f"strategy {state['strategy']} (this learner: {dict(strategy)})")
    if list(state["group_names"]) != list(group_names):
        mismatches.append(f"groups {list(state['group_names'])} (this learner: {group_names})")
    if state["n_features"] != n_features:
        mismatches.append(f"{state['n_features']} features (this learner: {n_features})")
    if mismatches:
        raise InvalidInputError(
            "the state was saved by another loop: " + "; ".join(mismatches)
            + ". Build the ActiveLearner with the same arguments and fit it on the "
            "labelled set before load_state_dict"
        )


def same_state(a: Any, b: Any) -> bool:
    """Exact equality of two states: types, nesting, arrays' dtype, shape and values
    (NaN equal to NaN). Used by the checker and the tests."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
        )
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_state(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same_state(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)
