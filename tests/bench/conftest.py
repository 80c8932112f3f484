"""Fixtures of the runner's tests: a fake registry and small configs."""

from __future__ import annotations

import pytest

from fairpool.bench import ExperimentConfig, parse_config

from .fakes import SMALL_CONFIG, fake_registry


@pytest.fixture
def registry():
    """The fake name registry (no heavy modules)."""
    return fake_registry()


@pytest.fixture
def small_config(registry) -> ExperimentConfig:
    """Three strategies × two seeds on a toy dataset: six cells, four rounds each."""
    return parse_config(SMALL_CONFIG, registry=registry)
