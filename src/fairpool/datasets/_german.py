"""Statlog German Credit: is an applicant a good or a bad credit risk?"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from fairpool.datasets._dataset import Dataset
from fairpool.datasets._encoding import encode_frame
from fairpool.datasets._integrity import verified_path
from fairpool.datasets._options import choose_attributes

__all__ = ["CODEBOOK", "FEMALE_CODES", "SENSITIVE_ATTRIBUTES", "load_german"]

SOURCE = "UCI Machine Learning Repository, Statlog (German Credit Data), Hofmann 1994"
LICENCE = "CC BY 4.0"
LABEL = "credit risk good (1) vs bad (0); raw codes 1 = good, 2 = bad"
SENSITIVE_ATTRIBUTES = ("age", "sex")
#: Age threshold: the groups are ``age <= 25`` and ``age > 25``.
AGE_THRESHOLD = 25
#: Personal-status codes of women (german.doc: A92 female divorced/separated/married,
#: A95 female single); A91, A93 and A94 are men.
FEMALE_CODES = ("A92", "A95")

# (column name, codebook or None for a numeric column), in file order (german.doc).
CODEBOOK: tuple[tuple[str, dict[str, str] | None], ...] = (
    ("checking_status", {
        "A11": "< 0 DM", "A12": "0 <= ... < 200 DM",
        "A13": ">= 200 DM or salary assignment >= 1 year", "A14": "no checking account",
    }),
    ("duration_months", None),
    ("credit_history", {
        "A30": "no credits taken or all paid back duly",
        "A31": "all credits at this bank paid back duly",
        "A32": "existing credits paid back duly till now",
        "A33": "delay in paying off in the past",
        "A34": "critical account or other credits existing elsewhere",
    }),
    ("purpose", {
        "A40": "car (new)", "A41": "car (used)", "A42": "furniture/equipment",
        "A43": "radio/television", "A44": "domestic appliances", "A45": "repairs",
        "A46": "education", "A47": "vacation", "A48": "retraining", "A49": "business",
        "A410": "others",
    }),
    ("credit_amount", None),
    ("savings", {
        "A61": "< 100 DM", "A62": "100 <= ... < 500 DM", "A63": "500 <= ... < 1000 DM",
        "A64": ">= 1000 DM", "A65": "unknown or no savings account",
    }),
    ("employment_since", {
        "A71": "unemployed", "A72": "< 1 year", "A73": "1 <= ... < 4 years",
        "A74": "4 <= ... < 7 years", "A75": ">= 7 years",
    }),
    ("installment_rate", None),
    ("personal_status", {
        "A91": "male divorced/separated", "A92": "female divorced/separated/married",
        "A93": "male single", "A94": "male married/widowed", "A95": "female single",
    }),
    ("other_debtors", {"A101": "none", "A102": "co-applicant", "A103": "guarantor"}),
    ("residence_since", None),
    ("property", {
        "A121": "real estate", "A122": "building society savings or life insurance",
        "A123": "car or other", "A124": "unknown or no property",
    }),
    ("age", None),
    ("other_installment_plans", {"A141": "bank", "A142": "stores", "A143": "none"}),
    ("housing", {"A151": "rent", "A152": "own", "A153": "for free"}),
    ("existing_credits", None),
    ("job", {
        "A171": "unemployed or unskilled non-resident", "A172": "unskilled resident",
        "A173": "skilled employee or official",
        "A174": "management, self-employed or highly qualified",
    }),
    ("num_dependents", None),
    ("telephone", {"A191": "none", "A192": "yes, registered"}),
    ("foreign_worker", {"A201": "yes", "A202": "no"}),
)


def read_german_table() -> pd.DataFrame:
    """Read german.data (1,000 rows) with readable column names and values.

    Each coded attribute becomes a categorical whose categories follow the
    codebook order; ``credit`` holds the label as 1 (good) / 0 (bad).
    """
    names = [name for name, _ in CODEBOOK] + ["credit_raw"]
    raw = pd.read_csv(
        verified_path("german/german.data.gz"), sep=" ", header=None, names=names, dtype=str
    )
    frame = pd.DataFrame(index=raw.index)
    for name, codes in CODEBOOK:
        if codes is None:
            frame[name] = raw[name].astype("int64")
        else:
            frame[name] = pd.Categorical(
                raw[name].map(codes), categories=list(codes.values()), ordered=True
            )
    frame["sex"] = pd.Categorical(
        raw["personal_status"].isin(FEMALE_CODES).map({True: "female", False: "male"}),
        categories=["female", "male"],
    )
    young, older = f"<={AGE_THRESHOLD}", f">{AGE_THRESHOLD}"
    frame["age_group"] = pd.Categorical(
        (frame["age"] > AGE_THRESHOLD).map({True: older, False: young}),
        categories=[young, older],
        ordered=True,
    )
    frame["credit"] = (raw["credit_raw"].astype("int64") == 1).astype("int64")
    return frame


def load_german(
    *,
    sensitive: str | Sequence[str] = "age",
    sensitive_as_feature: bool = True,
    standardize: bool = False,
) -> Dataset:
    """Load Statlog German Credit: 1,000 applicants, label good (1) / bad (0) credit.

    Parameters
    ----------
    sensitive : {"age", "sex"} or list of them, default "age"
        ``"age"``: groups ``<=25`` and ``>25``. ``"sex"``: from the personal-status
        code (A92 and A95 are women, A91, A93 and A94 men). A list gives
        intersectional groups.
    sensitive_as_feature : bool, default True
        Keep the columns that carry the sensitive attribute among the features:
        the numeric ``age`` for ``"age"``, the one-hot ``personal_status`` for
        ``"sex"`` (the code mixes sex with marital status, so it cannot be kept
        without revealing sex).
    standardize : bool, default False
        Standardise the seven numeric columns.

    Returns
    -------
    Dataset
        61 features with the default options: 7 numeric columns and the 13 coded
        attributes one-hot encoded with readable names
        (``"checking_status=< 0 DM"``).
    """
    attributes = choose_attributes(sensitive, SENSITIVE_ATTRIBUTES)
    frame = read_german_table()
    group_cols = ["age_group" if a == "age" else "sex" for a in attributes]
    sources = {"age_group": ["age"], "sex": ["personal_status"]}
    return encode_frame(
        frame,
        target="credit",
        sensitive=group_cols,
        sensitive_as_feature=sensitive_as_feature,
        drop=[c for c in ("age_group", "sex") if c not in group_cols],
        name="german",
        positive=1,
        standardize=standardize,
        sensitive_sources={c: sources[c] for c in group_cols},
        info={
            "source": SOURCE,
            "licence": LICENCE,
            "label": LABEL,
            "task": "classification",
            "sensitive": list(attributes),
            "age_threshold": AGE_THRESHOLD,
            "female_codes": list(FEMALE_CODES),
        },
    )
