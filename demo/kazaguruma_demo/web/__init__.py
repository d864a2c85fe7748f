"""Kazaguruma."""
