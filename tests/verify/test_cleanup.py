"""verify's servers never outlive it: a closed terminal (SIGHUP) unwinds the run like Ctrl-C, and
a mongen killed outright (SIGKILL, which no handler sees) takes its servers with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.support import ROOT

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from mongen.verify.testbed import interruptible, process
    with interruptible():
        with process(["sleep", "300"], Path(sys.argv[1])) as server:
            print(server.pid, flush=True)
            time.sleep(300)
    """
)


def _gone(pid: int) -> bool:
    """No such process, or a zombie (dead, waiting for whoever adopted it to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"


def _wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGKILL], ids=["SIGHUP", "SIGKILL"])
def test_a_server_dies_with_verify(tmp_path: Path, sig: signal.Signals) -> None:
    run = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "server.log")], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert run.stdout is not None
        server = int(run.stdout.readline())
        assert not _gone(server)
        run.send_signal(sig)
        run.wait(timeout=20)
        assert _wait_gone(server), f"the server (pid {server}) outlived verify after {sig.name}"
    finally:
        run.kill()
        run.wait()
        if "server" in locals() and not _gone(server):
            os.kill(server, signal.SIGKILL)
