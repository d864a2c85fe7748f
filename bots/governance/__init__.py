"""Governance: who owns and takes over each bot, who approved exactly what runs, and the gate that
refuses an unapproved flow in production mode. Reports built on it (管理台帳, 手順書, health) are
in :mod:`bots.catalogue`."""
