"""The optional HMAC key of the audit ledger, from configuration (``KZ_AUDIT_KEY``).

With a key, even a ledger rewritten with freshly recomputed hashes is detected. The key is
given as hex (64 hex digits recommended) or as plain text; it never appears in any output.
"""

from __future__ import annotations

import os
import re

_HEX = re.compile(r"^(?:[0-9a-fA-F]{2}){16,}$")


def audit_key(environ: dict[str, str] | None = None) -> bytes | None:
    """The key from ``KZ_AUDIT_KEY``, or None (hash chain only); 32+ hex digits are decoded, else UTF-8."""
    value = (environ if environ is not None else os.environ).get("KZ_AUDIT_KEY", "").strip()
    if not value:
        return None
    return bytes.fromhex(value) if _HEX.match(value) else value.encode("utf-8")
