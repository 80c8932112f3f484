"""The session's learner: rebuilt for every command, its state and models saved without pickle.

A session never keeps a live Python object between commands. To query, it rebuilds
:class:`~fairpool.active.ActiveLearner` with the session's arguments, fits it on every
current labelled row in the fixed order (initial rows in file order, then taught rows in
teach order, within a teach by batch and rank), loads the state stored after the last
query (the strategy's random generator, round count and own state, ``state_dict``) and
queries the rows still available. That is the loop of :func:`fairpool.active.run`, cut
between rounds.

Written here by hand: the model per round is saved with ``skops.io`` (no library saves a
scikit-learn model without pickle otherwise), loading only the types a session writes
(scikit-learn, XGBoost, fairpool, numpy); a learner skops cannot save (the torch
learners) is recorded as not saved, with the reason, and is recomputed by the same
deterministic refit. The round's metrics are computed here too (see :func:`evaluate`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fairpool.errors import FairpoolError, SingleGroupError, UndefinedMetricError

if TYPE_CHECKING:  # pragma: no cover
    from fairpool.active import ActiveLearner

# fairpool.active (and the torch learners it registers) is imported inside the functions
# that build a learner: a teach stores its labels before paying for that import.

__all__ = [
    "LearnerSpec",
    "METRIC_NAMES",
    "build_learner",
    "capture_state",
    "evaluate",
    "load_model",
    "restore_state",
    "save_model",
]

#: The metrics recorded per round, in the order status shows them.
METRIC_NAMES = ("accuracy", "f1", "demographic_parity", "equalized_odds")

#: Folds of the cross-validated reading when the session has no validation table.
CV_FOLDS = 5

#: Top-level packages whose types a stored model may hold (all written by the session).
_TRUSTED_PACKAGES = ("sklearn", "xgboost", "fairpool", "numpy", "scipy", "builtins")


@dataclass(frozen=True)
class LearnerSpec:
    """How a session builds its :class:`~fairpool.active.ActiveLearner`."""

    strategy: str
    strategy_options: Mapping[str, Any]
    learner: str
    learner_options: Mapping[str, Any]
    seed: int
    group_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    info: Mapping[str, Any] = field(default_factory=dict)


def build_learner(
    spec: LearnerSpec, validation: tuple[np.ndarray, np.ndarray, np.ndarray] | None
) -> ActiveLearner:
    """A fresh learner with the session's arguments (not fitted)."""
    from fairpool import active

    return active.ActiveLearner(
        spec.strategy,
        spec.learner,
        seed=spec.seed,
        validation=validation,
        group_names=spec.group_names,
        feature_names=spec.feature_names,
        info=dict(spec.info),
        strategy_options=dict(spec.strategy_options),
        learner_options=dict(spec.learner_options),
    )


# -- learner state after a query -------------------------------------------------------
def capture_state(al: ActiveLearner) -> tuple[bytes, str]:
    """The learner's resumable state (``state_dict``) as ``pack_state`` bytes (no pickle)
    and the name of their format."""
    from fairpool import active

    return active.pack_state(al.state_dict()), "pack_state"


def restore_state(al: ActiveLearner, blob: bytes, fmt: str) -> None:
    """Load a state written by :func:`capture_state` into a learner built with the same
    arguments and fitted on the same labelled rows in the same order.

    Raises
    ------
    FairpoolError
        The state's format is unknown, or the learner refuses it (another seed,
        strategy, groups or number of features).
    """
    from fairpool import active

    if fmt != "pack_state":
        raise FairpoolError(f"unknown learner state format {fmt!r} in the session store")
    al.load_state_dict(active.unpack_state(bytes(blob)))


# -- the model per round ---------------------------------------------------------------
def save_model(al: ActiveLearner, X_labelled: np.ndarray) -> tuple[bytes | None, str, str]:
    """The fitted model as skops bytes: a scikit-learn Pipeline of the standardisation and
    the model, which predicts from the encoded features.

    Parameters
    ----------
    al : ActiveLearner
        Fitted on ``X_labelled``.
    X_labelled : ndarray of shape (n, d)
        The labelled features it was fitted on (the standardisation's statistics).

    Returns
    -------
    model : bytes or None
    model_format : str
        ``"skops"`` or ``"none"``.
    note : str
        Why the model was not saved (empty when it was).
    """
    import skops.io
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    pipeline = Pipeline([("standardize", StandardScaler().fit(X_labelled)), ("model", al.model_)])
    try:
        blob = skops.io.dumps(pipeline)
    except Exception as exc:  # skops raises plain errors for types it cannot persist
        first = str(exc).splitlines()[0] if str(exc) else ""
        note = (f"skops cannot save {type(al.model_).__name__} ({type(exc).__name__}: {first}); "
                "the model is recomputed by the deterministic refit")
        return None, "none", note
    return blob, "skops", ""


def load_model(blob: bytes) -> Any:
    """A model saved by :func:`save_model`, loading only the types a session writes.

    Raises
    ------
    FairpoolError
        The bytes hold a type from outside scikit-learn, XGBoost, fairpool or numpy.
    """
    import skops.io

    types = skops.io.get_untrusted_types(data=bytes(blob))
    foreign = [t for t in types if t.split(".")[0] not in _TRUSTED_PACKAGES]
    if foreign:
        raise FairpoolError(
            f"the stored model holds types a session does not write ({foreign}); "
            "it is not loaded"
        )
    return skops.io.loads(bytes(blob), trusted=types)


# -- metrics per round -----------------------------------------------------------------
def score(y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray) -> dict[str, float]:
    """Accuracy, F1 (class 1 positive; macro over classes when more than two) and the
    demographic parity and equalized odds differences (NaN where undefined)."""
    from sklearn.metrics import accuracy_score, f1_score

    from fairpool import metrics

    out: dict[str, float] = {"accuracy": float(accuracy_score(y_true, y_pred))}
    n_classes = int(max(np.max(y_true, initial=0), np.max(y_pred, initial=0))) + 1
    binary = n_classes <= 2
    out["f1"] = float(f1_score(y_true, y_pred, average="binary" if binary else "macro",
                               zero_division=0.0))
    for name, function in (("demographic_parity", metrics.demographic_parity_difference),
                           ("equalized_odds", metrics.equalized_odds_difference)):
        if not binary:
            out[name] = float("nan")
            continue
        try:
            out[name] = float(function(y_true, y_pred, sensitive_features=groups))
        except (SingleGroupError, UndefinedMetricError):
            out[name] = float("nan")
    return out


def evaluate(
    spec: LearnerSpec,
    al: ActiveLearner,
    labelled: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_initial: int,
    validation: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
) -> tuple[dict[str, float], str]:
    """The round's metrics and how they were read.

    With a validation table: the fitted model's predictions on it. Without: out-of-fold
    predictions on the *initial* labelled rows, each of ``CV_FOLDS`` folds predicted by
    a model fitted on every other labelled row (the other initial rows and all bought
    labels). The bought rows are left out of the scoring because the strategy chose them
    (hard, uncertain rows), so they are no sample of the data; the initial rows are the
    user's own labelled table.

    Parameters
    ----------
    spec : LearnerSpec
    al : ActiveLearner
        Fitted on ``labelled``.
    labelled : (X, y, groups)
        Every current labelled row in the session's order, the initial rows first.
    n_initial : int
        How many leading rows of ``labelled`` are the initial rows.
    validation : (X, y, groups) or None

    Returns
    -------
    metrics : dict of str to float
    evaluation : str
        ``"validation"`` or ``"cv<k> on initial rows"`` (``"none"`` when too few rows).
    """
    if validation is not None:
        vX, vy, vg = validation
        return score(vy, np.asarray(al.predict(vX, vg)), vg), "validation"
    X, y, g = labelled
    y0 = y[:n_initial]
    counts = np.bincount(y0)
    k = int(min(CV_FOLDS, counts[counts > 0].min())) if counts.size else 0
    if k < 2:
        return {name: float("nan") for name in METRIC_NAMES}, "none"
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(k, shuffle=True, random_state=spec.seed)
    predicted = np.empty(n_initial, dtype=np.int64)
    keep = np.ones(X.shape[0], dtype=bool)
    for _train, test0 in folds.split(np.zeros(n_initial), y0):
        keep[:] = True
        keep[test0] = False
        fold = build_learner(spec, None)
        try:
            fold.fit(X[keep], y[keep], g[keep])
        except FairpoolError:  # e.g. one class left in the training rows
            return {name: float("nan") for name in METRIC_NAMES}, "none"
        predicted[test0] = np.asarray(fold.predict(X[:n_initial][test0], g[:n_initial][test0]))
    return score(y0, predicted, g[:n_initial]), f"cv{k} on initial rows"


def metrics_json(values: Mapping[str, float]) -> str:
    """Metrics as JSON text (NaN as null)."""
    return json.dumps({k: (None if v != v else float(v)) for k, v in values.items()})


def metrics_from_json(text: str) -> dict[str, float]:
    """Inverse of :func:`metrics_json`."""
    return {k: (float("nan") if v is None else float(v)) for k, v in json.loads(text).items()}


def learner_names(spec: LearnerSpec) -> Sequence[str]:
    """The strategy and learner names (for messages)."""
    return (spec.strategy, spec.learner)
