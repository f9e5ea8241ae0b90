"""A missing or removed PROMETHEUS_MULTIPROC_DIR never raises into the service: at import and in
a worker forked after the directory vanished, the module keeps its metrics in process and says
so in one log line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.generated_module import write_module

LOAD = r"""
import importlib.util, os, shutil, sys
spec = importlib.util.spec_from_file_location("emotivoice_metrics", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
from prometheus_client import generate_latest
def record():
    m.record_request(method="POST", endpoint="/synthesize", status=200, emotion="sad", duration_seconds=1.0)
    with m.track_request(method="POST", endpoint="/synthesize", emotion="sad"):
        pass
    m.observe_inference(0.2)
    m.set_gpu_memory(1e9)
def sad():
    text = generate_latest(m.REGISTRY).decode()
    return [line for line in text.splitlines() if line.startswith('emoti_voice_tts_requests_by_emotion_total{emotion="sad"}')]
"""


def run(script: str, module: Path, multiproc_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir)}
    return subprocess.run(
        [sys.executable, "-c", LOAD + script, str(module)], env=env, timeout=60, capture_output=True, text=True
    )


def test_a_missing_multiproc_dir_falls_back_to_in_process_metrics_at_import(
    default_files: dict[str, str], tmp_path: Path
) -> None:
    module = write_module(tmp_path, default_files)
    result = run("record(); print(m.MULTIPROCESS, sad())", module, tmp_path / "gone")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['emoti_voice_tts_requests_by_emotion_total{emotion=\"sad\"} 2.0']"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not a directory" in lines[0] and "metrics stay in this process" in lines[0], lines


def test_a_multiproc_dir_removed_before_a_fork_never_raises_in_the_worker(
    default_files: dict[str, str], tmp_path: Path
) -> None:
    module = write_module(tmp_path, default_files)
    directory = tmp_path / "mp"
    directory.mkdir()
    script = r"""
record()
shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"])
pid = os.fork()
if pid == 0:
    try:
        record(); record()
        print("child", m.MULTIPROCESS, sad(), flush=True)
        os._exit(0)
    except BaseException as error:
        print("child raised", repr(error), flush=True)
        os._exit(1)
_, status = os.waitpid(pid, 0)
print("child exit", os.waitstatus_to_exitcode(status))
"""
    result = run(script, module, directory)
    assert result.returncode == 0, result.stderr
    assert "child False ['emoti_voice_tts_requests_by_emotion_total{emotion=\"sad\"} 4.0']" in result.stdout
    assert "child exit 0" in result.stdout, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "metrics stay in this process" in lines[0], lines


def test_a_usable_multiproc_dir_stays_in_multiprocess_mode(default_files: dict[str, str], tmp_path: Path) -> None:
    module = write_module(tmp_path, default_files)
    directory = tmp_path / "mp"
    directory.mkdir()
    result = run("record(); print(m.MULTIPROCESS)", module, directory)
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, "True", "")
    assert any(directory.iterdir())
