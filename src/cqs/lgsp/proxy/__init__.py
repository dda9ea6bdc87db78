"""The built-in data plane: an asyncio (aiohttp + uvloop) reverse proxy, the embedded default.

It reads only ``<lgsp_dir>/active/snapshot.json`` (written by ``engines.builtin`` on every
publication, reloaded within a quarter of a second) and writes only
``<lgsp_dir>/logs/access-builtin.jsonl``; it never touches the database, so it runs without Django
being set up. The checks: ``gateway.py`` (the same conformance suite runs against it and
HAProxy); the tables: ``tables.py``; calls to providers: ``upstream.py`` (a lean HTTP/1.1 client
whose answers are parsed by ``httptools``/llhttp, which is what makes one core do ~2,700
calls/s instead of ~1,800 with aiohttp's client).

``serve()`` is what ``cqs lgsp_gateway --engine builtin`` runs; tests may use ``Gateway`` directly.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from cqs.lgsp.proxy.gateway import Gateway

__all__ = ["Gateway", "serve"]

logger = logging.getLogger("cqs.lgsp.proxy")


async def _run(host: str, port: int, lgsp_dir: Path, ready: Callable[[int], None] | None) -> None:
    gateway = Gateway(lgsp_dir)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
    bound = await gateway.start(host, port)
    try:
        if ready is not None:
            ready(bound)
        await stopping.wait()
        logger.info("LGSP proxy: stopping")
    finally:
        await gateway.stop()


def serve(
    *,
    host: str,
    port: int,
    lgsp_dir: Path,
    ready: Callable[[int], None] | None = None,
) -> None:
    """Run the gateway on ``host:port`` until SIGTERM or SIGINT (blocking, on uvloop).

    ``ready(port)`` is called once it listens (``port=0`` picks a free one).
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover - a declared dependency; asyncio's loop still works
        loop_factory = None
    else:
        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(_run(host, port, Path(lgsp_dir), ready))
