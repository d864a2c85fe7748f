"""Step libraries, one module per action family. Importing this package fills the registry.

Imported explicitly (not discovered through entry points) so a frozen build finds them all.
"""

from bots.actions import browser, browser_page, browser_windows, control, desktop, excel, ocr

__all__ = ["browser", "browser_page", "browser_windows", "control", "desktop", "excel", "ocr"]
