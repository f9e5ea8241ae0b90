"""Regenerate tests/golden/<spec>/ from specs/*.yaml (`make golden`); review the diff like code."""

from __future__ import annotations

import shutil
from pathlib import Path

from mongen.loading import load_spec
from mongen.pipeline import render
from mongen.writer import write_tree

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_SPECS = ("specs/emotivoice.yaml", "specs/multi-slo.yaml", "specs/llm.yaml")


def golden_dir(spec: str) -> Path:
    return ROOT / "tests" / "golden" / Path(spec).stem


def main() -> None:
    for spec in GOLDEN_SPECS:
        target = golden_dir(spec)
        shutil.rmtree(target, ignore_errors=True)
        write_tree(target, render(load_spec(spec)))
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
