"""One vocabulary for "which disparity": the names every strategy, learner and PANDA use.

Each fairness-aware part of fairpool supports some of these disparities (FAL's expected
fairness: DP, EO, error-rate balance, error-rate parity; Falcon: DP, equal opportunity,
EO; the fairness reduction: DP, error-rate parity, EO; PANDA: DP, EO, error-rate
balance). They all name and check them here, so one word means one quantity everywhere
and a misspelt name gets the same message wherever it is given.

- ``demographic_parity``: the selection rate ``P(h = 1 | g)``
  (:func:`~fairpool.metrics.demographic_parity_difference`);
- ``equalized_odds``: TPR and FPR, the larger of the two gaps
  (:func:`~fairpool.metrics.equalized_odds_difference`);
- ``equal_opportunity``: the TPR ``P(h = 1 | g, y = 1)``
  (:func:`~fairpool.metrics.equal_opportunity_difference`);
- ``error_rate_balance``: PANDA's Table 1 Δ^EB, ``P(h = 1 | g, y)`` for each label y
  compared between pairs of groups (equal FPR and FNR, after Chouldechova;
  :func:`~fairpool.metrics.error_rate_balance`);
- ``error_rate_parity``: the misclassification rate ``P(h != y | g)`` of fairlearn's
  ``ErrorRateParity``, alias ``error_rate`` (:func:`~fairpool.metrics.error_rate_difference`).

Which reference a gap uses (``between_groups``: the largest pairwise gap;
``to_overall``: each group against the rate over all rows) is the metric functions'
``method=``; PANDA's DP and EO are ``to_overall`` and its EB ``between_groups``.

Nothing here computes; the computations are in :mod:`fairpool.metrics` (and their
batched and torch forms). Hand-written: it is a table and a check.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from fairpool.errors import InvalidInputError

__all__ = ["DISPARITY_NAMES", "DISPARITY_ALIASES", "DisparityName", "check_disparity_name"]

DisparityName = Literal[
    "demographic_parity",
    "equalized_odds",
    "equal_opportunity",
    "error_rate_balance",
    "error_rate_parity",
]

#: Every disparity name fairpool knows, in the order of the table above.
DISPARITY_NAMES: tuple[str, ...] = (
    "demographic_parity",
    "equalized_odds",
    "equal_opportunity",
    "error_rate_balance",
    "error_rate_parity",
)

#: Other spellings accepted on input and what they mean (kept for fairlearn users and
#: for configurations written before the vocabulary was unified).
DISPARITY_ALIASES: dict[str, str] = {"error_rate": "error_rate_parity"}


def check_disparity_name(
    name: object,
    supported: Iterable[str] = DISPARITY_NAMES,
    *,
    argument: str = "fairness",
    canonical: bool = False,
) -> str:
    """Check that ``name`` is a disparity the caller supports; return it.

    Parameters
    ----------
    name : str
        A name from :data:`DISPARITY_NAMES` (or an alias in :data:`DISPARITY_ALIASES`).
    supported : iterable of str, default all names
        The names the caller implements (aliases of them are accepted too).
    argument : str, default "fairness"
        The caller's parameter name, for the message.
    canonical : bool, default False
        Return the canonical name of an alias instead of ``name`` as given.

    Returns
    -------
    str

    Raises
    ------
    InvalidInputError
        ``name`` is not a string naming one of ``supported``; the message lists them.
    """
    allowed = tuple(supported)
    unknown = [n for n in allowed if n not in DISPARITY_NAMES]
    if unknown:  # a programming error in fairpool, not a user's
        raise ValueError(f"not in the disparity vocabulary: {unknown}")
    resolved = DISPARITY_ALIASES.get(name, name) if isinstance(name, str) else None
    if resolved not in allowed:
        accepted = list(allowed) + [a for a, n in DISPARITY_ALIASES.items() if n in allowed]
        raise InvalidInputError(
            f"{argument} must be one of {', '.join(map(repr, accepted))}, got {name!r}"
        )
    return resolved if canonical else name  # type: ignore[return-value]
