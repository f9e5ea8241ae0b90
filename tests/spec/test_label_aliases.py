"""Aliases on explicit-value labels, and EmotiVoice's own (Chinese) emotion names in the default spec."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from mongen import layout
from mongen.generators import instrumentation
from mongen.loading import load_spec
from tests.support import ROOT
from tests.support.generated_module import load_generated


@pytest.fixture(scope="module")
def default_module(default_spec, default_files: dict[str, str]) -> ModuleType:
    return load_generated(default_files[layout.instrumentation_module(default_spec.service)], "aliases_default")


@pytest.mark.parametrize(
    ("raw", "emotion"),
    [
        ("普通", "neutral"),
        ("生气", "angry"),
        ("开心", "happy"),
        ("惊讶", "surprised"),
        ("悲伤", "sad"),
        ("厌恶", "disgusted"),
        ("恐惧", "fearful"),
        ("Fear", "fearful"),
        ("not an emotion", "neutral"),
    ],
)
def test_the_default_spec_knows_emotivoices_emotion_names(default_module: ModuleType, raw: str, emotion: str) -> None:
    assert default_module.normalize_emotion(raw).value == emotion


def test_an_explicit_value_label_takes_aliases(tmp_path: Path) -> None:
    text = (ROOT / "specs/emotivoice.yaml").read_text("utf-8")
    text = text.replace(
        "    values: [/synthesize, /clone, other]\n    fallback: other\n",
        "    values: [/synthesize, /clone, other]\n    fallback: other\n    aliases: {/v1/audio/speech: /synthesize}\n",
    )
    path = tmp_path / "spec.yaml"
    path.write_text(text, "utf-8")
    spec = load_spec(path)
    module = load_generated(instrumentation.generate(spec)[layout.instrumentation_module(spec.service)], "aliases_x")
    assert module.normalize_endpoint("/v1/audio/speech/") == "/synthesize"
    assert module.normalize_endpoint("/v1/audio/other") == "other"
