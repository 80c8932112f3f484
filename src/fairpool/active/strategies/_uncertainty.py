"""Uncertainty sampling: label the pool rows the current model is least sure about.

Each score is computed for the whole pool at once from ``state.pool_proba`` (the
model's class probabilities, computed once per round and shared with other
strategies); the ``k`` highest scores win, ties broken at random by
:func:`~fairpool.active.top_k`. The score functions are public because
fair strategies reuse them as their informativeness term (FAL's entropy,
FACA-GEN's ``I(x)``).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import numpy as np
from scipy.special import entr

from fairpool.active._registry import register_strategy
from fairpool.active._state import QueryState
from fairpool.active._strategy import Strategy, check_query_size, top_k

__all__ = [
    "entropy_score",
    "margin_score",
    "least_confidence_score",
    "EntropySampling",
    "MarginSampling",
    "LeastConfidentSampling",
]


def entropy_score(proba: np.ndarray) -> np.ndarray:
    """Shannon entropy (nats) of each row of class probabilities.

    Parameters
    ----------
    proba : ndarray of shape (n, n_classes)

    Returns
    -------
    ndarray of shape (n,)
        ``-sum_c p_c log p_c``, with ``0 log 0 = 0``.
    """
    return entr(np.asarray(proba, dtype=np.float64)).sum(axis=1)


def margin_score(proba: np.ndarray) -> np.ndarray:
    """Negative gap between the two most probable classes (higher = less sure).

    Parameters
    ----------
    proba : ndarray of shape (n, n_classes)

    Returns
    -------
    ndarray of shape (n,)
        ``-(p_(1) - p_(2))``, in ``[-1, 0]``.
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.shape[1] == 2:
        return -np.abs(proba[:, 1] - proba[:, 0])
    top_two = np.partition(proba, proba.shape[1] - 2, axis=1)[:, -2:]
    return -(top_two[:, 1] - top_two[:, 0])


def least_confidence_score(proba: np.ndarray) -> np.ndarray:
    """One minus the probability of the most probable class.

    Parameters
    ----------
    proba : ndarray of shape (n, n_classes)

    Returns
    -------
    ndarray of shape (n,)
    """
    return 1.0 - np.asarray(proba, dtype=np.float64).max(axis=1)


class _UncertaintySampling(Strategy):
    """Top-``k`` pool rows by an uncertainty score of the current model."""

    @staticmethod
    @abstractmethod
    def _score(proba: np.ndarray) -> np.ndarray:
        """Uncertainty of each pool row from its class probabilities."""

    def select(self, state: QueryState, k: int, rng: np.random.Generator) -> np.ndarray:
        """Positions of the ``k`` most uncertain pool rows (ties broken by ``rng``)."""
        k = check_query_size(k, len(state.pool))
        scores = self._score(state.pool_proba)
        picks = top_k(scores, k, rng)
        self.last_scores = scores[picks]
        return picks


@register_strategy("entropy")
class EntropySampling(_UncertaintySampling):
    """Pick the pool rows whose predicted class distribution has the highest entropy."""

    name: ClassVar[str] = "entropy"
    _score = staticmethod(entropy_score)


@register_strategy("margin")
class MarginSampling(_UncertaintySampling):
    """Pick the pool rows with the smallest gap between the two most probable classes."""

    name: ClassVar[str] = "margin"
    _score = staticmethod(margin_score)


@register_strategy("least_confident")
class LeastConfidentSampling(_UncertaintySampling):
    """Pick the pool rows whose most probable class has the lowest probability."""

    name: ClassVar[str] = "least_confident"
    _score = staticmethod(least_confidence_score)
