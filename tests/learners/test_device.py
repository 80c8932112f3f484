"""Device selection for the torch learners."""

from __future__ import annotations

import pytest
import torch

from fairpool.errors import InvalidInputError
from fairpool.learners import TorchLinearClassifier, select_device


def test_auto_picks_cuda_when_available_else_cpu():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert select_device("auto").type == expected


def test_explicit_devices_pass_through():
    assert select_device("cpu") == torch.device("cpu")
    assert select_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA present")
def test_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="CUDA"):
        select_device("cuda")


def test_unknown_device_string():
    with pytest.raises(InvalidInputError, match="device"):
        select_device("quantum")


def test_model_trains_on_the_auto_device():
    X = torch.randn(60, 3, generator=torch.Generator().manual_seed(0)).numpy()
    y = (X[:, 0] > 0).astype(int)
    clf = TorchLinearClassifier().fit(X, y)
    assert clf.device_ == select_device("auto")
    assert next(clf.network_.parameters()).device.type == clf.device_.type
