"""Where the bundled raw files live, and the SHA-256 check every loader passes through.

The raw files are vendored in ``fairpool/datasets/files/`` next to a ``SHA256SUMS``
file (``sha256sum`` format). Nothing is downloaded at run time: a loader asks
:func:`verified_path` for a file, which checks the digest once per process and
raises :class:`~fairpool.errors.DataIntegrityError` naming the file when it is
missing, unlisted or corrupt.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from fairpool.errors import DataIntegrityError

__all__ = ["DATA_FILES_DIR", "data_files_dir", "verified_path"]

#: The folder that holds the vendored raw files and their ``SHA256SUMS``.
DATA_FILES_DIR = Path(__file__).resolve().parent / "files"

_CHECKSUM_FILE = "SHA256SUMS"
_CHUNK = 1 << 20

# Digests already checked in this process, keyed by (absolute path, size, mtime_ns):
# a file replaced or edited after its check is checked again.
_verified: set[tuple[str, int, int]] = set()
_lock = threading.Lock()


def data_files_dir() -> Path:
    """Return the folder the loaders read from (``DATA_FILES_DIR``, patchable in tests)."""
    return Path(DATA_FILES_DIR)


def _expected_digests(root: Path) -> dict[str, str]:
    sums = root / _CHECKSUM_FILE
    if not sums.is_file():
        raise DataIntegrityError(
            f"checksum list {sums} is missing: cannot verify the bundled data files"
        )
    digests: dict[str, str] = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2:
            digest, rel = parts
            digests[rel.lstrip("*")] = digest.lower()
    return digests


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def verified_path(relative: str) -> Path:
    """Return the path of a bundled raw file after checking its SHA-256 digest.

    Parameters
    ----------
    relative : str
        Path of the file relative to the data folder, as written in ``SHA256SUMS``
        (for example ``"adult/adult.data.gz"``).

    Returns
    -------
    pathlib.Path
        Absolute path of the verified file.

    Raises
    ------
    DataIntegrityError
        If the file or the checksum list is missing, the file is not listed in the
        checksum list, or its digest differs from the listed one.
    """
    root = data_files_dir()
    path = root / relative
    if not path.is_file():
        raise DataIntegrityError(
            f"bundled data file {relative!r} is missing (looked for {path}); "
            "reinstall fairpool to restore it"
        )
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _lock:
        if key in _verified:
            return path
    expected = _expected_digests(root).get(relative)
    if expected is None:
        raise DataIntegrityError(
            f"bundled data file {relative!r} is not listed in {root / _CHECKSUM_FILE}"
        )
    actual = _sha256(path)
    if actual != expected:
        raise DataIntegrityError(
            f"bundled data file {relative!r} is corrupt: SHA-256 {actual} "
            f"does not match the expected {expected}"
        )
    with _lock:
        _verified.add(key)
    return path
