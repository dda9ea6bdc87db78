"""Helpers for tests that run a fake over real HTTP (standard library and requests only)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from html import unescape

import requests

from cqs.fakes.runner import RunningFake, serve_in_thread

_FORM = re.compile(r'<form method="post" action="([^"]+)">(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@contextlib.contextmanager
def running(app) -> Iterator[RunningFake]:
    """Serve ``app`` on a free local port for the duration of the block."""
    fake = serve_in_thread(app, host="127.0.0.1", port=0)
    try:
        yield fake
    finally:
        fake.stop()


def page_forms(html: str) -> list[tuple[str, dict[str, str]]]:
    """The POST forms of a fake's page: (action, hidden fields), as a browser would see them."""
    return [
        (unescape(action), {unescape(name): unescape(value) for name, value in _HIDDEN.findall(body)})
        for action, body in _FORM.findall(html)
    ]


def paygov_press(checkout_url: str, result: str) -> requests.Response:
    """Open the payment page and press the button of ``result`` (success, failed, abandon).

    Returns the gateway's answer to the button, redirects not followed: a 302 to our returnUrl for
    success and failure, a page for abandon.
    """
    page = requests.get(checkout_url, timeout=5)
    page.raise_for_status()
    base = checkout_url.split("/pay?", 1)[0]
    for action, fields in page_forms(page.text):
        if fields.get("result") == result:
            return requests.post(base + action, data=fields, allow_redirects=False, timeout=5)
    raise AssertionError(f"no {result!r} button on the payment page")
