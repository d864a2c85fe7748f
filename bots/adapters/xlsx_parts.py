"""The parts of an .xlsx package that openpyxl's read-only mode does not give: merged ranges
and formulas saved without a cached result, found in one streaming pass over the sheet XML.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, range_boundaries

_Box = tuple[int, int, int, int]  #: a merged range: min_col, min_row, max_col, max_row


@dataclass
class SheetScan:
    """What the sheet XML says beyond cell values."""

    merges: list[_Box] = field(default_factory=list)
    uncached: set[tuple[int, int]] = field(default_factory=set)  #: (row, col)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rels(archive: zipfile.ZipFile, rels_part: str, base: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target part path) of one ``.rels`` part."""
    out = {}
    for rel in ET.fromstring(archive.read(rels_part)):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), path)
    return out


def _sheet_part(archive: zipfile.ZipFile, title: str) -> str | None:
    """The zip member holding a sheet's XML: package rels -> workbook.xml -> its rels."""
    office = [p for t, p in _rels(archive, "_rels/.rels", "").values() if t.endswith("/officeDocument")]
    workbook = office[0] if office else "xl/workbook.xml"
    base, name = posixpath.split(workbook)
    rels = _rels(archive, posixpath.join(base, "_rels", name + ".rels"), base)
    for el in ET.fromstring(archive.read(workbook)).iter():
        if _local(el.tag) == "sheet" and el.get("name") == title:
            rid = next((v for k, v in el.attrib.items() if k.startswith("{") and _local(k) == "id"), "")
            return rels[rid][1] if rid in rels else None
    return None


def scan_sheet(path: Path, title: str) -> SheetScan:
    """Merged ranges and formulas without a cached result, in one streaming pass over the sheet XML."""
    scan = SheetScan()
    with zipfile.ZipFile(path) as archive:
        part = _sheet_part(archive, title)
        if part is None:
            return scan
        row = col = 0
        with archive.open(part) as src:
            for event, el in ET.iterparse(src, events=("start", "end")):
                tag = _local(el.tag)
                if event == "start":
                    if tag == "row":
                        row, col = int(el.get("r") or row + 1), 0
                    continue
                if tag == "c":
                    ref = el.get("r")
                    col = column_index_from_string(coordinate_from_string(ref)[0]) if ref else col + 1
                    kinds = {_local(child.tag): child for child in el}
                    value = kinds.get("v")
                    cached = (value is not None and bool(value.text)) or "is" in kinds
                    if "f" in kinds and not cached and el.get("t") not in ("str", "inlineStr"):
                        scan.uncached.add((row, col))
                    el.clear()
                elif tag == "row":
                    el.clear()
                elif tag == "mergeCell":
                    min_col, min_row, max_col, max_row = range_boundaries(el.get("ref", ""))
                    if None not in (min_col, min_row, max_col, max_row):  # whole-column ranges: not in lists
                        scan.merges.append((min_col, min_row, max_col, max_row))
    return scan
