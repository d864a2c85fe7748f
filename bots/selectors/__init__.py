"""Selector maps: named UI elements per system and screen, with ordered fallbacks."""
