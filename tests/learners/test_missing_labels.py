"""fairpool's estimators refuse a missing label in a plain list instead of learning the
class 'nan' (issue 11, fault 1, in the learners)."""

from __future__ import annotations

import numpy as np
import pytest

import fairpool as fp
from fairpool.errors import MissingValueError

X = np.random.default_rng(0).normal(size=(6, 2))


@pytest.mark.parametrize("missing", [float("nan"), None], ids=repr)
@pytest.mark.parametrize("build", [
    lambda: fp.learners.TorchLinearClassifier(device="cpu", max_iter=5),
    lambda: fp.learners.TorchMLPClassifier(device="cpu", max_iter=5, hidden_layer_sizes=(4,)),
], ids=["linear", "mlp"])
def test_a_missing_string_label_is_refused_with_its_position(build, missing):
    y = ["yes", "no", "yes", "no", missing, "no"]
    with pytest.raises(MissingValueError, match="y has a missing value .*position 4"):
        build().fit(X, y)
