"""Celery tasks of the events app: the server-side PNG snapshot of a map view.

``render_snapshot`` opens ``/embed/?<state>&static=1`` in headless Chromium (Debian's
``chromium``, driven by Playwright with ``executable_path``) at the requested size and
scale, waits until the page says the map is drawn (``<body data-ready="1">``), and writes
a PNG screenshot. Every step has a deadline taken from one overall timeout; the task's
Celery time limits (set by the caller) are the backstop. The browser may only load the
page's own origin and the tile server's: anything else is aborted.
"""
from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings

log = logging.getLogger(__name__)

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
]


class SnapshotError(RuntimeError):
    """The render failed or ran out of time; the message says why."""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@shared_task(name="events.render_snapshot", acks_late=False, ignore_result=False)
def render_snapshot(*, url: str, out_path: str, width: int, height: int, scale: float, timeout: float) -> dict:
    """Render ``url`` to ``out_path`` (PNG of width*scale x height*scale pixels).

    Returns ``{"rendered": bool, "path": out_path, "seconds": float}``; ``rendered`` is
    False when the file was already there (another request rendered it first).
    """
    out = Path(out_path)
    if out.exists():
        return {"rendered": False, "path": str(out), "seconds": 0.0}
    started = time.monotonic()
    png = screenshot(url, width=width, height=height, scale=scale, timeout=timeout)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".render-", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(png)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    seconds = round(time.monotonic() - started, 3)
    log.info("snapshot rendered in %.2fs: %s", seconds, out.name)
    return {"rendered": True, "path": str(out), "seconds": seconds}


def screenshot(url: str, *, width: int, height: int, scale: float, timeout: float) -> bytes:
    """The PNG of ``url`` in headless Chromium, or :class:`SnapshotError` within ``timeout`` seconds."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    deadline = time.monotonic() + timeout

    def remaining_ms() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise SnapshotError(f"the render took longer than {timeout:g} s")
        return max(1.0, left * 1000)

    allowed = {_origin(url)}
    if settings.TILE_URL.startswith("http"):
        allowed.add(_origin(settings.TILE_URL.replace("{s}", "a")))

    def guard(route) -> None:
        request_url = route.request.url
        if request_url.startswith(("data:", "blob:")) or _origin(request_url) in allowed:
            route.continue_()
        else:
            route.abort("blockedbyclient")

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=settings.CHROMIUM_PATH, args=CHROMIUM_ARGS, timeout=remaining_ms()
            )
            try:
                context = browser.new_context(
                    viewport={"width": width, "height": height}, device_scale_factor=scale,
                    java_script_enabled=True, service_workers="block",
                )
                page = context.new_page()
                dialogs: list[str] = []

                def on_dialog(dialog) -> None:  # alert() & co: never from our page; data ran as code?
                    dialogs.append(dialog.message[:100])
                    dialog.dismiss()

                page.on("dialog", on_dialog)
                page.route("**/*", guard)
                response = page.goto(url, wait_until="domcontentloaded", timeout=remaining_ms())
                if response is None or response.status != 200:
                    status = response.status if response is not None else "no response"
                    raise SnapshotError(f"the map view answered {status}")
                page.wait_for_selector("body[data-ready]", state="attached", timeout=remaining_ms())
                ready = page.get_attribute("body", "data-ready")
                if ready == "error":
                    raise SnapshotError("the map view could not load its data")
                # Tiles and fonts: wait a little for the network to settle, within the deadline.
                try:
                    page.wait_for_load_state("networkidle", timeout=min(remaining_ms(), 5000))
                except PlaywrightError:
                    pass
                page.evaluate("document.fonts ? document.fonts.ready.then(() => true) : true")
                if dialogs:
                    raise SnapshotError("the map view opened a dialog; refusing to photograph it")
                return page.screenshot(type="png", full_page=False, animations="disabled", timeout=remaining_ms())
            finally:
                browser.close()
    except SnapshotError:
        raise
    except PlaywrightError as exc:
        if time.monotonic() >= deadline or "Timeout" in str(exc):
            raise SnapshotError(f"the render took longer than {timeout:g} s") from None
        # The details (internal addresses...) go to the log, not to the public answer.
        log.warning("snapshot: the browser failed on %s: %s", url, str(exc).splitlines()[0][:500])
        raise SnapshotError("the browser could not load the map view") from None
