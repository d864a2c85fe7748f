"""Where a Kazaguruma installation keeps its flows, selector maps, schedules and logs.

The root is ``KZ_HOME`` when set, else the nearest folder from the current one upwards that holds
``flows/`` and ``selectors/`` (see :meth:`Project.discover`); paths are pathlib throughout so
non-ASCII folder names (``C:/Users/山田/…``) work on Windows as on Linux.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Project:
    """An installation's root folder and the standard places under it; every path is derived from here."""

    root: Path

    @classmethod
    def discover(cls, start: Path | None = None) -> Project:
        """``KZ_HOME`` if set, else the nearest folder from ``start`` (the current one) upwards that
        holds ``flows/`` and ``selectors/``, so commands work from a sub-folder; else ``start``."""
        if env := os.environ.get("KZ_HOME"):
            return cls(Path(env).resolve())
        here = (start or Path.cwd()).resolve()
        for candidate in (here, *here.parents):
            if (candidate / "selectors").is_dir() and (candidate / "flows").is_dir():
                return cls(candidate)
        return cls(here)

    @property
    def flows(self) -> Path:
        """Where the flow files live."""
        return self.root / "flows"

    @property
    def selectors(self) -> Path:
        """Where the selector maps and form templates live."""
        return self.root / "selectors"

    @property
    def schedules(self) -> Path:
        """Where the schedule files live (one job per file)."""
        return self.root / "schedules"

    @property
    def logs(self) -> Path:
        """Where runs, the run store and the ledgers go: ``KZ_LOGS`` if set (e.g. another disk)."""
        return Path(os.environ["KZ_LOGS"]) if os.environ.get("KZ_LOGS") else self.root / "logs"

    @property
    def config_file(self) -> Path:
        """The installation's settings (``kazaguruma.yaml``): e.g. the shared-drive folders flows may
        read and write besides the project (``paths: {roots: […]}``, checked by ``bots.flow.paths``)."""
        return self.root / "kazaguruma.yaml"

    def base_roots(self) -> tuple[Path, ...]:
        """Folders every flow may use without configuration: the project and where its runs go."""
        return self.root.resolve(), self.logs.resolve()

    def relative(self, path: Path) -> Path:
        """A path as shown to people: relative to the root when inside it."""
        try:
            return path.resolve().relative_to(self.root)
        except ValueError:
            return path
