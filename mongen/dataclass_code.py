"""Dataclass methods compiled once, not on every run.

Python writes each dataclass's `__init__`, `__repr__`, `__eq__`, `__hash__` (and a frozen one's
`__setattr__`/`__delattr__`) as source text when the class is defined and compiles it with
`exec`: for the ~100 dataclasses a `mongen generate` imports that is ~550 compiles, the largest
part of mongen's own start-up after the imports themselves. The text depends only on the class,
so `install()` gives the dataclasses module an `exec` that compiles each text once and keeps the
code objects in mongen's cache directory (tool_cache: a private one, since an entry is code that
mongen runs), in one file per Python build.

The stand-in compiles exactly as `exec` does (file name `<string>`, no inherited `__future__`
flags: the dataclasses module has none) and runs the code with the same namespaces, so a class
gets the same methods. Only the CLI installs it, before it imports the pipeline; a library user of
mongen keeps the standard behaviour. `MONGEN_NO_CACHE=1` turns it off with the other caches.
"""

from __future__ import annotations

import atexit
import builtins
import dataclasses
import hashlib
import marshal
import sys
from importlib.util import MAGIC_NUMBER
from types import CodeType
from typing import Any

from mongen import __version__
from mongen.tool_cache import PassCache

_KIND = "dataclasses"


def install() -> None:
    """From now on, dataclass methods come from the cache, or are compiled and added to it; the
    additions are written when the process exits. Does nothing when the cache is off or untrusted,
    or when installed already."""
    if "exec" in vars(dataclasses):
        return
    directory = PassCache.from_environment().private_directory(_KIND)
    if directory is None:
        return
    build = "\0".join((sys.version, MAGIC_NUMBER.hex(), __version__))
    entry = hashlib.sha256(build.encode()).hexdigest()
    known = _codes(directory.read(entry))
    added: dict[str, CodeType] = {}

    def cached_exec(source: Any, globals: Any = None, locals: Any = None) -> None:
        if not isinstance(source, str):
            builtins.exec(source, globals, locals)
            return
        code = known.get(source)
        if code is None:
            code = added[source] = compile(source, "<string>", "exec", dont_inherit=True)
        builtins.exec(code, globals, locals)

    def save() -> None:
        with directory:
            if added:
                directory.write(entry, marshal.dumps({**known, **added}))

    dataclasses.exec = cached_exec  # type: ignore[attr-defined]  # shadows the builtin for that module only
    atexit.register(save)


def _codes(stored: bytes | None) -> dict[str, CodeType]:
    """The code objects an entry holds by their source; none for a missing or unreadable one (they
    are compiled again and the entry rewritten)."""
    if stored is None:
        return {}
    try:
        loaded = marshal.loads(stored)
    except (EOFError, ValueError, TypeError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, CodeType)}
