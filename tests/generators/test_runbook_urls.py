"""Runbooks belong to mongen (generated, never edited; the team's notes live in its own runbooks)
and alerts link them by an absolute URL whenever the spec or the project config says where they
are served; `generate` warns when it cannot."""

from __future__ import annotations

from pathlib import Path

import yaml

from mongen import pipeline
from tests.support import ROOT, mongen

WEB = "https://github.com/acme/ops/blob/main/monitoring/runbooks"


def _repo(root: Path, config_extra: str = "", spec_edit: tuple[str, str] | None = None) -> Path:
    (root / "specs").mkdir(parents=True)
    (root / ".git").mkdir()
    text = (ROOT / "specs/emotivoice.yaml").read_text("utf-8")
    if spec_edit:
        assert spec_edit[0] in text
        text = text.replace(spec_edit[0], spec_edit[1], 1)
    (root / "specs/emotivoice.yaml").write_text(text, "utf-8")
    (root / "mongen.toml").write_text(f'specs = ["specs/emotivoice.yaml"]\nout = "monitoring"\n{config_extra}', "utf-8")
    return root


def _runbook_urls(root: Path) -> set[str]:
    rules = yaml.safe_load((root / "monitoring/prometheus/rules/emotivoice-alerts.yml").read_text("utf-8"))
    return {rule["annotations"]["runbook_url"] for group in rules["groups"] for rule in group["rules"]}


def test_the_project_config_makes_every_runbook_url_absolute(tmp_path: Path) -> None:
    root = _repo(tmp_path / "ops", f'runbooks_url = "{WEB}/"\n')
    proc = mongen("generate", "--no-validate", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "runbook-url" not in proc.stdout
    urls = _runbook_urls(root)
    assert f"{WEB}/EmotivoiceTargetDown.md" in urls
    assert all(url.startswith(WEB + "/") and url.endswith(".md") for url in urls), urls
    # Each URL names a page the run wrote.
    for url in urls:
        assert (root / "monitoring/runbooks" / url.rsplit("/", 1)[1]).is_file(), url


def test_the_spec_says_it_for_its_service(tmp_path: Path) -> None:
    own = "https://git.example.com/ops/src/branch/main/monitoring/runbooks"
    root = _repo(
        tmp_path / "ops",
        f'runbooks_url = "{WEB}"\n',
        ("  namespace: emoti_voice\n", f"  namespace: emoti_voice\n  runbooks_url: {own}\n"),
    )
    assert mongen("generate", "--no-validate", cwd=root).returncode == 0
    assert all(url.startswith(own + "/") for url in _runbook_urls(root))


def test_without_a_base_generate_warns_once_per_service(tmp_path: Path) -> None:
    root = _repo(tmp_path / "ops")
    proc = mongen("generate", "--no-validate", cwd=root)
    assert proc.returncode == 0
    warnings = [line for line in proc.stdout.splitlines() if "[runbook-url]" in line]
    assert len(warnings) == 1, proc.stdout
    assert warnings[0].startswith("monitoring/prometheus/rules/emotivoice-alerts.yml:")
    assert "set `runbooks_url` in the project config" in warnings[0]
    assert _runbook_urls(root) >= {"runbooks/EmotivoiceTargetDown.md"}
    line = int(warnings[0].split(":")[1])
    text = (root / "monitoring/prometheus/rules/emotivoice-alerts.yml").read_text("utf-8").splitlines()
    assert "runbook_url: runbooks/" in text[line - 1]


def test_a_broken_runbooks_url_in_the_config_is_an_error(tmp_path: Path) -> None:
    root = _repo(tmp_path / "ops", 'runbooks_url = "github.com/acme/ops"\n')
    proc = mongen("generate", "--no-validate", cwd=root)
    assert proc.returncode == 2
    assert proc.stderr.startswith("mongen.toml:3:1: error: runbooks_url: expected the web URL of the generated")


def test_pages_say_they_are_generated_and_an_edit_is_drift(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = pipeline.generate(str(ROOT / "specs/emotivoice.yaml"), out, validate=False)
    assert result.written
    page = out / "runbooks/EmotivoiceTargetDown.md"
    text = page.read_text("utf-8")
    assert "Generated from the spec, never edited" in text and "## Your team's notes" in text
    assert "fill in" not in text and "Copy it" not in text
    page.write_text(text + "\nour notes\n", "utf-8")
    drift = pipeline.generate(str(ROOT / "specs/emotivoice.yaml"), out, validate=False, check=True)
    assert "-our notes" in drift.diff
