"""Who authored a change of a flow: from git where the project is a repository, else as declared.

A second person must approve a change; to know who the *first* person was, the commits that
touched any file of the version since it was last approved are read with ``git log`` (no
network, the local repository only). Uncommitted edits cannot be attributed by git: the author
must then be named (``flows approve --author``), never guessed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bots.flow.fingerprint import ManifestEntry

#: ``git`` must answer within this; a hung repository (network drive) is treated as no git.
GIT_TIMEOUT_S = 10.0
#: How many commits back the authors are read (a change is a handful of commits).
MAX_COMMITS = 200


@dataclass(frozen=True)
class ChangeAuthors:
    """E-mail addresses of the commits that changed the version, and whether some edits are
    not committed (their author is unknown to git)."""

    emails: tuple[str, ...]
    uncommitted: bool
    #: False when the project is not a git repository (or git is missing): authors must be named.
    from_git: bool


def _git(root: Path, *args: str) -> str | None:
    exe = shutil.which("git")
    if exe is None:
        return None
    try:
        done = subprocess.run([exe, "-C", str(root), *args], capture_output=True, text=True, encoding="utf-8",
                              errors="replace", timeout=GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def change_authors(root: Path, files: tuple[ManifestEntry, ...], since: dt.datetime | None) -> ChangeAuthors:
    """The authors of the commits touching ``files`` after ``since`` (all history when never approved)."""
    if _git(root, "rev-parse", "--is-inside-work-tree") is None:
        return ChangeAuthors((), False, False)
    paths = [f.path for f in files if not Path(f.path).is_absolute()]
    status = _git(root, "status", "--porcelain", "--", *paths)
    uncommitted = bool(status and status.strip())
    args = ["log", f"-n{MAX_COMMITS}", "--format=%ae"]
    if since is not None:
        args.append(f"--since={since.isoformat()}")
    log = _git(root, *args, "--", *paths) or ""
    emails = tuple(dict.fromkeys(line.strip().lower() for line in log.splitlines() if line.strip()))
    return ChangeAuthors(emails, uncommitted, True)
