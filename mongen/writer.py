"""Writing output: render into a temp dir next to the target, validate there, then swap it in.

A failed run leaves the previous output directory byte-identical. Around DIR live only mongen's
own names: `.DIR.mongen-lock` (held while a run writes DIR, so concurrent runs fail cleanly),
`.DIR.mongen-new-XXXXXXXX` (the staging copy) and `.DIR.mongen-old-XXXXXXXX` (the previous
output during a two-rename swap). A run that is killed leaves at most those behind; the next run
removes them, and first puts the previous output back if the kill came between the two renames.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mongen.errors import FileSystemError, OutputError
from mongen.layout import MARKER
from mongen.ownership import folders_of, listing_text, read_marker, read_regular_file, take_inventory
from mongen.serialize import quoted_path

__all__ = ["OutputError", "atomic_replace", "read_tree", "recover", "write_tree"]

_TEMP_SUFFIX = re.compile(r"[a-z0-9_]{8}")  # the random part tempfile.mkdtemp appends
_READ_LIMIT = 64 << 20


def write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)


def read_tree(root: Path) -> dict[str, str]:
    """Every regular file below `root` as text ("<binary file>" when it is not UTF-8); symbolic
    links, FIFOs and other special files are neither followed nor read."""
    out: dict[str, str] = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            if stat.S_ISREG(path.lstat().st_mode):
                text = read_regular_file(path, _READ_LIMIT)
                out[path.relative_to(root).as_posix()] = text if isinstance(text, str) else "<binary file>"
    return dict(sorted(out.items()))


@contextmanager
def _file_system(action: str) -> Iterator[None]:
    """Ordinary OS failures (no space, no permission, a loop of links) become FileSystemError."""
    try:
        yield
    except OSError as exc:
        raise FileSystemError(action, exc) from None
    except RuntimeError as exc:  # Path.resolve() on Python < 3.13 reports a loop of links so
        raise FileSystemError(action, OSError(errno.ELOOP, str(exc))) from None


@contextmanager
def _locked(out_dir: Path, shown: str) -> Iterator[None]:
    """Hold `.DIR.mongen-lock` (fcntl) while writing DIR; a second run fails at once instead of
    racing the first one's swap. The lock file stays: removing it would let two runs lock two files."""
    path = out_dir.parent / f".{out_dir.name}.mongen-lock"
    with _file_system(f"lock {shown}"):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OutputError(f"{quoted_path(str(path))} is not mongen's lock file (not a regular file); remove it")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"another mongen run is writing {shown} (it holds {quoted_path(str(path))}); "
                "wait for it to finish, then run again"
            ) from None
        yield
    finally:
        os.close(fd)


def _leftovers(out_dir: Path, kind: str) -> list[Path]:
    """`.DIR.mongen-<kind>-XXXXXXXX` directories that killed runs left next to DIR."""
    prefix = f".{out_dir.name}.mongen-{kind}-"
    with os.scandir(out_dir.parent) as entries:
        return sorted(
            Path(entry.path)
            for entry in entries
            if entry.name.startswith(prefix)
            and _TEMP_SUFFIX.fullmatch(entry.name[len(prefix) :])
            and entry.is_dir(follow_symlinks=False)
        )


def recover(out_dir: Path, shown: str | None = None) -> None:
    """Undo what a killed run left: put the previous output back when the kill came between the
    swap's two renames (DIR missing, its `-old-` copy present), then remove the staging and old
    copies. A staging copy is never promoted: it may be incomplete or unvalidated. `shown`: DIR as
    the user gave it, for messages."""
    shown = shown or quoted_path(str(out_dir))
    old = _leftovers(out_dir, "old")
    if old and not os.path.lexists(out_dir):
        if len(old) > 1:
            names = ", ".join(quoted_path(p.name) for p in old)
            raise OutputError(
                f"{shown} is missing and killed runs left several previous outputs ({names}); "
                f"rename the one to keep to {quoted_path(out_dir.name)} and run again"
            )
        os.rename(old.pop(), out_dir)
    for leftover in _leftovers(out_dir, "new") + old:
        shutil.rmtree(leftover)


def check_owned(out_dir: Path, prune: bool, shown: str | None = None) -> None:
    """Refuse to replace a directory that is not mongen's, or that holds entries mongen did not
    write (unless `prune`): replacing DIR deletes everything in it. `shown`: DIR for messages."""
    shown = shown or quoted_path(str(out_dir))
    if not os.path.lexists(out_dir):
        return
    if not out_dir.is_dir():
        raise OutputError(f"{shown} exists and is not a directory; pick another output directory")
    if not any(out_dir.iterdir()):
        return
    listing = read_marker(out_dir)
    if listing is None:
        raise OutputError(
            f"refusing to replace {shown}: it is not empty and was not written by mongen "
            f"(no {MARKER} marker file with mongen's content); pick an empty or mongen-owned output directory"
        )
    foreign = take_inventory(out_dir, listing | {MARKER}).other
    if foreign and not prune:
        raise OutputError(
            f"refusing to replace {shown}: it holds {len(foreign)} "
            f"{'entry' if len(foreign) == 1 else 'entries'} mongen did not write: {listing_text(foreign)}. "
            "Move them out of it, or pass --prune to delete them with the old output"
        )


def _up_to_date(out_dir: Path, files: dict[str, str]) -> bool:
    """Whether `out_dir` holds exactly `files`, as regular files with that text, and nothing else
    (not even bytecode caches of the generated module, which a replace removes), with the modes a
    replace gives, and no file linked from elsewhere: a file or folder someone made unreadable (or
    writable by others), or a hard link, is written again, as it was before runs left an
    up-to-date output alone."""
    if not out_dir.is_dir():
        return False
    inventory = take_inventory(out_dir, files)
    if inventory.other or inventory.caches or len(inventory.expected) != len(files):
        return False
    umask = os.umask(0o022)
    os.umask(umask)
    modes = {"": 0o755, **{folder: 0o777 & ~umask for folder in folders_of(files)}}
    modes.update({rel: 0o666 & ~umask for rel in files})
    if any(stat.S_IMODE(os.lstat(out_dir / rel).st_mode) != mode for rel, mode in modes.items()):
        return False
    if any(os.lstat(out_dir / rel).st_nlink != 1 for rel in files):
        return False  # a hard link elsewhere would change the output when edited; a replace unlinks it
    return all(read_regular_file(out_dir / rel, _READ_LIMIT) == text for rel, text in files.items())


# Linux renameat2(2): swap two paths in one step. From <linux/fs.h> and <fcntl.h>.
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically, so neither a reader nor a kill ever sees one missing.
    False where the C library, kernel or file system cannot (the caller then renames twice)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _swap(staging: Path, out_dir: Path) -> None:
    """Put `staging` in DIR's place. Removing the previous output afterwards is best effort: the
    new output is in place, and whatever stays behind is removed by recover() on the next run."""
    if not os.path.lexists(out_dir):
        os.rename(staging, out_dir)
        return
    if _exchange(staging, out_dir):
        shutil.rmtree(staging, ignore_errors=True)  # now the previous output
        return
    backup = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.mongen-old-", dir=out_dir.parent))
    backup.rmdir()
    os.rename(out_dir, backup)
    # A kill here leaves no DIR: recover() on the next run renames the backup back.
    try:
        os.rename(staging, out_dir)
    except OSError:
        os.rename(backup, out_dir)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def atomic_replace(
    out_dir: Path, files: dict[str, str], validate: Callable[[Path], bool], *, prune: bool = False
) -> bool:
    """Write `files` into a fresh dir, run `validate` on it, and only if it passes swap it in. A
    DIR that already holds exactly `files` is left as it is and validated in place.

    Returns validate's verdict; on False the previous directory is untouched. Raises OutputError
    when DIR is not mongen's to replace, FileSystemError when the OS refuses.
    """
    shown = quoted_path(str(out_dir))
    with _file_system(f"write {shown}"):
        out_dir = out_dir.resolve()
        if out_dir == out_dir.parent:
            raise OutputError(f"refusing to replace {shown}: it is the root of the file system")
        check_owned(out_dir, prune, shown)  # first, so a refused directory gets no lock file beside it
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _locked(out_dir, shown):
        with _file_system(f"write {shown}"):
            recover(out_dir, shown)
            check_owned(out_dir, prune, shown)
            if _up_to_date(out_dir, files):
                # Nothing to write and no previous output to delete (removing its ~16 folders
                # costs more than the rest of a bare run on some file systems); files keep their
                # modification times, so make and file watchers see no change.
                return validate(out_dir)
            staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.mongen-new-", dir=out_dir.parent))
        try:
            with _file_system(f"write {shown}"):
                write_tree(staging, files)
            if not validate(staging):
                return False
            with _file_system(f"write {shown}"):
                os.chmod(staging, 0o755)
                check_owned(out_dir, prune, shown)  # again: someone may have added a file while we validated
                _swap(staging, out_dir)
            return True
        finally:
            shutil.rmtree(staging, ignore_errors=True)
