"""verify killed with SIGKILL (no handler runs): its nginx leaves no worker behind (one process,
which dies with mongen by its death signal) and its scratch directory is removed by the watchdog."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from tests.support import ROOT, need

NGINX_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from mongen.validate import nginx_conf
    from mongen.verify.testbed import free_port, interruptible, process, scratch_directory
    with interruptible(), scratch_directory("mongen-verify-test-") as work:
        prefix = work / "nginx"
        prefix.mkdir()
        snippet = work / "snippet.conf"
        port = free_port()
        snippet.write_text(f"server {{ listen 127.0.0.1:{port}; location / {{ return 204; }} }}\\n")
        conf = prefix / "nginx.conf"
        conf.write_text(nginx_conf(prefix, snippet))
        with process([sys.argv[1], "-e", "stderr", "-p", str(prefix), "-c", str(conf)], work / "nginx.log"):
            deadline = time.monotonic() + 20
            while not (prefix / "nginx.pid").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            print(work, port, flush=True)
            time.sleep(300)
    """
)


def _answers(port: int) -> bool:
    """Whether something still listens on the port (an nginx worker names no path on its command line)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_sigkill_leaves_no_nginx_process_and_no_scratch_directory() -> None:
    nginx = need("nginx")
    run = subprocess.Popen([sys.executable, "-c", NGINX_SCRIPT, nginx], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout is not None
        shown, port_text = run.stdout.readline().split()
        work, port = Path(shown), int(port_text)
        assert work.is_dir()
        assert _wait(lambda: _answers(port)), "nginx did not start"
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=20)
        assert _wait(lambda: not _answers(port)), "an nginx process outlived the killed run, still listening"
        assert _wait(lambda: not work.exists()), "the scratch directory outlived the killed run"
    finally:
        run.kill()
        run.wait()


def _wait(condition: Callable[[], bool], seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
