"""Shared fixtures of the data tests: the bundled datasets, loaded once per session."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import fairpool as fp
from fairpool.datasets._integrity import DATA_FILES_DIR


@pytest.fixture(scope="session")
def adult() -> fp.datasets.Dataset:
    return fp.datasets.load("adult")


@pytest.fixture(scope="session")
def compas_sex() -> fp.datasets.Dataset:
    return fp.datasets.load("compas", sensitive="sex")


@pytest.fixture(scope="session")
def genomes() -> fp.datasets.Dataset:
    return fp.datasets.load("genomes1000")


@pytest.fixture(scope="session")
def raw_lines():
    """Read a bundled gzip file as text lines, independently of the loaders (a reference)."""

    def read(relative: str) -> list[str]:
        with gzip.open(Path(DATA_FILES_DIR) / relative, "rt", encoding="utf-8") as fh:
            return [line.rstrip("\n") for line in fh]

    return read
