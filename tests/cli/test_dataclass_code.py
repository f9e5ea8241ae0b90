"""mongen/dataclass_code.py: dataclass methods compiled once and kept in the cache directory give
classes exactly the methods Python's own compiling gives, and a warm run compiles none of them."""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import json
import marshal
import os
import subprocess
import sys
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from typing import Any

import pytest

from mongen import __version__, dataclass_code
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


def _make_class() -> type:
    @dataclasses.dataclass(frozen=True)
    class Planted:
        a: int
        b: str = "b"

    return Planted


def test_a_cache_directory_swapped_after_its_check_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoever can write where XDG_CACHE_HOME points can swap mongen's cache directory for a link
    to their own one between the check that it is private and the read of the entry: the entry
    must come from the directory that was checked (held open), not from the path read again."""
    cache, evil = tmp_path / "cache", tmp_path / "evil"
    real = cache / "mongen"
    (real / "dataclasses").mkdir(parents=True, mode=0o700)
    real.chmod(0o700)
    sources: list[str] = []

    def recording_exec(source: str, globals: Any = None, locals: Any = None) -> None:
        sources.append(source)
        exec(source, globals, locals)

    monkeypatch.setattr(dataclasses, "exec", recording_exec, raising=False)
    _make_class()
    monkeypatch.delattr(dataclasses, "exec")
    (evil / "dataclasses").mkdir(parents=True)
    planted = "\nimport os\nos.environ['MONGEN_TEST_PLANTED'] = '1'\n"
    build = "\0".join((sys.version, MAGIC_NUMBER.hex(), __version__))
    (evil / "dataclasses" / hashlib.sha256(build.encode()).hexdigest()).write_bytes(
        marshal.dumps({s: compile(s + planted, "<string>", "exec", dont_inherit=True) for s in sources})
    )
    for folder in (evil, evil / "dataclasses"):
        folder.chmod(0o777)  # not trusted, were it checked
    checked = (real / "dataclasses").stat().st_ino
    swapped: list[bool] = []

    def swap_after(function: Any) -> Any:
        def look(*args: Any, **kwargs: Any) -> Any:
            info = function(*args, **kwargs)
            if not swapped and getattr(info, "st_ino", None) == checked:
                swapped.append(True)  # the private subdirectory was just checked: swap now
                real.rename(cache / "moved")
                real.symlink_to(evil)
            return info

        return look

    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("MONGEN_NO_CACHE", "")
    monkeypatch.delenv("MONGEN_TEST_PLANTED", raising=False)
    monkeypatch.setattr(atexit, "register", lambda function: function)
    saved = {name: getattr(os, name) for name in ("lstat", "fstat")}  # the checks of what a path names
    try:
        for name, function in saved.items():
            setattr(os, name, swap_after(function))
        dataclass_code.install()
    finally:
        for name, function in saved.items():
            setattr(os, name, function)
    try:
        assert _make_class()(1).b == "b"
    finally:
        vars(dataclasses).pop("exec", None)
    assert swapped, "the test did not reach the window between check and read"
    assert "MONGEN_TEST_PLANTED" not in os.environ
