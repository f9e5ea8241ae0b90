"""Observed label values -> a bounded label for the spec: the values people chose (status codes,
endpoints, model names) listed, the ones that look unbounded (ids, addresses, hashes) left out and
flagged, a fallback that anything else records as, and status classes on a status-like label."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mongen.units import counted

# Values that name one request, object or host rather than a kind of thing: a label holding them
# grows without bound (one series per id), so the draft leaves them out and says so.
_ID_LIKE = (
    re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),  # UUID
    re.compile(r"(0x)?[0-9a-fA-F]{16,}"),  # hashes, trace ids
    re.compile(r"\d{5,}"),  # user, order, request numbers
    re.compile(r"\d{1,3}(\.\d{1,3}){3}(:\d+)?"),  # IPv4 addresses
    re.compile(r"[a-z0-9-]+-[a-z0-9]{8,10}-[a-z0-9]{5}"),  # Kubernetes pod names
)
# More distinct values than this and the label is a dimension nobody can list: none is kept.
MAX_LISTED = 100
STATUS_LIKE = frozenset({"code", "status", "status_code", "http_status", "http_code", "response_code"})
STATUS_CLASSES = ("4xx", "5xx")
_FALLBACKS = ("other", "unknown", "other_value")


@dataclass(frozen=True)
class BoundedLabel:
    name: str
    values: tuple[str, ...]
    fallback: str
    classes: tuple[str, ...]
    flagged: str  # why some observed values are not listed; "" when all are

    def body(self) -> dict[str, object]:
        out: dict[str, object] = {"values": list(self.values), "fallback": self.fallback}
        if self.classes:
            out["classes"] = list(self.classes)
        return out


def looks_like_id(value: str) -> bool:
    return any(pattern.fullmatch(value) for pattern in _ID_LIKE)


def _writable(value: str) -> bool:
    """Whether a spec can list the value: one line of visible text without padding (mongen's rule
    for label values; an empty value is the same as no label to Prometheus)."""
    return bool(value) and value == value.strip() and value.isprintable()


def bounded_label(name: str, observed: set[str]) -> BoundedLabel:
    writable = sorted(v for v in observed if _writable(v))
    skipped = len(observed) - len(writable)
    if len(writable) > MAX_LISTED:
        kept: list[str] = []
        notes = [f"{len(writable)} distinct values seen, more than {MAX_LISTED}: none listed (e.g. `{writable[0]}`)"]
    else:
        ids = [v for v in writable if looks_like_id(v)]
        kept = [v for v in writable if v not in ids]
        look = "looks like an id" if len(ids) == 1 else "look like ids"
        notes = [f"{counted(len(ids), 'value')} {look}, not listed (e.g. `{ids[0]}`)"] if ids else []
    if skipped:
        notes.append(f"{counted(skipped, 'empty or unprintable value')} not listed")
    they = "they record" if len(observed) - len(kept) > 1 else "it records"
    classes: tuple[str, ...] = ()
    if name in STATUS_LIKE and kept and all(len(v) == 3 and v.isdigit() for v in kept):
        classes = STATUS_CLASSES
        kept += [c for c in classes if c not in kept]
    fallback = next(f for f in _FALLBACKS if f not in kept)
    flagged = ""
    if notes:
        flagged = (
            "; ".join(notes) + f": {they} as `{fallback}`. A label must stay bounded: list the values "
            "that matter, or drop the label from the metrics that carry it."
        )
    return BoundedLabel(name, (*kept, fallback), fallback, classes, flagged)
