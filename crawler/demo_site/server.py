"""The offline demo site's HTTP server (stdlib ``http.server``, loopback only).

The server is a *mirror* of many hosts at once: a request for ``/<host>/<path>?<query>`` answers
what the real ``http(s)://<host>/<path>?<query>`` would (see :mod:`crawler.demo_site.render`).
Crawlers reach it with ``--base-url http://127.0.0.1:PORT`` (:mod:`crawler.mirror`), so they keep
working with the real URLs and the store records real URLs.

Every request is written to the access log (``access_log``; optionally also a file, one
``STATUS PATH`` line per request), which the tests use to prove that pages are fetched once.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from .pages import Page
from .render import SiteContent


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        site: DemoSite = self.server.site
        raw = self.path
        if raw.startswith("http://") or raw.startswith("https://"):
            raw = "/" + raw.split("://", 1)[1]   # absolute-form request line (proxy style)
        key = unquote(raw.lstrip("/"))
        if not key or "/" not in key:
            page = Page(b"zhengce demo site: request /<host>/<path>", "text/plain", status=404)
        else:
            page = site.content.respond(key)
        site.log(page.status, key)
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        for name, value in page.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(page.body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the access log is ours
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, site: "DemoSite"):
        self.site = site
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        # A crawler killed mid-request (the resume test) resets its connections: not an error
        # of the site.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class DemoSite:
    """Serve the demo corpus on 127.0.0.1 (a free port unless one is given).

    >>> site = DemoSite(n_documents=120).start()     # doctest: +SKIP
    >>> site.base_url                                 # doctest: +SKIP
    'http://127.0.0.1:41873'
    >>> site.stop()                                   # doctest: +SKIP

    ``content`` holds the documents, pages and planted traps; ``access_log`` every request as
    ``(status, key)`` in arrival order.
    """

    def __init__(self, n_documents: int = 600, random_state: int = 0, *, host: str = "127.0.0.1",
                 port: int = 0, api_cap: int = 100, flaky_failures: int = 2,
                 log_path: str | None = None, content: SiteContent | None = None):
        self.content = content or SiteContent(n_documents, random_state, api_cap=api_cap,
                                              flaky_failures=flaky_failures)
        self.host = host
        self.port = port
        self.log_path = log_path
        self.access_log: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._log_file = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the demo site is not running: call start() first")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> "DemoSite":
        if self._server is not None:
            return self
        if self.log_path:
            self._log_file = open(self.log_path, "a", encoding="utf-8", buffering=1)
        self._server = _Server((self.host, self.port), self)
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-site",
                                        kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> "DemoSite":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def log(self, status: int, key: str) -> None:
        with self._lock:
            self.access_log.append((status, key))
            if self._log_file is not None:
                self._log_file.write(f"{status} {key}\n")

    def requests_for(self, key: str) -> int:
        with self._lock:
            return sum(1 for _, k in self.access_log if k == key)


def main(argv: list[str] | None = None) -> None:
    """``python -m crawler.demo_site``: serve until interrupted; print the base URL first."""
    parser = argparse.ArgumentParser(description="Serve the zhengce offline demo site.")
    parser.add_argument("--n-documents", type=int, default=600)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", default=None, help="append one 'STATUS PATH' line per request")
    args = parser.parse_args(argv)
    site = DemoSite(args.n_documents, args.random_state, port=args.port, log_path=args.log).start()
    print(site.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        site.stop()
        sys.exit(0)
