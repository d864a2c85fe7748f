"""Finding a sheet's XML inside an .xlsx package (package rels → workbook.xml → its rels), for
the streaming scans of :mod:`bots.adapters.xlsx_stream` that openpyxl's read-only mode cannot do.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
import zipfile


def local_name(tag: str) -> str:
    """An XML tag without its namespace (sheets are written with and without prefixes)."""
    return tag.rsplit("}", 1)[-1]


def _rels(archive: zipfile.ZipFile, rels_part: str, base: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target part path) of one ``.rels`` part."""
    out = {}
    for rel in ET.fromstring(archive.read(rels_part)):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), path)
    return out


def sheet_part(archive: zipfile.ZipFile, title: str) -> str | None:
    """The zip member holding a sheet's XML: package rels -> workbook.xml -> its rels."""
    office = [p for t, p in _rels(archive, "_rels/.rels", "").values() if t.endswith("/officeDocument")]
    workbook = office[0] if office else "xl/workbook.xml"
    base, name = posixpath.split(workbook)
    rels = _rels(archive, posixpath.join(base, "_rels", name + ".rels"), base)
    for el in ET.fromstring(archive.read(workbook)).iter():
        if local_name(el.tag) == "sheet" and el.get("name") == title:
            rid = next((v for k, v in el.attrib.items() if k.startswith("{") and local_name(k) == "id"), "")
            return rels[rid][1] if rid in rels else None
    return None
