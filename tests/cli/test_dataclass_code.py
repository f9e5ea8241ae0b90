"""mongen/dataclass_code.py: dataclass methods compiled once and kept in the cache directory give
classes exactly the methods Python's own compiling gives, and a warm run compiles none of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT

# Defines dataclasses like mongen's (frozen, defaults, factories, string annotations) and prints
# what their methods are made of and do, plus how many sources the dataclasses module compiled.
_SCRIPT = """
from __future__ import annotations
import json, sys
compiled = []
sys.addaudithook(lambda event, args: compiled.append(1) if event == "compile" and args[1] == "<string>" else None)
from mongen import dataclass_code
if sys.argv[1] == "install":
    dataclass_code.install()
compiled.clear()  # count this script's own classes only
from dataclasses import dataclass, field

@dataclass(frozen=True)
class Point:
    x: int
    y: float = 0.5
    tags: tuple[str, ...] = ()

@dataclass
class Bag:
    items: list[int] = field(default_factory=list)
    name: str = "bag"

def shape(function):
    code = function.__code__
    return [code.co_code.hex(), repr(code.co_consts), code.co_names, code.co_varnames, code.co_flags,
            code.co_filename, repr(function.__annotations__), repr(function.__defaults__)]

methods = {f"{cls.__name__}.{name}": shape(getattr(cls, name)) for cls in (Point, Bag)
           for name in ("__init__", "__repr__", "__eq__") }
methods["Point.__setattr__"] = shape(Point.__setattr__)
methods["Point.__hash__"] = shape(Point.__hash__)
behaviour = [repr(Point(1, tags=("a",))), Point(1) == Point(1), hash(Point(1)) == hash(Point(1)), repr(Bag())]
try:
    Point(1).x = 2
except Exception as exc:
    behaviour.append(type(exc).__name__)
print(json.dumps({"methods": methods, "behaviour": behaviour, "compiled": len(compiled)}))
"""


def _run(mode: str, cache: Path, **env: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, mode],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cache), "MONGEN_NO_CACHE": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_cached_methods_are_the_ones_python_compiles_and_a_warm_run_compiles_none(tmp_path: Path) -> None:
    plain = _run("plain", tmp_path)
    cold = _run("install", tmp_path)
    warm = _run("install", tmp_path)
    assert plain["compiled"] and cold["compiled"] == plain["compiled"]
    assert warm["compiled"] == 0
    for run in (cold, warm):
        assert run["methods"] == plain["methods"]
        assert run["behaviour"] == plain["behaviour"]
    assert plain["behaviour"][-1] == "FrozenInstanceError"
    entries = list((tmp_path / "mongen/dataclasses").iterdir())
    assert len(entries) == 1 and entries[0].stat().st_size > 0


def test_an_unreadable_entry_is_compiled_again_and_rewritten(tmp_path: Path) -> None:
    plain = _run("plain", tmp_path)
    _run("install", tmp_path)
    (entry,) = (tmp_path / "mongen/dataclasses").iterdir()
    entry.write_bytes(b"not marshal data")
    again = _run("install", tmp_path)
    assert again["methods"] == plain["methods"] and again["compiled"] == plain["compiled"]
    assert _run("install", tmp_path)["compiled"] == 0


def test_no_cache_means_python_compiles_as_usual(tmp_path: Path) -> None:
    plain = _run("plain", tmp_path)
    for _ in range(2):
        assert _run("install", tmp_path, MONGEN_NO_CACHE="1")["compiled"] == plain["compiled"]
    assert not (tmp_path / "mongen").exists()
