"""Kazaguruma: declared, versioned, audited RPA for municipal back offices."""

__version__ = "0.1.0"
