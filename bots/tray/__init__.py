"""The staff's tray launcher: start a bot, watch it, stop it, open what it could not key.

::

    protocol.py  the JSON-lines messages between the tray and a run's worker process
    worker.py    the worker: one run through the library entry point, events out, "stop" in
    (Qt)         the tray icon, menus and windows (PySide6), started by ``runner.py tray``

A run never executes inside the tray: a crash or a frozen window cannot take a run with it, and
closing the tray never kills a run silently.
"""
