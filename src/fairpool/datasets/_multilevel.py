"""Two classic multilevel tables, students within schools: HSB82 and Tennessee STAR.

Both ship gzip-compressed in ``files/multilevel/`` exactly as exported from the copies
in the R package mlmRev (checksums in ``files/SHA256SUMS``). Each loader reads its file
with pandas, builds the raw table (readable group names, the chosen target) and hands
it to :func:`~fairpool.datasets._encoding.encode_frame` with ``clusters="school"``: the
encoding is the package's one encoding (scikit-learn's ColumnTransformer underneath);
what is written here are the datasets' own choices, documented in ``docs/datasets.md``.

Each dataset is a regression (``task="regression"``: the score itself) or a
classification (``task="classification"``: the score above ``threshold``).
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from fairpool.datasets._dataset import Dataset
from fairpool.datasets._encoding import encode_frame
from fairpool.datasets._integrity import verified_path
from fairpool.datasets._options import check_choice, choose_attributes
from fairpool.errors import InvalidInputError

__all__ = [
    "HSB82_SENSITIVE",
    "STAR_ETHNICITY",
    "STAR_GRADES",
    "STAR_SENSITIVE",
    "load_hsb82",
    "load_star",
    "read_hsb82_table",
    "read_star_table",
]

HSB82_SOURCE = (
    "High School and Beyond 1982 (Raudenbush & Bryk, Hierarchical Linear Models), as "
    "distributed in the R package mlmRev (Bates, Maechler, Bolker), data set Hsb82"
)
STAR_SOURCE = (
    "Tennessee Student/Teacher Achievement Ratio (STAR) class-size experiment "
    "(Achilles et al.), as distributed in the R package mlmRev (Bates, Maechler, "
    "Bolker), data set star"
)
LICENCE = "public-use research files; mlmRev is GPL (>= 2); data unchanged but for R's row names"
HSB82_LABEL = "math achievement mAch (regression) or mAch > threshold (classification)"
STAR_LABEL = "math or reading score (regression) or score > threshold (classification)"

#: Sensitive attributes of hsb82: ``sex`` (column ``sx``) and ``minority`` (``minrty``).
HSB82_SENSITIVE = ("sex", "minority")
#: Sensitive attributes of star: ``sex`` (column ``sx``) and ``ethnicity`` (``eth``).
STAR_SENSITIVE = ("sex", "ethnicity")
#: STAR's grades (``gr``): kindergarten then grades 1 to 3.
STAR_GRADES = ("K", "1", "2", "3")
#: STAR's ethnicity codes and the group each becomes. The codes besides W and B hold
#: 66 (Asian), 38 (other), 35 (Hispanic) and 14 (American Indian) of 26,796 rows: too
#: few for a per-group rate, so they are one group, ``Other``.
STAR_ETHNICITY = {"W": "White", "B": "Black", "A": "Other", "H": "Other", "I": "Other",
                  "O": "Other"}
_SEX = {"F": "Female", "M": "Male"}
_TASKS = ("regression", "classification")


def read_hsb82_table() -> pd.DataFrame:
    """Read ``hsb82.csv.gz`` (7,185 rows, 8 columns) as the file holds it."""
    return pd.read_csv(verified_path("multilevel/hsb82.csv.gz"))


def read_star_table() -> pd.DataFrame:
    """Read ``star.csv.gz`` (26,796 student-grade rows, 18 columns) as the file holds it.

    ``gr`` (grade) and ``clad`` (career ladder) are read as text, so kindergarten ``K``
    and grades ``1``-``3`` share a type.
    """
    return pd.read_csv(verified_path("multilevel/star.csv.gz"),
                       dtype={"gr": str, "clad": str, "birthq": str})


def _threshold(task: str, threshold: Any, scores: pd.Series, by: pd.Series | None
               ) -> tuple[np.ndarray | None, Any]:
    """The classification cut per row (None for a regression) and how it was chosen."""
    check_choice("task", task, _TASKS)
    if task == "regression":
        if threshold != "median":
            raise InvalidInputError(
                "threshold applies to task='classification' only; got "
                f"threshold={threshold!r} with task='regression'"
            )
        return None, None
    if isinstance(threshold, str):
        check_choice("threshold", threshold, ["median"])
        if by is None:
            median = float(scores.median())
            return np.full(len(scores), median), median
        medians = scores.groupby(by).median()
        return by.map(medians).to_numpy(dtype=np.float64), {
            str(k): float(v) for k, v in medians.items()
        }
    if isinstance(threshold, bool) or not isinstance(threshold, Real) or not np.isfinite(threshold):
        raise InvalidInputError(
            f"threshold must be 'median' or a finite number, got {threshold!r}"
        )
    return np.full(len(scores), float(threshold)), float(threshold)


def _target(frame: pd.DataFrame, score: str, task: str, threshold: Any,
            by: pd.Series | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    cut, chosen = _threshold(task, threshold, frame[score], by)
    if cut is None:
        frame["target"] = frame[score].astype(np.float64)
        return frame, {"task": "regression", "target_column": score}
    frame["target"] = (frame[score].to_numpy(dtype=np.float64) > cut).astype(np.int64)
    return frame, {"task": "classification", "target_column": score, "threshold": chosen,
                   "positive_rate": float(frame["target"].mean())}


def load_hsb82(
    *,
    sensitive: str | Sequence[str] = "sex",
    task: str = "regression",
    threshold: float | str = "median",
    clusters: str | None = "school",
    sensitive_as_feature: bool = True,
    standardize: bool = False,
) -> Dataset:
    """Load High School and Beyond 1982: math achievement of 7,185 students in 160 schools.

    Features: ``ses`` (the student's socio-economic status, standardised in the source),
    ``meanses`` (its school mean) and ``sector`` (Public or Catholic), plus sex and
    minority when ``sensitive_as_feature``. The file's ``cses`` (``ses - meanses``, the
    school-centred SES) is left out: it is an exact linear combination of two features.

    Parameters
    ----------
    sensitive : {"sex", "minority"} or list of them, default "sex"
        ``sex``: Female (3,795) / Male (3,390); ``minority``: No (5,211) / Yes (1,974).
        A list gives intersectional groups (``"Female|Yes"``).
    task : {"regression", "classification"}, default "regression"
        ``y`` is ``mAch`` (float, range -2.8 to 25.0) or ``mAch > threshold`` (0/1).
    threshold : "median" or float, default "median"
        Classification cut: ``"median"`` is the median of all 7,185 scores (13.131,
        so the classes are nearly balanced); a number is used as given.
    clusters : {"school"} or None, default "school"
        ``Dataset.clusters``: the 160 schools (``info["cluster_names"]`` their ids).
    sensitive_as_feature : bool, default True
        Keep sex and minority among the features (both are classic HLM predictors).
    standardize : bool, default False
        Standardise ``ses`` and ``meanses``.

    Returns
    -------
    Dataset
        ``info["task"]``, ``info["threshold"]`` (classification) and the provenance.

    Raises
    ------
    InvalidInputError
        An unknown ``sensitive``, ``task`` or ``clusters``, a ``threshold`` that is not a
        finite number or ``"median"``, or a threshold given with ``task="regression"``.
    """
    attributes = choose_attributes(sensitive, HSB82_SENSITIVE)
    check_choice("clusters", clusters, ["school", None])
    raw = read_hsb82_table()
    frame = pd.DataFrame({
        "school": raw["school"],
        "sex": pd.Categorical(raw["sx"], categories=["Female", "Male"]),
        "minority": pd.Categorical(raw["minrty"], categories=["No", "Yes"]),
        "ses": raw["ses"],
        "meanses": raw["meanses"],
        "sector": pd.Categorical(raw["sector"], categories=["Public", "Catholic"]),
        "mAch": raw["mAch"],
    })
    frame, target_info = _target(frame, "mAch", task, threshold)
    drop = ["mAch"]
    if clusters is None:
        drop.append("school")
    return encode_frame(
        frame,
        target="target",
        sensitive=list(attributes),
        sensitive_as_feature=sensitive_as_feature,
        drop=drop,
        name="hsb82",
        standardize=standardize,
        clusters=clusters,
        task=target_info["task"],
        info={
            "source": HSB82_SOURCE,
            "licence": LICENCE,
            "label": HSB82_LABEL,
            "sensitive": list(attributes),
            **target_info,
        },
    )


def _birth_year(birthq: pd.Series) -> pd.Series:
    """``"1980:2"`` -> 1980.25 (year plus the quarter's start); ``NA`` parts -> NaN."""
    parts = birthq.str.split(":", expand=True)
    year = pd.to_numeric(parts[0], errors="coerce")
    quarter = pd.to_numeric(parts[1], errors="coerce")
    return year + (quarter - 1) / 4


def load_star(
    *,
    sensitive: str | Sequence[str] = "sex",
    score: str = "math",
    grade: str = "K",
    task: str = "regression",
    threshold: float | str = "median",
    clusters: str | None = "school",
    sensitive_as_feature: bool = True,
    standardize: bool = False,
) -> Dataset:
    """Load Tennessee STAR: reading or math scores of pupils in 80 schools (grades K-3).

    The file has one row per pupil and grade (26,796 rows, 11,598 pupils). By default
    one grade is loaded (kindergarten), so each pupil appears once and rows are
    independent within a school; ``grade="all"`` stacks the four grades (a pupil then
    appears up to four times and ``grade`` is a feature). Rows missing the score or any
    used column are dropped (count in ``info["rows_dropped_missing"]``).

    Features: class type ``cltype`` (small, regular, regular with aide), the teacher's
    degree ``hdeg``, career-ladder level ``clad``, years of experience ``exp`` and
    ethnicity ``trace``, free-lunch status ``ses`` (F free, N not), school type
    ``schtype`` (inner, suburb, rural, urban) and the birth date ``birth`` (year plus
    quarter, from ``birthq``); sex and ethnicity when ``sensitive_as_feature``. The
    pupil and teacher ids, ``birthy`` (the year of ``birthq``) and ``yrs`` (years in
    the study, equal to the grade here) are not features.

    Parameters
    ----------
    sensitive : {"sex", "ethnicity"} or list of them, default "sex"
        ``sex``: Female / Male. ``ethnicity``: White, Black, Other (see
        :data:`STAR_ETHNICITY`).
    score : {"math", "read"}, default "math"
        The score (``math`` or ``read``, scaled scores).
    grade : {"K", "1", "2", "3", "all"}, default "K"
        The grade(s) loaded.
    task : {"regression", "classification"}, default "regression"
        ``y`` is the score (float) or ``score > threshold`` (0/1).
    threshold : "median" or float, default "median"
        Classification cut. ``"median"``: the median score of the loaded rows, per grade
        (scores rise by about 50 points a grade, so one cut over grades would mostly
        measure the grade); ``info["threshold"]`` maps each grade to its median. A
        number is used for every row.
    clusters : {"school"} or None, default "school"
        ``Dataset.clusters``: the schools (``sch``), 79 or 80 depending on the grade.
    sensitive_as_feature : bool, default True
        Keep sex and ethnicity among the features.
    standardize : bool, default False
        Standardise the numeric features (``exp``, ``birth``).

    Returns
    -------
    Dataset

    Raises
    ------
    InvalidInputError
        An unknown ``sensitive``, ``score``, ``grade``, ``task`` or ``clusters``, or a
        bad ``threshold`` (as for :func:`load_hsb82`).
    """
    attributes = choose_attributes(sensitive, STAR_SENSITIVE)
    check_choice("score", score, ["math", "read"])
    check_choice("grade", grade, [*STAR_GRADES, "all"])
    check_choice("clusters", clusters, ["school", None])
    check_choice("task", task, _TASKS)
    raw = read_star_table()
    if grade != "all":
        raw = raw[raw["gr"] == grade]
    frame = pd.DataFrame({
        "school": raw["sch"],
        "grade": pd.Categorical(raw["gr"], categories=list(STAR_GRADES)),
        "sex": pd.Categorical(raw["sx"].map(_SEX), categories=["Female", "Male"]),
        "ethnicity": pd.Categorical(raw["eth"].map(STAR_ETHNICITY),
                                    categories=["White", "Black", "Other"]),
        "cltype": pd.Categorical(raw["cltype"], categories=["small", "reg", "reg+A"]),
        "hdeg": raw["hdeg"],
        "clad": raw["clad"],
        "exp": raw["exp"],
        "trace": raw["trace"],
        "ses": raw["ses"],
        "schtype": raw["schtype"],
        "birth": _birth_year(raw["birthq"]),
        score: raw[score],
    }).reset_index(drop=True)
    n_read = len(frame)
    frame = frame.dropna().reset_index(drop=True)
    n_dropped = n_read - len(frame)
    frame, target_info = _target(frame, score, task, threshold,
                                 by=frame["grade"].astype(str) if grade == "all" else None)
    drop = [score]
    if grade != "all":
        drop.append("grade")
    if clusters is None:
        drop.append("school")
    return encode_frame(
        frame,
        target="target",
        sensitive=list(attributes),
        sensitive_as_feature=sensitive_as_feature,
        drop=drop,
        name="star",
        standardize=standardize,
        clusters=clusters,
        task=target_info["task"],
        info={
            "source": STAR_SOURCE,
            "licence": LICENCE,
            "label": STAR_LABEL,
            "sensitive": list(attributes),
            "grade": grade,
            "score": score,
            "rows_read": n_read,
            "rows_dropped_missing": n_dropped,
            **target_info,
        },
    )
