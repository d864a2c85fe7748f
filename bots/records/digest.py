"""SHA-256 of an input file: what says two runs worked on the very same input."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of the file's bytes. Raises OSError when it cannot be read."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def files_sha256(paths: tuple[Path, ...]) -> str:
    """One SHA-256 for a set of files (a folder of scans): their names and contents, in order.
    Adding, removing, renaming or changing any file changes it."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(f"{path.name}\0{file_sha256(path)}\n".encode())
    return digest.hexdigest()
