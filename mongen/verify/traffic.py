"""The load verify sends: a steady stream of requests to the simulated service, each one request
of the spec-built simulation (the service draws its labels and values itself)."""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

REQUEST_PATH = "/request"  # any POST but /admin/faults is one simulated request


class Traffic:
    """Bounded background load at `rate_per_second`."""

    def __init__(self, base_url: str, rate_per_second: float = 40.0) -> None:
        self.url = base_url + REQUEST_PATH
        self.interval = 1.0 / rate_per_second
        self.stop_event = threading.Event()
        self.sent = 0
        self.pool = ThreadPoolExecutor(max_workers=4)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _one(self) -> None:
        request = urllib.request.Request(self.url, data=b"{}", headers={"Content-Type": "application/json"})
        with contextlib.suppress(urllib.error.URLError, OSError):
            urllib.request.urlopen(request, timeout=5).close()

    def _run(self) -> None:
        deadline = time.monotonic() + 600  # hard bound, whatever happens to the caller
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            self.pool.submit(self._one)
            self.sent += 1
            time.sleep(self.interval)

    def __enter__(self) -> Traffic:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join(timeout=5)
        self.pool.shutdown(wait=True, cancel_futures=True)
