"""UCI Adult (Census Income, 1994): will a person earn more than $50K a year?"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fairpool.datasets._dataset import Dataset
from fairpool.datasets._encoding import encode_frame
from fairpool.datasets._integrity import verified_path
from fairpool.datasets._options import check_choice, choose_attributes

__all__ = ["AGE_BUCKETS", "CLUSTER_COLUMNS", "SENSITIVE_ATTRIBUTES", "load_adult"]

SOURCE = (
    "UCI Machine Learning Repository, Adult (Census Income), Becker & Kohavi 1996; "
    "adult.data + adult.test"
)
LICENCE = "CC BY 4.0"
LABEL = "income >50K (1) vs <=50K (0)"
SENSITIVE_ATTRIBUTES = ("sex", "race", "age", "marital_status")
#: Columns ``clusters=`` may name: occupation, the Fair MEDL paper's clusters (Wang,
#: Nguyen & Montillo, arXiv 2310.03146).
CLUSTER_COLUMNS = ("occupation",)

#: Age groups used when ``sensitive`` includes ``"age"``: (label, lowest age, highest age).
AGE_BUCKETS = (("<25", 0, 24), ("25-44", 25, 44), ("45-64", 45, 64), ("65+", 65, 200))

_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]
_NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]


def _read(relative: str, *, skip_first_line: bool) -> pd.DataFrame:
    # keep_default_na=False: the file writes missing values as '?', which stays a
    # category of its own instead of becoming NaN.
    frame = pd.read_csv(
        verified_path(relative),
        header=None,
        names=_COLUMNS,
        skiprows=1 if skip_first_line else 0,
        skipinitialspace=True,
        keep_default_na=False,
        na_values=[],
        dtype={c: np.int64 for c in _NUMERIC},
    )
    return frame


def read_adult_table() -> pd.DataFrame:
    """Read adult.data and adult.test (48,842 rows) as one raw table.

    The test file's first line is a comment and its labels end with ``'.'``;
    both are cleaned so the two files share one label vocabulary.
    """
    train = _read("adult/adult.data.gz", skip_first_line=False)
    test = _read("adult/adult.test.gz", skip_first_line=True)
    frame = pd.concat([train, test], ignore_index=True)
    frame["income"] = frame["income"].str.rstrip(".")
    return frame


def age_groups(age: pd.Series) -> pd.Series:
    """Bucket ages into :data:`AGE_BUCKETS` as an ordered categorical."""
    labels = [label for label, _, _ in AGE_BUCKETS]
    edges = [-np.inf] + [high + 0.5 for _, _, high in AGE_BUCKETS[:-1]] + [np.inf]
    return pd.cut(age, bins=edges, labels=labels, ordered=True)


def load_adult(
    *,
    sensitive: str | Sequence[str] = "sex",
    sensitive_as_feature: bool = True,
    standardize: bool = False,
    clusters: str | None = None,
) -> Dataset:
    """Load UCI Adult: 48,842 people, label income >50K.

    Parameters
    ----------
    sensitive : {"sex", "race", "age", "marital_status"} or list of them, default "sex"
        The sensitive attribute; a list gives intersectional groups (``"Female|Black"``).
        ``"race"`` keeps the file's five categories. ``"age"`` uses the buckets
        ``<25, 25-44, 45-64, 65+``. ``"marital_status"`` keeps the file's seven
        categories (``Married-civ-spouse``, ``Never-married``, ``Divorced``, ...).
    sensitive_as_feature : bool, default True
        Keep the sensitive columns among the features, as the usual Adult setups
        do (for ``"age"`` the feature is the numeric age).
    standardize : bool, default False
        Standardise the numeric columns (age, fnlwgt, education_num,
        capital_gain, capital_loss, hours_per_week).
    clusters : {"occupation"} or None, default None
        ``"occupation"``: ``Dataset.clusters`` holds the 15 occupations (the 14 of the
        file and ``'?'``, missing, as its own cluster, 2,809 rows), names in
        ``info["cluster_names"]``; occupation is then not a feature. This is the
        Fair MEDL paper's set-up (occupation clusters; sensitive age, race, sex,
        marital status).

    Returns
    -------
    Dataset
        108 features with the default options: 6 numeric columns and one-hot
        categoricals, where a missing value (``'?'`` in the file) is its own category.
        With ``clusters="occupation"``, 93 (the 15 occupation columns leave).

    Raises
    ------
    InvalidInputError
        An unknown ``sensitive`` attribute or ``clusters`` column.
    """
    attributes = choose_attributes(sensitive, SENSITIVE_ATTRIBUTES)
    check_choice("clusters", clusters, [*CLUSTER_COLUMNS, None])
    frame = read_adult_table()
    group_cols = []
    sources: dict[str, list[str]] = {}
    for attribute in attributes:
        if attribute == "age":
            frame["age_group"] = age_groups(frame["age"])
            group_cols.append("age_group")
            sources["age_group"] = ["age"]
        else:
            frame[attribute] = pd.Categorical(frame[attribute])
            group_cols.append(attribute)
    return encode_frame(
        frame,
        target="income",
        sensitive=group_cols,
        sensitive_as_feature=sensitive_as_feature,
        name="adult",
        positive=">50K",
        standardize=standardize,
        sensitive_sources=sources,
        clusters=clusters,
        info={
            "source": SOURCE,
            "licence": LICENCE,
            "label": LABEL,
            "task": "classification",
            "sensitive": list(attributes),
            "missing_value_category": "?",
            "age_buckets": [label for label, _, _ in AGE_BUCKETS],
        },
    )
