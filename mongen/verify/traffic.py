"""The load verify sends, and the service latency fitted to the spec's thresholds."""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from mongen.model import Spec
from mongen.verify.service import ENDPOINTS, FaultModel


def text_length(rng: random.Random) -> int:
    """The mix of text lengths verify sends: mostly short, 5% long enough to be slow."""
    return rng.choice((12, 40, 80, 110, 140)) if rng.random() < 0.95 else 200


def latency_factors(spec: Spec) -> tuple[float, float]:
    """Multipliers on the simulated service's latency for the healthy and the slow phase, fitted
    to the spec: healthy traffic stays under every latency SLO threshold and below the latency
    alert's threshold, and the slow phase puts the alert's quantile at twice its threshold (at
    least 3x healthy). Worked out from a seeded sample of the service's own latency model, so
    the same spec always gets the same factors."""
    rng, faults = random.Random(5), FaultModel(seed=5)
    samples = sorted(faults.latency(text_length(rng)) for _ in range(20_000))
    healthy = 1.0
    for slo in spec.slos:
        if slo.kind == "latency" and slo.threshold:
            healthy = min(healthy, 0.8 * slo.threshold / samples[-1])
    alert = next((a for a in spec.alerts if a.kind == "latency_quantile"), None)
    if alert is None or not alert.threshold or alert.quantile is None:
        return healthy, 3 * healthy
    quantile = samples[min(len(samples) - 1, int(alert.quantile * len(samples)))]
    healthy = min(healthy, 0.8 * alert.threshold / quantile)
    return healthy, max(3 * healthy, 2 * alert.threshold / quantile)


class Traffic:
    """Bounded background load across emotions, endpoints and text lengths."""

    def __init__(self, base_url: str, emotions: tuple[str, ...], rate_per_second: float = 40.0) -> None:
        self.base_url = base_url
        self.emotions = emotions or ("neutral",)
        self.interval = 1.0 / rate_per_second
        self.stop_event = threading.Event()
        self.random = random.Random(11)
        self.sent = 0
        self.pool = ThreadPoolExecutor(max_workers=8)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _one(self, endpoint: str, body: bytes) -> None:
        request = urllib.request.Request(
            self.base_url + endpoint, data=body, headers={"Content-Type": "application/json"}
        )
        with contextlib.suppress(urllib.error.URLError, OSError):
            urllib.request.urlopen(request, timeout=5).close()

    def _run(self) -> None:
        deadline = time.monotonic() + 600  # hard bound, whatever happens to the caller
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            length = text_length(self.random)
            emotion = self.random.choice(self.emotions)
            endpoint = ENDPOINTS[0] if self.random.random() < 0.8 else ENDPOINTS[1]
            body = json.dumps({"text": "x" * length, "emotion": emotion}).encode()
            self.pool.submit(self._one, endpoint, body)
            self.sent += 1
            time.sleep(self.interval)

    def __enter__(self) -> Traffic:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join(timeout=5)
        self.pool.shutdown(wait=True, cancel_futures=True)
