"""The `make bench` row "lint 10,000 rules / promtool check rules" alone, for iterating on lint's
speed: the same rule file (run.synthetic_rules) and commands as bench/run.py, in turns, medians.

    python bench/lint_row.py [RUNS] [OTHER_CHECKOUT ...]

Each other checkout (a directory holding another version of mongen, e.g. `git worktree add`) runs
the same two lint commands in the same turns, so the ratios compare on equal machine noise.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from run import ROOT, synthetic_rules


def _timed(args: list[str], cwd: Path) -> float:
    # As `make bench` runs it: bytecode caches on, each checkout importing its own mongen.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPATH": str(cwd)}
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    checkouts = [ROOT, *(Path(p).resolve() for p in sys.argv[2:])]
    with tempfile.TemporaryDirectory(prefix="mongen-lint-row-") as tmp:
        rules_file = Path(tmp) / "rules-10k.yml"
        rules_file.write_text(yaml.safe_dump(synthetic_rules(), sort_keys=False))
        commands: list[tuple[str, list[str], Path]] = [
            ("promtool check rules", ["promtool", "check", "rules", str(rules_file)], ROOT)
        ]
        for checkout in checkouts:
            lint = [sys.executable, "-m", "mongen", "lint", "--no-promtool", "--spec", "specs/emotivoice.yaml"]
            lint.append(str(rules_file))
            commands.append((f"lint, {os.cpu_count()} CPUs ({checkout})", lint, checkout))
            commands.append((f"lint --jobs 1 ({checkout})", [*lint, "--jobs", "1"], checkout))
        for _, args, cwd in commands[1:]:
            _timed(args, cwd)  # writes bytecode
        times: dict[str, list[float]] = {name: [] for name, _, _ in commands}
        for _ in range(runs):
            for name, args, cwd in commands:
                times[name].append(_timed(args, cwd))
    base = statistics.median(times["promtool check rules"])
    for name, measured in times.items():
        median = statistics.median(measured)
        each = " ".join(f"{t:.2f}" for t in measured)
        print(f"{name}: median of {runs} {median:.2f} s, ratio to promtool {median / base:.2f} ({each})")


if __name__ == "__main__":
    main()
