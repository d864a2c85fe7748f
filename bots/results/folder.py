"""Every run gets an id and a folder ``logs/runs/<YYYY-MM-DD>/<run-id>/``.

The folder holds the run's JSON-lines log, screenshots of failed records, downloads and the
results workbook, so one folder answers "what did this run do".
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from pathlib import Path


def new_run_id(now: dt.datetime | None = None) -> str:
    """Sortable and unique across runner PCs: ``20261126-221500-3f9a1c``."""
    now = now or dt.datetime.now().astimezone()
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def run_folder(logs: Path, run_id: str, started: dt.datetime) -> Path:
    """Create and return the run's folder, ``runs/<start date>/<run id>`` (see the module docstring)."""
    folder = logs / "runs" / f"{started:%Y-%m-%d}" / run_id
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def safe_name(text: str) -> str:
    """A file name that is valid on Windows too (no \\ / : * ? " < > |)."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("._") or "_"


def results_path(folder: Path, input_file: Path | None, flow_id: str) -> Path:
    """The results workbook, named after the input (or the flow) so staff know which list it answers."""
    stem = input_file.stem if input_file else flow_id
    return folder / f"結果_{safe_name(stem)}.xlsx"


def screenshot_path(folder: Path, record_index: int, key: str) -> Path:
    """A failed record's screenshot: zero-padded record number first so files sort, key cut to 40."""
    return folder / "screenshots" / f"{record_index:05d}_{safe_name(key)[:40]}.png"
