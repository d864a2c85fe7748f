"""Where a Kazaguruma installation keeps its flows, selector maps, schedules and logs.

The root is ``KZ_HOME`` when set, else the current folder; paths are pathlib throughout so
non-ASCII folder names (``C:/Users/山田/…``) work on Windows as on Linux.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Project:
    root: Path

    @classmethod
    def discover(cls, start: Path | None = None) -> Project:
        if env := os.environ.get("KZ_HOME"):
            return cls(Path(env).resolve())
        here = (start or Path.cwd()).resolve()
        for candidate in (here, *here.parents):
            if (candidate / "selectors").is_dir() and (candidate / "flows").is_dir():
                return cls(candidate)
        return cls(here)

    @property
    def flows(self) -> Path:
        return self.root / "flows"

    @property
    def selectors(self) -> Path:
        return self.root / "selectors"

    @property
    def schedules(self) -> Path:
        return self.root / "schedules"

    @property
    def logs(self) -> Path:
        return Path(os.environ["KZ_LOGS"]) if os.environ.get("KZ_LOGS") else self.root / "logs"

    def relative(self, path: Path) -> Path:
        """A path as shown to people: relative to the root when inside it."""
        try:
            return path.resolve().relative_to(self.root)
        except ValueError:
            return path
