"""SHA-256 verification of the bundled raw files."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

import fairpool as fp
from fairpool.datasets import _integrity as integrity  # exercises the checksum internals
from fairpool.datasets._german import load_german
from fairpool.errors import DataIntegrityError


@pytest.fixture
def files_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the data folder that the loaders read instead of the real one."""
    target = tmp_path / "files"
    shutil.copytree(integrity.DATA_FILES_DIR, target)
    monkeypatch.setattr(integrity, "DATA_FILES_DIR", target)
    return target


def test_every_listed_file_matches_its_digest() -> None:
    sums = (integrity.DATA_FILES_DIR / "SHA256SUMS").read_text().split("\n")
    listed = [line.split() for line in sums if line.strip()]
    assert len(listed) == 11
    for digest, relative in listed:
        path = integrity.verified_path(relative)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_corrupt_copy_raises_naming_the_file(files_copy: Path) -> None:
    path = files_copy / "german" / "german.data.gz"
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DataIntegrityError, match=r"german/german\.data\.gz.*corrupt"):
        fp.datasets.load("german")


def test_intact_copy_loads_the_same_data(files_copy: Path) -> None:
    from_copy = fp.datasets.load("german")
    monkey_dir = integrity.data_files_dir()
    assert monkey_dir == files_copy
    original = load_german()  # the loader itself, reading the copy too
    np.testing.assert_array_equal(from_copy.X, original.X)


def test_missing_file_raises_naming_the_file(files_copy: Path) -> None:
    (files_copy / "compas" / "compas-scores-two-years.csv.gz").unlink()
    with pytest.raises(DataIntegrityError, match="compas-scores-two-years.csv.gz.*missing"):
        fp.datasets.load("compas")


def test_missing_checksum_list_raises(files_copy: Path) -> None:
    (files_copy / "SHA256SUMS").unlink()
    with pytest.raises(DataIntegrityError, match="SHA256SUMS"):
        integrity.verified_path("german/german.data.gz")


def test_unlisted_file_raises(files_copy: Path) -> None:
    (files_copy / "extra.txt").write_text("not listed")
    with pytest.raises(DataIntegrityError, match="extra.txt.*not listed"):
        integrity.verified_path("extra.txt")


def test_verification_is_cached_per_process(
    files_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = integrity._sha256
    monkeypatch.setattr(integrity, "_sha256", lambda p: calls.append(p) or real(p))
    integrity.verified_path("german/german.data.gz")
    integrity.verified_path("german/german.data.gz")
    assert len(calls) == 1
    # An edited file (new size / mtime) is checked again, and fails.
    path = files_copy / "german" / "german.data.gz"
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(DataIntegrityError):
        integrity.verified_path("german/german.data.gz")
    assert len(calls) == 2
