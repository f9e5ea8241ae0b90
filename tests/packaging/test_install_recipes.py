"""Every documented way to install mongen, run as written against a local clone of this repository.

The recipes name the repository and the commit as placeholders (`https://github.com/<your-org>/mongen`,
`<full commit SHA>`); the tests put a `git+file://` clone and its HEAD in their place and change
nothing else. Offline: the dependencies come from this Python's site-packages (a venv with system
site packages, pip without an index), mongen itself from the clone, built without isolation.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from tests.support import ROOT, need

REPO_PLACEHOLDER = "https://github.com/<your-org>/mongen"
REV_PLACEHOLDER = "<full commit SHA>"


def _clone(tmp_path: Path) -> tuple[str, str]:
    """A clone of this repository (its committed HEAD), as a URL pip and pre-commit take, and its commit."""
    clone = tmp_path / "mongen-clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, capture_output=True, timeout=120)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=clone, check=True, capture_output=True, text=True
    ).stdout.strip()
    # pip's requirement parser wants a host in a file URL.
    return f"file://localhost{clone}", sha


def _offline_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the installed mongen, not this tree
    env.update(
        PIP_NO_INDEX="1",
        # pip reads this variable backwards: "0" turns build isolation off (setuptools from site-packages).
        PIP_NO_BUILD_ISOLATION="0",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        VIRTUALENV_SYSTEM_SITE_PACKAGES="1",  # pre-commit's hook environment
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
    )
    return env


def _venv(tmp_path: Path) -> Path:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=True).create(env_dir)
    return env_dir / "bin"


def _runs_from(bin_dir: Path, env: dict[str, str], tmp_path: Path) -> None:
    """The installed mongen is the clone's (in the venv, not this tree) and generates a spec."""
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import mongen; print(mongen.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert where.stdout.startswith(str(bin_dir.parent)), where.stdout
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(ROOT / "specs/emotivoice.yaml", work / "spec.yaml")
    proc = subprocess.run(
        [str(bin_dir / "mongen"), "generate", "--no-validate", "spec.yaml", "-o", "out"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (work / "out/prometheus/prometheus.yml").is_file()


def _substituted(command: str, url: str, sha: str) -> str:
    assert REPO_PLACEHOLDER in command and REV_PLACEHOLDER in command, command
    return command.replace(REPO_PLACEHOLDER, url).replace(REV_PLACEHOLDER, sha)


def test_no_recipe_installs_mongen_by_a_package_index_name() -> None:
    by_name = re.compile(r"pip install (-\S+ )*[\"']?mongen\b(?! @)|mongen(==|>=|~=)")
    for path in (ROOT / "README.md", ROOT / "docs/ci/github-actions.yml", ROOT / "Makefile"):
        text = path.read_text("utf-8").replace("never `pip install mongen`", "")  # the README's warning
        assert not by_name.search(text), f"{path.name}: {by_name.search(text)}"
    assert not re.search(r"rev: v\d", (ROOT / "README.md").read_text("utf-8")), "a pre-commit rev naming a tag"


@pytest.mark.e2e
def test_the_readme_pip_recipe(tmp_path: Path) -> None:
    url, sha = _clone(tmp_path)
    (command,) = [
        line.strip() for line in (ROOT / "README.md").read_text("utf-8").splitlines() if 'pip install "mongen @' in line
    ]
    bin_dir, env = _venv(tmp_path), _offline_env(tmp_path)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"  # as in an activated venv
    proc = subprocess.run(
        ["bash", "-c", _substituted(command, url, sha)], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _runs_from(bin_dir, env, tmp_path)


@pytest.mark.e2e
def test_the_workflow_install_step(tmp_path: Path) -> None:
    url, sha = _clone(tmp_path)
    job = yaml.safe_load((ROOT / "docs/ci/github-actions.yml").read_text("utf-8"))["jobs"]["mongen"]
    (step,) = [s for s in job["steps"] if s.get("name") == "Install mongen"]
    assert job["env"] == {"MONGEN_REPO": REPO_PLACEHOLDER, "MONGEN_REV": REV_PLACEHOLDER}
    bin_dir, env = _venv(tmp_path), _offline_env(tmp_path)
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", MONGEN_REPO=url, MONGEN_REV=sha)  # setup-python's pip
    proc = subprocess.run(["bash", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _runs_from(bin_dir, env, tmp_path)


def _readme_pre_commit_config() -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    block = re.search(r"```yaml\n(# \.pre-commit-config\.yaml of the ops repository\n.*?)```", text, re.DOTALL)
    assert block, "the README's .pre-commit-config.yaml"
    return block[1]


@pytest.mark.e2e
def test_the_readme_pre_commit_config(tmp_path: Path) -> None:
    need("promtool")
    pre_commit = shutil.which("pre-commit", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    assert pre_commit, "pre-commit is not installed: pip install -e '.[dev]' (it is in the dev extras)"
    url, sha = _clone(tmp_path)
    env = _offline_env(tmp_path)
    repo = tmp_path / "ops"
    (repo / "specs").mkdir(parents=True)
    (repo / "rules").mkdir()
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    shutil.copy(ROOT / "specs/emotivoice.yaml", repo / "specs/emotivoice.yaml")
    (repo / "mongen.toml").write_text('specs = ["specs/emotivoice.yaml"]\nout = "monitoring"\n', "utf-8")
    rule = (
        "groups:\n  - name: team\n    rules:\n      - record: job:team_errors:ratio_rate5m\n"
        "        expr: job:emoti_voice_tts_requests:error_ratio_rate5m\n"
    )
    (repo / "rules/team.yml").write_text(rule, "utf-8")
    # pre-commit clones a local path as it clones a URL; pip gets the same clone either way.
    config = _substituted(_readme_pre_commit_config(), url, sha).replace(url, url.removeprefix("file://localhost"))
    (repo / ".pre-commit-config.yaml").write_text(config, "utf-8")
    generated = subprocess.run(
        [sys.executable, "-m", "mongen", "generate", "--no-validate"], cwd=repo, capture_output=True, check=False
    )
    assert generated.returncode == 0, generated.stderr
    git("add", "-A")
    git("-c", "user.email=ops@example.com", "-c", "user.name=ops", "commit", "-qm", "ops repo")

    def run_hooks() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pre_commit, "run", "--all-files", "--color", "never"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    clean = run_hooks()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.count("Passed") == 2, clean.stdout
    installed = list((tmp_path / "pre-commit-home").rglob("site-packages/mongen/__init__.py"))
    assert installed, "pre-commit installed mongen from the clone"

    (repo / "rules/team.yml").write_text(rule.replace("error_ratio_rate5m\n", "eror_ratio_rate5m\n"), "utf-8")
    typo = run_hooks()
    assert typo.returncode == 1
    assert "rules/team.yml:5:15: error [unknown-metric]" in typo.stdout, typo.stdout
