"""ProPublica COMPAS: will a defendant be re-arrested within two years?"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pandas as pd

from fairpool.datasets._dataset import Dataset
from fairpool.datasets._encoding import encode_frame
from fairpool.datasets._integrity import verified_path
from fairpool.datasets._options import check_choice, choose_attributes

__all__ = ["SENSITIVE_ATTRIBUTES", "TWO_RACES", "load_compas", "propublica_filter"]

SOURCE = (
    "ProPublica, 'How We Analyzed the COMPAS Recidivism Algorithm' (2016), "
    "compas-scores-two-years.csv"
)
LICENCE = "published openly by ProPublica with their analysis"
LABEL = "two_year_recid: re-arrested within two years (1) vs not (0)"
SENSITIVE_ATTRIBUTES = ("race", "sex")
#: The two races ProPublica's analysis compares.
TWO_RACES = ("African-American", "Caucasian")

_FEATURES = [
    "age",
    "age_cat",
    "sex",
    "race",
    "juv_fel_count",
    "juv_misd_count",
    "juv_other_count",
    "priors_count",
    "c_charge_degree",
    "length_of_stay",
]
_SCORES = ["decile_score", "score_text"]


def propublica_filter(raw: pd.DataFrame) -> pd.DataFrame:
    """Apply ProPublica's row filter (6,172 of the 7,214 rows remain).

    Keeps rows whose COMPAS screening was within 30 days of the arrest
    (``-30 <= days_b_screening_arrest <= 30``), with a known recidivism outcome
    (``is_recid != -1``), not an ordinary traffic offence
    (``c_charge_degree != 'O'``) and with a score (``score_text != 'N/A'``).
    """
    days = raw["days_b_screening_arrest"]
    keep = (
        days.between(-30, 30)
        & (raw["is_recid"] != -1)
        & (raw["c_charge_degree"] != "O")
        & raw["score_text"].notna()
        & (raw["score_text"] != "N/A")
    )
    return raw.loc[keep].reset_index(drop=True)


def read_compas_table() -> pd.DataFrame:
    """Read the raw COMPAS file (7,214 rows), ProPublica's filter not yet applied."""
    # The file repeats two column names (decile_score, priors_count) with equal values;
    # pandas suffixes the copies with ".1" and we use the first ones.
    return pd.read_csv(verified_path("compas/compas-scores-two-years.csv.gz"))


def load_compas(
    *,
    sensitive: str | Sequence[str] = "race",
    races: Literal["two", "all"] | None = None,
    include_scores: bool = False,
    sensitive_as_feature: bool = True,
    standardize: bool = False,
) -> Dataset:
    """Load ProPublica's COMPAS data after their filter; label ``two_year_recid``.

    Parameters
    ----------
    sensitive : {"race", "sex"} or list of them, default "race"
        The sensitive attribute; a list gives intersectional groups.
    races : {"two", "all"}, optional
        ``"two"`` keeps only African-American and Caucasian defendants (5,278 rows),
        as ProPublica's race analysis does; ``"all"`` keeps all six races
        (6,172 rows). Default: ``"two"`` when ``"race"`` is sensitive, else ``"all"``.
    include_scores : bool, default False
        Add COMPAS's own ``decile_score`` and ``score_text`` as features. Off by
        default: they are the output of the tool under study, not facts about the
        defendant, and a model given them learns to copy COMPAS.
    sensitive_as_feature : bool, default True
        Keep the sensitive columns (``race``, ``sex``) among the features.
    standardize : bool, default False
        Standardise the numeric features.

    Returns
    -------
    Dataset
        Features: age, age_cat, sex, race, priors_count, juv_fel_count,
        juv_misd_count, juv_other_count, c_charge_degree and length_of_stay (whole
        days from c_jail_in to c_jail_out), categoricals one-hot encoded.
    """
    attributes = choose_attributes(sensitive, SENSITIVE_ATTRIBUTES)
    if races is None:
        races = "two" if "race" in attributes else "all"
    check_choice("races", races, ("two", "all"))
    frame = propublica_filter(read_compas_table())
    if races == "two":
        frame = frame.loc[frame["race"].isin(TWO_RACES)].reset_index(drop=True)
    jail_in = pd.to_datetime(frame["c_jail_in"]).dt.normalize()
    jail_out = pd.to_datetime(frame["c_jail_out"]).dt.normalize()
    frame["length_of_stay"] = (jail_out - jail_in).dt.days.astype("int64")
    frame["age_cat"] = pd.Categorical(
        frame["age_cat"], categories=["Less than 25", "25 - 45", "Greater than 45"], ordered=True
    )
    columns = list(_FEATURES)
    if include_scores:
        frame["score_text"] = pd.Categorical(
            frame["score_text"], categories=["Low", "Medium", "High"], ordered=True
        )
        columns += _SCORES
    frame = frame[columns + ["two_year_recid"]]
    return encode_frame(
        frame,
        target="two_year_recid",
        sensitive=list(attributes),
        sensitive_as_feature=sensitive_as_feature,
        name="compas",
        standardize=standardize,
        info={
            "source": SOURCE,
            "licence": LICENCE,
            "label": LABEL,
            "task": "classification",
            "races": races,
            "include_scores": include_scores,
            "filter": (
                "-30 <= days_b_screening_arrest <= 30, is_recid != -1, "
                "c_charge_degree != 'O', score_text != 'N/A'"
            ),
        },
    )
