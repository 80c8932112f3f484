"""Mitigate a model on a user's table: fit it plain and mitigated, compare on held-out rows.

What ``fairpool mitigate`` runs, and its Python API::

    from fairpool.audit import mitigation_report, print_mitigation
    report = mitigation_report("loans.csv", target="approved", sensitive="sex",
                               method="reweighing")
    report.table        # measure, group, plain, mitigated, change
    print_mitigation(report, format="json")
    report.save("model.skops")

Written here by hand: the steps around the mitigations (encode the table, split it
stratified by group and label, standardise, fit both models, score the test rows)
are fairpool's own loop in one call; no library compares a plain and a mitigated
model on a user's table. The saved file uses ``skops.io`` (no pickle), as a session's
models do; the encoder travels inside it as its JSON schema
(:meth:`fairpool.datasets.TableEncoder.to_dict`).
"""

from __future__ import annotations

import inspect
import io
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairpool.audit._render import _console, _rich_table, check_format
from fairpool.errors import (
    FairpoolError,
    InvalidInputError,
    NonBinaryLabelError,
    SingleGroupError,
    UndefinedMetricError,
    UnknownNameError,
)

__all__ = ["MITIGATION_METHODS", "MitigationReport", "mitigation_report", "mitigation_split",
           "print_mitigation"]

#: The mitigations ``fairpool mitigate --method`` accepts (learners of fairpool.mitigation).
MITIGATION_METHODS = ("reweighing", "resampling", "correlation_remover", "penalty",
                      "adversarial", "reduction", "thresholds", "voting")

_RATES = (("selection_rate", "selection rate"), ("tpr", "TPR"), ("fpr", "FPR"))


@dataclass(frozen=True)
class MitigationReport:
    """A plain and a mitigated model fitted on the same rows, scored on the same test rows.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``measure``, ``group`` (empty for overall measures), ``plain``,
        ``mitigated``, ``change`` (mitigated minus plain).
    model : estimator
        The fitted mitigated model; it predicts from ``scaler.transform(encoder.transform(df).X)``
        with ``sensitive_features=`` the rows' group codes where its predict takes them.
    plain_model : estimator
        The fitted plain model.
    encoder : fairpool.datasets.TableEncoder
    scaler : sklearn.preprocessing.StandardScaler
        Fitted on the training rows.
    method, model_name : str
    positive : str
        The target value counted as positive.
    train_rows, test_rows : ndarray of int64
        Positions of the rows (in the table read) used to fit and to score.
    """

    table: pd.DataFrame
    model: Any
    plain_model: Any
    encoder: Any
    scaler: Any
    method: str
    model_name: str
    positive: str
    train_rows: np.ndarray
    test_rows: np.ndarray

    def save(self, path: str | Path) -> Path:
        """Write the mitigated model, the scaler and the encoder with ``skops.io`` (no pickle).

        The file holds a dict: ``model``, ``scaler``, ``encoder`` (the encoder's JSON
        schema, :meth:`TableEncoder.from_dict` rebuilds it), ``method``, ``model_name``.
        Load it with ``skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))``
        after checking those types.

        Raises
        ------
        FairpoolError
            skops cannot save the model (every fairpool mitigation saves; a user estimator
            holding types skops does not know may not).
        """
        import skops.io

        path = Path(path)
        payload = {"model": self.model, "scaler": self.scaler,
                   "encoder": json.dumps(self.encoder.to_dict()), "method": self.method,
                   "model_name": self.model_name}
        try:
            skops.io.dump(payload, path)
        except Exception as exc:  # skops raises plain errors for types it cannot persist
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise FairpoolError(f"skops cannot save {type(self.model).__name__} "
                                f"({type(exc).__name__}: {first}); nothing written") from None
        return path


def mitigation_split(groups: np.ndarray, y: np.ndarray, *, test_size: float,
                     seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row positions, stratified by (group, label).

    Parameters
    ----------
    groups, y : ndarray of int of shape (n,)
        Group codes and 0/1 labels.
    test_size : float
        Share of rows held out, in (0, 1).
    seed : int
        Seed of ``numpy.random.default_rng``: the same seed gives the same split.

    Returns
    -------
    train, test : ndarray of int64
        Sorted positions.

    Raises
    ------
    InvalidInputError
        ``test_size`` outside (0, 1), or a part would be empty.
    """
    from fairpool.datasets import stratified_partition

    if not 0.0 < float(test_size) < 1.0:
        raise InvalidInputError(f"test size must be between 0 and 1, got {test_size}")
    n = len(y)
    n_test = int(round(n * float(test_size)))
    if n_test < 1 or n - n_test < 2:
        raise InvalidInputError(f"{n} rows cannot be split with test size {test_size}")
    strata = np.asarray(groups, dtype=np.int64) * 2 + np.asarray(y, dtype=np.int64)
    train, test = stratified_partition(strata, [n - n_test, n_test], np.random.default_rng(seed))
    return np.asarray(train, dtype=np.int64), np.asarray(test, dtype=np.int64)


def _build(name: str, seed: int, **options: Any) -> Any:
    from fairpool.learners import learner_factory, make_learner

    accepted = inspect.signature(learner_factory(name)).parameters
    if "random_state" in accepted:
        options.setdefault("random_state", seed)
    try:
        return make_learner(name, **options)
    except TypeError as exc:  # an option the learner does not take
        raise InvalidInputError(f"{name}: {exc}") from None


def _mitigated(method: str, model: str, seed: int, options: dict[str, Any]) -> Any:
    from fairpool.learners import learner_factory

    if method not in MITIGATION_METHODS:
        raise UnknownNameError(f"unknown mitigation method {method!r}; available: "
                               f"{', '.join(MITIGATION_METHODS)}")
    options = dict(options)
    if "estimator" in inspect.signature(learner_factory(method)).parameters:
        options.setdefault("estimator", model)
    return _build(method, seed, **options)


def _positive_value(column: pd.Series, positive: Any) -> Any:
    """The command line's text ``positive`` as the column's own value (``"1"`` -> 1)."""
    if positive is None or not isinstance(positive, str):
        return positive
    values = pd.unique(column.dropna())
    if positive in values:
        return positive
    matches = [v for v in values if str(v) == positive]
    return matches[0] if matches else positive


def _scores(y: np.ndarray, pred: np.ndarray, groups: np.ndarray,
            names: tuple[str, ...]) -> dict[tuple[str, str], float]:
    from sklearn.metrics import accuracy_score, f1_score

    from fairpool import metrics

    out = {("accuracy", ""): float(accuracy_score(y, pred)),
           ("F1", ""): float(f1_score(y, pred, zero_division=0.0))}
    for label, function in (("demographic parity difference",
                              metrics.demographic_parity_difference),
                             ("equalized odds difference", metrics.equalized_odds_difference),
                             ("disparate impact ratio", metrics.disparate_impact_ratio)):
        try:
            out[(label, "")] = float(function(y, pred, sensitive_features=groups))
        except UndefinedMetricError:
            out[(label, "")] = float("nan")
    named = np.asarray(names, dtype=object)[groups]
    for rate, label in _RATES:
        by_group = metrics.rate_by_group(y, pred, sensitive_features=named, rate=rate)
        for group in names:
            out[(label, group)] = float(by_group.get(group, float("nan")))
    return out


def mitigation_report(
    frame_or_path: Any,
    *,
    target: str,
    sensitive: str | list[str],
    method: str,
    model: str = "logreg",
    positive: Any = None,
    test_size: float = 0.3,
    seed: int = 0,
    options: dict[str, Any] | None = None,
) -> MitigationReport:
    """Fit ``model`` plain and mitigated by ``method``; compare them on held-out rows.

    The table is encoded with :class:`fairpool.datasets.TableEncoder`, split by
    :func:`mitigation_split`, the features standardised with a ``StandardScaler``
    fitted on the training rows (as the active-learning loop does), and both
    models fitted with ``sensitive_features=`` the training rows' group codes.

    Parameters
    ----------
    frame_or_path : pandas.DataFrame, or str or Path of a CSV/Parquet file
    target : str
        The binary label column.
    sensitive : str or list of str
        Sensitive column(s); several give intersectional groups.
    method : str
        One of :data:`MITIGATION_METHODS`.
    model : str, default "logreg"
        Registered learner (``fairpool learners``): the plain model, and the base of
        the mitigation where the method takes one (not penalty, adversarial, voting).
    positive : optional
        The target value that is positive (needed unless 0/1, true/false, yes/no).
    test_size : float, default 0.3
    seed : int, default 0
        Seed of the split and of both learners.
    options : dict, optional
        Keyword options of the mitigation's factory (``fairpool.mitigation``).

    Returns
    -------
    MitigationReport

    Raises
    ------
    UnknownColumnError
        A named column is not in the table.
    UnknownNameError
        ``method`` or ``model`` is not registered.
    NonBinaryLabelError
        The target has more than two values.
    SingleGroupError
        The sensitive column(s) hold one group.
    MissingValueError
        A missing target or sensitive value.
    InvalidInputError
        A regression target, a bad ``test_size`` or an option the method does not take.

    Examples
    --------
    >>> import fairpool as fp
    >>> df = fp.datasets.raw_table("german")
    >>> report = fp.audit.mitigation_report(df, target="credit", sensitive="sex",
    ...                                     method="reweighing")
    >>> list(report.table.columns)
    ['measure', 'group', 'plain', 'mitigated', 'change']
    """
    from sklearn.base import clone
    from sklearn.preprocessing import StandardScaler

    from fairpool.active import model_output
    from fairpool.datasets import TableEncoder, read_table
    from fairpool.learners import fit_with_groups

    if method not in MITIGATION_METHODS:  # before reading a large file
        raise UnknownNameError(f"unknown mitigation method {method!r}; available: "
                               f"{', '.join(MITIGATION_METHODS)}")
    frame = (frame_or_path if isinstance(frame_or_path, pd.DataFrame)
             else read_table(Path(frame_or_path)))
    sensitive = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    if target in frame.columns:
        positive = _positive_value(frame[target], positive)
    encoder = TableEncoder(target=target, sensitive=sensitive, positive=positive)
    with warnings.catch_warnings():  # one group is refused below, with its own message
        warnings.filterwarnings("ignore", message=".*single group", category=UserWarning)
        encoder.fit(frame)
    if encoder.task_ != "classification":
        raise InvalidInputError(f"target column {target!r} holds numbers (a regression "
                                "target); mitigation needs a binary label")
    if len(encoder.classes_) != 2:
        shown = ", ".join(map(str, encoder.classes_[:6]))
        more = ", ..." if len(encoder.classes_) > 6 else ""
        raise NonBinaryLabelError(f"target column {target!r} has {len(encoder.classes_)} "
                                  f"values ({shown}{more}); mitigation needs a binary label: "
                                  "choose a two-valued column")
    names = tuple(str(g) for g in encoder.group_names_)
    if len(names) < 2:
        raise SingleGroupError(f"sensitive column(s) {', '.join(map(repr, sensitive))} hold "
                               f"one group only ({names[0] if names else 'none'}); there is "
                               "nothing to compare")
    data = encoder.transform(frame, ids=False)
    y, groups = np.asarray(data.y, dtype=np.int64), np.asarray(data.groups, dtype=np.int64)
    train, test = mitigation_split(groups, y, test_size=test_size, seed=seed)
    scaler = StandardScaler().fit(data.X[train])
    X_train, X_test = scaler.transform(data.X[train]), scaler.transform(data.X[test])

    plain = _build(model, seed)
    mitigated = _mitigated(method, model, seed, options or {})
    results = {}
    for key, estimator in (("plain", clone(plain)), ("mitigated", clone(mitigated))):
        fit_with_groups(estimator, X_train, y[train], groups[train])
        pred = np.asarray(model_output(estimator, "predict", X_test, groups[test]),
                          dtype=np.int64)
        results[key] = (estimator, _scores(y[test], pred, groups[test], names))
    keys = list(results["plain"][1])
    table = pd.DataFrame({
        "measure": [k[0] for k in keys],
        "group": [k[1] for k in keys],
        "plain": [results["plain"][1][k] for k in keys],
        "mitigated": [results["mitigated"][1][k] for k in keys],
    })
    table["change"] = table["mitigated"] - table["plain"]
    return MitigationReport(
        table=table, model=results["mitigated"][0], plain_model=results["plain"][0],
        encoder=encoder, scaler=scaler, method=method, model_name=model,
        positive=str(encoder.classes_[1]), train_rows=train, test_rows=test,
    )


def _preamble(report: MitigationReport) -> list[str]:
    return [
        f"{report.model_name} plain vs mitigated by {report.method}: fitted on "
        f"{len(report.train_rows)} rows, scored on {len(report.test_rows)} held-out rows",
        f"positive value {report.positive!r}; groups "
        f"{', '.join(map(str, report.encoder.group_names_))}",
    ]


def print_mitigation(report: MitigationReport, *, format: str = "table") -> None:
    """Print a :class:`MitigationReport` on stdout.

    Parameters
    ----------
    report : MitigationReport
    format : {"table", "json", "csv"}, default "table"
        ``table``: two lines on the fit, then a rich table; ``json``: an object with
        ``method``, ``model``, ``positive``, ``n_train``, ``n_test``, ``groups`` and
        ``rows`` (the table's records; NaN as null); ``csv``: ``#`` lines, then the table.

    Raises
    ------
    InvalidInputError
        If ``format`` is not table, json or csv.
    """
    format = check_format(format)
    if format == "json":
        rows = [{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
                for row in report.table.astype(object).to_dict(orient="records")]
        print(json.dumps({"method": report.method, "model": report.model_name,
                          "positive": report.positive, "n_train": len(report.train_rows),
                          "n_test": len(report.test_rows),
                          "groups": [str(g) for g in report.encoder.group_names_],
                          "rows": rows}, indent=2))
        return
    if format == "csv":
        out = io.StringIO()
        for line in _preamble(report):
            out.write(f"# {line}\n")
        out.write(report.table.to_csv(index=False))
        print(out.getvalue(), end="")
        return
    from rich.markup import escape

    console = _console()
    for line in _preamble(report):
        console.print(escape(line), highlight=False)
    shown = report.table.copy()
    shown["change"] = [f"{v:+.4g}" if v == v else "nan" for v in shown["change"]]
    console.print(_rich_table(shown, "Before / after",
                              right={"plain", "mitigated", "change"}))
