"""`init --from-metrics` declares an OpenMetrics info (or stateset) family as an external gauge
with the labels it was seen with, as it does a gauge's, so lint checks the queries on it
(`by (version)`); a family seen without samples is declared without a label list (any label)."""

from __future__ import annotations

from mongen.adopt.exposition import parse_families
from mongen.adopt.from_metrics import draft_spec
from tests.support.adopt_inputs import OPENMETRICS

STATES = """\
# TYPE tts_model info
tts_model_info{version="2.1",revision="abc"} 1
# TYPE tts_health stateset
tts_health{tts_health="ready"} 1
tts_health{tts_health="draining"} 0
# TYPE tts_build info
# TYPE tts_requests counter
tts_requests_total{code="200"} 1
# EOF
"""


def _external(text: str) -> dict[str, tuple[str | None, tuple[str, ...] | None]]:
    _text, spec = draft_spec(parse_families(text, True, "tts.txt"), "tts.txt", file="spec.yaml")
    return {m.name or "": (m.type, m.labels) for m in spec.external_metrics}


def test_an_info_familys_labels_are_declared_like_a_gauges() -> None:
    text, _ = draft_spec(parse_families(STATES, True, "tts.txt"), "tts.txt", file="spec.yaml")
    assert "# tts_model: an info: mongen's instrumentation" in text
    external = _external(STATES)
    assert external["tts_model_info"] == ("gauge", ("version", "revision", "job", "instance", "service"))
    assert external["tts_health"] == ("gauge", ("tts_health", "job", "instance", "service"))
    assert _external(OPENMETRICS)["tts_model_info"] == ("gauge", ("version", "job", "instance", "service"))


def test_a_family_without_samples_is_declared_open() -> None:
    external = _external(STATES)
    assert external["tts_build_info"] == ("gauge", None)
    assert _external(OPENMETRICS)["tts_cache_hits_total"] == ("counter", None)
