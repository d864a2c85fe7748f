"""An approval covers the blank form's image a template registers scans by: another image, another fingerprint."""

from __future__ import annotations

import shutil
from pathlib import Path

from bots.flow.fingerprint import fingerprint, manifest
from bots.flow.loader import load_flow
from bots.project import Project

REPO = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path) -> Path:
    """A copy of the sample project whose OCR flow reads the mark-less kokuho form."""
    for folder in ("flows", "selectors"):
        shutil.copytree(REPO / folder, tmp_path / folder, ignore=shutil.ignore_patterns("data"))
    flow = tmp_path / "flows" / "kokuho_ocr.yaml"
    text = (REPO / "flows" / "shinsei_ocr.yaml").read_text(encoding="utf-8")
    flow.write_text(text.replace("form: shinsei", "form: kokuho"), encoding="utf-8")
    return flow


def test_the_reference_image_is_in_the_manifest_and_changes_the_fingerprint(tmp_path: Path) -> None:
    flow = _project(tmp_path)
    loaded, found = load_flow(flow, Project(tmp_path))
    assert loaded is not None, [d.render() for d in found.errors]

    entries = manifest(loaded, tmp_path)
    assert ("form", "selectors/forms/kokuho_blank.png") in {(e.role, e.path) for e in entries}
    assert ("form", "selectors/forms/kokuho.yaml") in {(e.role, e.path) for e in entries}

    image = tmp_path / "selectors" / "forms" / "kokuho_blank.png"
    image.write_bytes(image.read_bytes() + b"\0")  # same picture to a viewer, other bytes
    assert fingerprint(manifest(loaded, tmp_path)) != fingerprint(entries)
