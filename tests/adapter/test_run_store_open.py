"""Opening a run store that is already current reads ``alembic_version`` and nothing more: no
Alembic import, no revision scripts read (0.1–0.2 s on every run and every ``audit`` command).
An empty one is created at the head without Alembic too (a PC's first run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bots.store import RunStore
from bots.store.migrate import SHIPPED_HEAD, head_revision

REPO = Path(__file__).resolve().parents[2]

#: Opens the store at argv[1] in a fresh process; prints its revision and whether Alembic was imported.
OPEN = """
import json, sys
from pathlib import Path
from bots.store import RunStore
with RunStore.open(sys.argv[1], Path(sys.argv[2])) as store:
    revision = store.revision()
print(json.dumps({"revision": revision, "alembic": "alembic" in sys.modules}))
"""


def _open_in_a_new_process(url: str, logs: Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", OPEN, url, str(logs)], cwd=REPO, capture_output=True, text=True,
                          check=True, timeout=120)
    opened: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return opened


def test_the_head_known_from_the_file_names_is_alembics_head() -> None:
    assert SHIPPED_HEAD == head_revision()


def test_an_empty_store_is_created_and_a_current_one_opened_without_alembic(tmp_path: Path) -> None:
    url = "sqlite:///" + (tmp_path / "実行記録.sqlite3").as_posix()

    first = _open_in_a_new_process(url, tmp_path)  # empty: created at the head, stamped
    again = _open_in_a_new_process(url, tmp_path)  # current: only alembic_version is read

    assert first == {"revision": head_revision(), "alembic": False}
    assert again == {"revision": head_revision(), "alembic": False}


def test_an_older_store_is_still_upgraded_on_open(tmp_path: Path) -> None:
    url = "sqlite:///" + (tmp_path / "実行記録.sqlite3").as_posix()
    with RunStore(url) as store:
        store.migrate("0003")
    with RunStore.open(url, tmp_path) as store:
        assert store.revision() == head_revision() != "0003"
