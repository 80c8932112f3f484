"""Gradient reversal (Ganin & Lempitsky 2015) and the ramp of its strength.

Shared by the models that train against an adversary: the adversarial debiasing of
:mod:`fairpool.mitigation` and the cluster and fairness adversaries of the mixed-effects
models (:class:`~fairpool.learners.MEDLClassifier`). Hand-written: a four-line
``torch.autograd.Function``; torch ships none.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from fairpool.errors import InvalidInputError

__all__ = ["GradientReversal", "REVERSAL_SCHEDULES", "reversal_weight"]

REVERSAL_SCHEDULES = ("constant", "linear", "dann")


class GradientReversal(torch.autograd.Function):
    """Identity forward; the incoming gradient times ``-strength`` backward.

    Ganin & Lempitsky (2015), section 3, equations (13)-(14).

    Examples
    --------
    >>> import torch
    >>> x = torch.ones(2, requires_grad=True)
    >>> GradientReversal.apply(x, 0.5).sum().backward()
    >>> x.grad.tolist()
    [-0.5, -0.5]
    """

    @staticmethod
    def forward(ctx: Any, inputs: torch.Tensor, strength: float) -> torch.Tensor:
        """Pass ``inputs`` through unchanged, remembering ``strength``."""
        ctx.strength = strength
        return inputs.view_as(inputs)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        """Reverse and scale the gradient; ``strength`` gets none."""
        return -ctx.strength * grad, None


def reversal_weight(schedule: str, progress: float) -> float:
    """The ramp of the reversal strength, in ``[0, 1]``, at a training ``progress``.

    Parameters
    ----------
    schedule : {"constant", "linear", "dann"}
        ``"constant"``: 1; ``"linear"``: ``progress``; ``"dann"``:
        ``2 / (1 + exp(-10 p)) - 1`` (Ganin & Lempitsky 2015, section 5.2.2).
    progress : float
        The fraction of training steps done, in ``[0, 1]``.

    Returns
    -------
    float

    Raises
    ------
    InvalidInputError
        An unknown schedule.

    Examples
    --------
    >>> round(reversal_weight("dann", 0.5), 4)
    0.9866
    """
    if schedule == "constant":
        return 1.0
    if schedule == "linear":
        return float(progress)
    if schedule == "dann":
        return 2.0 / (1.0 + math.exp(-10.0 * progress)) - 1.0
    raise InvalidInputError(f"schedule must be one of {list(REVERSAL_SCHEDULES)}, got {schedule!r}")
