"""The staff's tray launcher: start a bot, watch it, stop it, open what it could not key.

::

    protocol.py  the JSON-lines messages between the tray and a run's worker process
    worker.py    the worker: one run through the library entry point, events out, "stop" in
    menu.py      which bots the user may start, grouped by 所管課 (no Qt: tested alone)
    app.py       the tray icon, its menu, one tray per user, quitting (PySide6 from here down)
    session.py   one run from the file dialog to the summary; process.py the QProcess to the worker
    launch.py    input dialog and confirmation; progress.py, summary.py the two run windows
    icons.py     the pinwheel drawn with QPainter; words.py status words and times

A run never executes inside the tray: a crash or a frozen window cannot take a run with it, and
closing the tray never kills a run silently.
"""
