"""ActiveLearner refuses missing labels and groups in fit, query and teach (issue 11, fault 1)."""

from __future__ import annotations

import numpy as np
import pytest

import fairpool as fp
from fairpool.errors import MissingValueError

RNG = np.random.default_rng(0)
X = RNG.normal(size=(12, 3))
Y = ["yes", "no"] * 6
G = ["a", "a", "b", "b"] * 3


def _fitted() -> fp.active.ActiveLearner:
    return fp.active.ActiveLearner("random", "logreg", seed=0).fit(X, Y, G)


@pytest.mark.parametrize("missing", [float("nan"), None], ids=repr)
def test_fit_refuses_a_missing_group_or_label_instead_of_inventing_a_class(missing):
    groups = list(G)
    groups[7] = missing
    with pytest.raises(MissingValueError, match="groups .*position 7"):
        fp.active.ActiveLearner("random", "logreg", seed=0).fit(X, Y, groups)
    labels = list(Y)
    labels[5] = missing
    with pytest.raises(MissingValueError, match="y .*position 5"):
        fp.active.ActiveLearner("random", "logreg", seed=0).fit(X, labels, G)


def test_query_and_teach_refuse_missing_values():
    al = _fitted()
    with pytest.raises(MissingValueError, match="position 1"):
        al.query(X[:3], ["a", float("nan"), "b"], 1)
    picks = al.query(X[:3], ["a", "b", "b"], 2)
    with pytest.raises(MissingValueError, match="position 0"):
        al.teach(picks, [float("nan"), "yes"])
    assert len(al.labelled_) == 12  # nothing was added by the refused teach
