"""Serve a fake's WSGI application on a port, in a background thread."""

from __future__ import annotations

import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        # Request lines carry query strings (order ids, phone numbers): keep them out of logs.
        pass


class RunningFake:
    def __init__(self, server: WSGIServer, thread: threading.Thread):
        self.server = server
        self.thread = thread

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_in_thread(app, *, host: str = "127.0.0.1", port: int = 0) -> RunningFake:
    """Start ``app`` on ``host:port`` (0 picks a free port) and return a handle with ``url``."""
    server = make_server(host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    # A short poll interval: stop() waits up to one interval, and tests stop a fake after each test.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"fake-{port}", daemon=True
    )
    thread.start()
    return RunningFake(server, thread)
