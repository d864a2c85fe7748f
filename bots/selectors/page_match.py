"""Which screens of a selector map a web page can be: by the screen's ``url`` or ``title``.

``selectors check SYSTEM --url URL`` shows one page; checking every screen of the map against it
reported every other screen's elements as missing (false drift). It checks the screens this page
can be instead:

* ``url``: a path (``/entry``) matches a page whose path is it or ends with it (an application
  under a prefix, ``/app/entry``); a full URL (``https://host/app/entry``) matches that page; either
  may hold ``*`` wildcards (``/orders/*/edit``). The query and fragment count only when the
  pattern has them.
* ``title``: the page title is it or contains it.

A screen that declares neither can be any page: it is checked when no screen matches by URL or
title. The page's URL is the one it ended on (after redirects: ``/entry`` may land on ``/login``).
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from bots.selectors.model import Screen


def url_matches(pattern: str, page_url: str) -> bool:
    """Whether a screen's ``url`` pattern matches the page at ``page_url`` (see the module docstring)."""
    page = urlsplit(page_url)
    wanted = urlsplit(pattern)
    absolute = bool(wanted.scheme or wanted.netloc)
    if absolute:
        shown = f"{page.scheme}://{page.netloc}{page.path or '/'}"
        wanted_text = f"{wanted.scheme}://{wanted.netloc}{wanted.path or '/'}"
    else:
        shown, wanted_text = page.path or "/", wanted.path if wanted.path.startswith("/") else f"/{wanted.path}"
    if wanted.query:
        shown, wanted_text = f"{shown}?{page.query}", f"{wanted_text}?{wanted.query}"
    if wanted.fragment:
        shown, wanted_text = f"{shown}#{page.fragment}", f"{wanted_text}#{wanted.fragment}"
    shown, wanted_text = _trim(shown), _trim(wanted_text)
    if "*" in wanted_text:
        return fnmatchcase(shown, wanted_text) or (not absolute and fnmatchcase(shown, f"*{wanted_text}"))
    return shown == wanted_text or (not absolute and shown.endswith(wanted_text))


def title_matches(title: str, page_title: str) -> bool:
    """Whether a screen's ``title`` matches the page's title: equal, or contained in it."""
    return bool(title.strip()) and title.strip() in page_title


def screens_for_page(screens: dict[str, Screen], page_url: str, page_title: str) -> list[str]:
    """The names of the screens this page can be, in map order (see the module docstring)."""
    matched = [name for name, screen in screens.items()
               if (screen.url and url_matches(screen.url, page_url))
               or (screen.title and title_matches(screen.title, page_title))]
    if matched:
        return matched
    return [name for name, screen in screens.items() if not screen.url and not screen.title]


def _trim(text: str) -> str:
    """``/entry/`` and ``/entry`` are the same page."""
    return text.rstrip("/") or "/"
