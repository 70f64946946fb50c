"""Fixtures shared by the test modules."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _Recorder(BaseHTTPRequestHandler):
    def _record(self) -> None:
        self.server.seen.append(f"{self.command} {self.path}")
        body = b"td { color: red } @import url(/second.css);"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _record

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    """A local HTTP server that records every request (`server.seen`) and answers with a
    small stylesheet: rendering hostile mail must leave `seen` empty."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
