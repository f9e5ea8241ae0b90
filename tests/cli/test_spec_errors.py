"""Spec errors through the CLI's own entry point, in-process and even with --no-validate: exit 2,
exactly the failure case's `FILE:LINE:COL` lines on stderr, nothing on stdout and nothing written.
The cases are the ones that were once exit 70 (a traceback) or exit 0 with a broken file: text
that would end a line early, values no tool can read, values that would be unescaped in an
artifact, and secrets or intervals no deployment should carry."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mongen import cli
from tests.support.failure_cases import CASES, SPEC_NAME

# Failure cases (tests/spec_failure_cases/<section>.yaml) that once got past the spec layer.
CLI_CASES = (
    # Line breaks in scalars, which would split an error line or an artifact's line.
    "scalars:trailing_newline",
    "scalars:newline_in_free_text",
    # Schema-valid values that crashed a later stage (exit 70).
    "labels:status_label_misspelt",
    "metrics:histogram_without_buckets",
    "alerts:quantile_beyond_p999",
    "alerts:quantile_of_0_99995",
    "alerts:quantile_of_0_00001",
    "slos:objective_beyond_six_nines",
    "scalars:infinite_bucket",
    "metrics:no_requests_role",
    "loader:alias_bomb",
    # Values an artifact would carry unescaped or a tool would misread.
    "exposure:bind_address_with_a_scope_id",
    "exposure:allowed_cidr_with_a_scope_id",
    "scalars:nan_threshold",
    "alerts:for_beyond_a_year",
    "exposure:server_name_star",
    "exposure:listen_on_no_address",
    "exposure:listen_port_out_of_range",
    "scrape:file_sd_outside_the_ops_tree",
    # Credentials in a webhook URL, a scrape interval of a millisecond.
    "routing:webhook_with_a_robot_token",
    "routing:webhook_with_a_password",
    "scrape:interval_of_a_millisecond",
)
BY_ID = {case.id: case for case in CASES}


@pytest.mark.parametrize("case_id", CLI_CASES)
def test_spec_error_through_the_entry_point(
    case_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = BY_ID[case_id]
    (tmp_path / SPEC_NAME).write_bytes(case.text.encode(case.encoding, "surrogatepass"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["mongen", "generate", SPEC_NAME, "-o", "out", "--no-validate"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    captured = capsys.readouterr()
    assert exited.value.code == 2
    assert captured.err.splitlines() == case.expected and case.expected
    assert captured.out == ""
    assert not (tmp_path / "out").exists()
