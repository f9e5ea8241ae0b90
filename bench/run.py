"""`make bench`: speed and memory of mongen, measured side by side in one run.

Rows: bare `mongen generate` of the default spec against the bare import of its dependencies;
`mongen generate` of the default spec (with and without validation) and of a
synthetic large spec (500 metrics, 100 SLOs); full validation against the bare generate of
each showcase spec, cold (empty rule-test cache) and warm (mongen/tool_cache.py); lint of the
spec's own rules with promtool against promtool alone; rule generation for 100 SLOs; lint of
10,000 rules against promtool; the generated record_request() against the same updates
written as raw prometheus_client calls; the NVML collector's cost per scrape (bench/nvml_scrape.py);
requests/s of a Starlette app with the generated MetricsMiddleware vs without (bench/middleware_rps.py).
Every mongen process gets its own empty cache unless a
row says warm.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from middleware_rps import middleware_rows
from nvml_scrape import nvml_rows

ROOT = Path(__file__).resolve().parent.parent


def run_cli(args: list[str], cwd: Path, cache: Path | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one `python -m mongen ...` process, interpreter start included;
    `cache` is the XDG_CACHE_HOME it runs with (default: a fresh empty one, so nothing is cached)."""
    with tempfile.TemporaryDirectory(prefix="mongen-bench-cache-") as empty:
        env = {**os.environ, "XDG_CACHE_HOME": str(cache or empty)}
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "mongen", *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"mongen {' '.join(args)} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_maxrss / 1024


# What `mongen generate` imports that is not mongen: the floor any run of it pays.
DEPENDENCY_IMPORT = "import typer, jinja2, yaml, grafanalib.core, jsonschema, prometheus_client, promql_parser"


def process_times(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return wall, usage.ru_utime + usage.ru_stime


def startup_rows(tmp_path: Path, runs: int = 9) -> list[tuple[str, str]]:
    """Bare `generate` of the default spec against the bare import of its dependencies, in turns,
    as an installed mongen runs: bytecode caches on (PYTHONDONTWRITEBYTECODE unset) and its
    template cache filled by an earlier run, which is what a second run on any machine finds."""
    cache = tmp_path / "startup-cache"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"XDG_CACHE_HOME": str(cache)}
    generate = [sys.executable, "-m", "mongen", "generate", "specs/emotivoice.yaml", "-o", str(tmp_path / "bare")]
    generate.append("--no-validate")
    imports = [sys.executable, "-c", DEPENDENCY_IMPORT]
    process_times(generate, env)  # fills the template cache and writes bytecode
    process_times(imports, env)
    pairs = [(process_times(generate, env), process_times(imports, env)) for _ in range(runs)]
    gen_wall, dep_wall = (statistics.median(p[i][0] for p in pairs) for i in (0, 1))
    gen_cpu, dep_cpu = (statistics.median(p[i][1] for p in pairs) for i in (0, 1))
    return [
        (f"bare dependency import (median of {runs})", f"{dep_wall:.3f} s wall, {dep_cpu:.3f} s CPU"),
        (
            f"bare generate default spec, warm caches (median of {runs})",
            f"{gen_wall:.3f} s wall, ratio to dependency import {gen_wall / dep_wall:.2f}x wall, "
            f"{gen_cpu / dep_cpu:.2f}x CPU (target <= 1.5x)",
        ),
    ]


def median_run(args: list[str], runs: int, cache: Path | None = None) -> tuple[float, float]:
    results = [run_cli(args, ROOT, cache) for _ in range(runs)]
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def large_spec(metrics: int = 500, slos: int = 100) -> dict[str, object]:
    spec = yaml.safe_load((ROOT / "specs/emotivoice.yaml").read_text())
    base = spec["metrics"]
    spec["service"]["max_series_per_instance"] = 10**7
    out = list(base)
    for i in range(metrics - len(base)):
        kind = ("counter", "histogram", "gauge")[i % 3]
        metric: dict[str, object] = {
            "name": f"emoti_voice_synthetic_{i}_{'total' if kind == 'counter' else 'seconds' if kind == 'histogram' else 'bytes'}",
            "type": kind,
            "help": f"synthetic metric {i}",
            "labels": ["endpoint"] if i % 2 else [],
        }
        if kind == "histogram":
            metric["buckets"] = [0.1, 0.5, 1, 5, 10]
        if kind == "counter" and i % 2:
            metric["errors"] = {"endpoint": "other"}
        out.append(metric)
    spec["metrics"] = out
    spec["slos"] = [
        {
            "name": f"slo_{i}",
            "objective": 99.5,
            "period": ("7d", "28d", "30d")[i % 3],
            "sli": {
                "ratio": {
                    "metric": "emoti_voice_tts_requests_total",
                    "errors": {"status": ["500", "503"]},
                    "total": {"endpoint": "/synthesize"},
                }
            },
        }
        for i in range(slos)
    ]
    return spec


def bench_rules(spec_path: Path) -> float:
    from mongen.generators import rules
    from mongen.loading import load_spec
    from mongen.rules.ruleset import rule_set

    spec = load_spec(spec_path)
    times = []
    for _ in range(3):
        rule_set.cache_clear()
        start = time.perf_counter()
        rules.generate(spec)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_record_request(module_file: Path, n: int = 200_000) -> tuple[float, float]:
    spec = importlib.util.spec_from_file_location("bench_metrics", module_file)
    assert spec and spec.loader
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    requests, duration, by_emotion, length = (
        m.EMOTI_VOICE_TTS_REQUESTS,
        m.EMOTI_VOICE_TTS_REQUEST_DURATION_SECONDS,
        m.EMOTI_VOICE_TTS_REQUESTS_BY_EMOTION,
        m.EMOTI_VOICE_TTS_INPUT_TEXT_LENGTH_CHARACTERS,
    )

    def raw() -> None:
        for _ in range(n):
            requests.labels("POST", "/synthesize", "200", "happy").inc()
            duration.labels("/synthesize").observe(1.2)
            by_emotion.labels("happy").inc()
            length.observe(80)

    def generated() -> None:
        record = m.record_request
        for _ in range(n):
            record(
                method="POST",
                endpoint="/synthesize",
                status="200",
                emotion="happy",
                duration_seconds=1.2,
                text_length=80,
            )

    best = {}
    for name, fn in (("raw", raw), ("generated", generated)) * 3:
        start = time.perf_counter()
        fn()
        elapsed = (time.perf_counter() - start) / n * 1e9
        best[name] = min(best.get(name, float("inf")), elapsed)
    return best["generated"], best["raw"]


def synthetic_rules(count: int = 10_000) -> dict[str, object]:
    """A rule file of `count` rules over the default spec's metrics (records and alerts)."""
    rules: list[dict[str, object]] = []
    emotions = ("happy", "sad", "angry", "neutral", "surprised")
    for i in range(count):
        emotion = emotions[i % 5]
        if i % 4 == 3:
            rules.append(
                {
                    "alert": f"Synthetic{i}",
                    "expr": f'emotion:emoti_voice_tts_requests:error_ratio_rate5m{{emotion="{emotion}"}} > {i / count:.6f}',
                    "for": "5m",
                    "labels": {"severity": "page"},
                    "annotations": {"summary": "s {{ $labels.emotion }}", "description": "d"},
                }
            )
        else:
            rules.append(
                {
                    "record": f"endpoint:synthetic_{i}:rate5m",
                    # `* i` keeps every expression distinct, as in a real file (no parse is shared).
                    "expr": f'sum by (job, endpoint) (rate(emoti_voice_tts_requests_total{{emotion="{emotion}",status=~"5.."}}[5m])) * {i}',
                }
            )
    rules.append(
        {
            "record": "emotion:emoti_voice_tts_requests:error_ratio_rate5m",
            "expr": "sum by (job, emotion) (rate(emoti_voice_tts_requests_total[5m]))",
        }
    )
    return {
        "groups": [{"name": f"g{j}", "rules": rules[j * 500 : (j + 1) * 500]} for j in range(len(rules) // 500 + 1)]
    }


def timed(args: list[str], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed_together(commands: list[list[str]], runs: int) -> list[float]:
    """Median wall time of each command, run in turns so that machine noise hits all of them alike."""
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for i, args in enumerate(commands):
            times[i].append(timed(args, 1))
    return [statistics.median(t) for t in times]


def validation_rows(tmp_path: Path, spec: str, target: float, runs: int) -> list[tuple[str, str]]:
    """Full validation against the bare generate of the same spec, in turns: cold (an empty rule-test
    cache, as on a fresh CI machine) and warm (the cache filled by an earlier run of the same output)."""
    name = Path(spec).stem
    out = str(tmp_path / f"{name}-validated")
    bare_args = ["generate", spec, "-o", str(tmp_path / f"{name}-bare"), "--no-validate"]
    warm_cache = tmp_path / f"{name}-warm-cache"
    run_cli(["generate", spec, "-o", out], ROOT, warm_cache)  # fills the warm cache
    bare, cold, warm = [], [], []
    for _ in range(runs):
        bare.append(run_cli(bare_args, ROOT)[0])
        cold.append(run_cli(["generate", spec, "-o", out], ROOT)[0])
        warm.append(run_cli(["generate", spec, "-o", out], ROOT, warm_cache)[0])
    bare_s, cold_s, warm_s = (statistics.median(t) for t in (bare, cold, warm))
    return [
        (f"generate {name}, no validation (median of {runs})", f"{bare_s:.3f} s"),
        (
            f"generate {name}, validation cold (median of {runs})",
            f"{cold_s:.2f} s, ratio to no validation {cold_s / bare_s:.1f}x (target <= {target:g}x)",
        ),
        (
            f"generate {name}, validation warm (median of {runs})",
            f"{warm_s:.2f} s, ratio to no validation {warm_s / bare_s:.1f}x",
        ),
    ]


def lint_promtool_rows(tmp_path: Path, spec: str, runs: int) -> list[tuple[str, str]]:
    """`mongen lint` of the spec's own rules (static checks, promtool check rules and the rules' unit
    tests) against promtool alone on the same files: `promtool check rules` on the rule files plus
    `promtool test rules` on the tests, best of the runs."""
    out = tmp_path / "lint-files"
    run_cli(["generate", spec, "-o", str(out), "--no-validate"], ROOT)
    rules = sorted(str(p) for p in (out / "prometheus/rules").glob("*.yml"))
    tests = sorted(p.name for p in (out / "prometheus/tests").glob("*.yml"))
    promtool, lint_cold, lint_warm = [], [], []
    warm_cache = tmp_path / "lint-warm-cache"
    run_cli(["lint", "--spec", spec], ROOT, warm_cache)
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(["promtool", "check", "rules", *rules], capture_output=True, check=True)
        subprocess.run(
            ["promtool", "test", "rules", *tests], cwd=out / "prometheus/tests", capture_output=True, check=True
        )
        promtool.append(time.perf_counter() - start)
        lint_cold.append(run_cli(["lint", "--spec", spec], ROOT)[0])
        lint_warm.append(run_cli(["lint", "--spec", spec], ROOT, warm_cache)[0])
    base = min(promtool)
    cold, warm = statistics.median(lint_cold), statistics.median(lint_warm)
    return [
        (f"promtool check rules + test rules, {Path(spec).stem} (best of {runs})", f"{base:.2f} s"),
        (
            f"lint {Path(spec).stem}'s own rules, promtool included, cold (median of {runs})",
            f"{cold:.2f} s, ratio to promtool {cold / base:.2f} (target <= 3)",
        ),
        (
            f"lint {Path(spec).stem}'s own rules, promtool included, warm (median of {runs})",
            f"{warm:.2f} s, ratio to promtool {warm / base:.2f}",
        ),
    ]


def main() -> None:
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="mongen-bench-") as tmp:
        tmp_path = Path(tmp)
        small_wall, small_rss = median_run(
            ["generate", "specs/emotivoice.yaml", "-o", str(tmp_path / "small"), "--no-validate"], 7
        )
        rows.append(
            (
                "generate default spec, no validation (median of 7)",
                f"{small_wall:.3f} s, peak RSS {small_rss:.0f} MiB (target < 0.5 s)",
            )
        )
        rows += startup_rows(tmp_path)
        rows += validation_rows(tmp_path, "specs/emotivoice.yaml", 8, 3)
        rows += validation_rows(tmp_path, "specs/multi-slo.yaml", 10, 3)
        rows += lint_promtool_rows(tmp_path, "specs/emotivoice.yaml", 3)
        large = tmp_path / "large.yaml"
        large.write_text(yaml.safe_dump(large_spec()))
        large_wall, large_rss = median_run(["generate", str(large), "-o", str(tmp_path / "large"), "--no-validate"], 3)
        rows.append(
            (
                "generate 500 metrics / 100 SLOs, no validation (median of 3)",
                f"{large_wall:.3f} s, peak RSS {large_rss:.0f} MiB (target < 3 s)",
            )
        )
        rows.append(
            ("ratio large / default spec", f"{large_wall / small_wall:.2f}x wall, {large_rss / small_rss:.2f}x RSS")
        )
        rows.append(("rule generation, 100 SLOs (in process, median of 3)", f"{bench_rules(large) * 1000:.1f} ms"))
        rules_file = tmp_path / "rules-10k.yml"
        rules_file.write_text(yaml.safe_dump(synthetic_rules(), sort_keys=False))
        # With the spec: every check runs (without one, lint skips the spec's checks).
        spec = ["--spec", "specs/emotivoice.yaml"]
        lint = [sys.executable, "-m", "mongen", "lint", "--no-promtool", *spec, str(rules_file)]
        promtool_time, lint_time, serial_time = timed_together(
            [["promtool", "check", "rules", str(rules_file)], lint, [*lint, "--jobs", "1"]], 5
        )
        rows.append(("promtool check rules, 10,000 rules (median of 5)", f"{promtool_time:.2f} s"))
        rows.append(
            (
                f"lint 10,000 rules, static checks, {os.cpu_count()} CPUs (median of 5)",
                f"{lint_time:.2f} s, ratio to promtool {lint_time / promtool_time:.2f} (target <= 1.0, at worst 1.5)",
            )
        )
        rows.append(
            (
                "lint 10,000 rules, one process (--jobs 1, median of 5)",
                f"{serial_time:.2f} s, ratio to promtool {serial_time / promtool_time:.2f}",
            )
        )
        gen, raw = bench_record_request(tmp_path / "small/instrumentation/emotivoice_metrics.py")
        rows.append(
            (
                "record_request() vs raw prometheus_client calls",
                f"{gen:.0f} ns vs {raw:.0f} ns per request, ratio {gen / raw:.2f} (target <= 1.15)",
            )
        )
        rows += nvml_rows(tmp_path)
        rows += middleware_rows(tmp_path, tmp_path / "small/instrumentation/emotivoice_metrics.py")
    width = max(len(name) for name, _ in rows)
    print(f"{'benchmark':<{width}}  result")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
