"""Headless Chromium for the browser tests and the README's screenshot: Debian's `chromium` package, driven by
Playwright (from uv.lock) through `executable_path`. Playwright never downloads a browser here.

`make test` installs the package where it can (Debian, as root: `make chromium`); elsewhere the browser tests
skip and `missing()` says what is missing.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

# A headless browser in a sandboxed, offline machine: no sandbox of its own (root, containers), no GPU, and none
# of the background calls home (updates, sync, components) that would keep trying the closed network.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def executable() -> str | None:
    """$CHROMIUM, or Debian's chromium on PATH."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium")


def missing() -> str | None:
    """Why no browser can be driven here, or None."""
    if executable() is None:
        return "no chromium on PATH: `make test` installs Debian's chromium package on Debian as root (or set CHROMIUM to a Chromium binary)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (it is in uv.lock: make install)"
    return None


def launch(playwright: Any) -> Any:
    """A headless Chromium browser from a started `sync_playwright()`."""
    return playwright.chromium.launch(executable_path=executable(), args=ARGS, headless=True)
