"""#15 (hostile input, hostile file system): one regression test per item, or where it lives.

 1 annotation template injection   tests/test_annotation_escaping.py (promtool renders the literal)
 2 trailing newline                test_spec_errors_end_to_end[2-...] below
 3 foreign files deleted           tests/test_output_dir.py (ownership section)
 4 --check follows symlinks        tests/test_output_dir.py (--check section)
 5-9 lint                          the lint helper's tests (#17)
10 schema-valid specs exit 70      test_spec_errors_end_to_end[10-...] below
11 unescaped values                test_spec_errors_end_to_end[11-...] below; `{{…}}` descriptions
                                   are accepted and escaped: tests/test_annotation_escaping.py
12 colliding Python names          tests/test_instrumentation_names.py (test_enum_classes_never_collide_or_shadow,
                                   test_wsgi_app_works_in_multiprocess_mode)
13 spec path in headers            tests/test_header_quoting.py
14 the swap window                 tests/test_output_dir.py (swap section)
15 instrumentation NaN etc.        test_generated_module_drops_non_finite_and_negative_measurements below;
                                   tests/test_instrumentation_runtime.py
16 validate exits 70 / writes      tests/test_validate_hostile.py
17 file-system errors              tests/test_output_dir.py (file-system section)
Also: webhook credentials, 1ms     test_spec_errors_end_to_end[also-...] below
Done when, hypothesis              tests/test_pipeline_fuzz.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from mongen import cli, layout
from tests.test_instrumentation import load_generated
from tests.test_spec_failure_cases import CASES, SPEC_NAME

# The failure cases (tests/spec_failure_cases/) that are the issue's own examples.
ITEM_CASES = {
    "2": ["scalars:trailing_newline", "scalars:newline_in_free_text"],
    "10": [
        "labels:status_label_misspelt",
        "metrics:histogram_without_buckets",
        "alerts:quantile_beyond_p999",
        "alerts:quantile_of_0_99995",
        "alerts:quantile_of_0_00001",
        "slos:objective_beyond_six_nines",
        "scalars:infinite_bucket",
        "metrics:no_requests_role",
        "loader:alias_bomb",
    ],
    "11": [
        "exposure:bind_address_with_a_scope_id",
        "exposure:allowed_cidr_with_a_scope_id",
        "scalars:nan_threshold",
        "alerts:for_beyond_a_year",
        "exposure:server_name_star",
        "exposure:listen_on_no_address",
        "exposure:listen_port_out_of_range",
        "scrape:file_sd_outside_the_ops_tree",
    ],
    "also": [
        "routing:webhook_with_a_robot_token",
        "routing:webhook_with_a_password",
        "scrape:interval_of_a_millisecond",
    ],
}
BY_ID = {case.id: case for case in CASES}
PARAMS = [(item, case_id) for item, ids in ITEM_CASES.items() for case_id in ids]


@pytest.mark.parametrize(("item", "case_id"), PARAMS, ids=[f"{item}-{case_id}" for item, case_id in PARAMS])
def test_spec_errors_end_to_end(
    item: str,
    case_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Through the CLI's own entry point, even with --no-validate: exit 2, exactly the case's
    `FILE:LINE:COL` lines, and nothing written (these used to be exit 70, or exit 0 with a broken file)."""
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


def test_generated_module_drops_non_finite_and_negative_measurements(default_files: dict[str, str]) -> None:
    """The issue's item 15 on the module as generated for the showcase spec: NaN, -5 and +Inf never
    reach a histogram's `_sum`; each is counted as dropped instead."""
    from prometheus_client import generate_latest

    module = load_generated(default_files[layout.instrumentation_module("emotivoice")], "issue15_metrics")
    try:
        labels = {"method": "POST", "endpoint": "/synthesize", "status": "200", "emotion": "happy"}
        for duration, length in ((float("nan"), 10), (-5.0, 10), (1.5, math.inf), (1.5, -1)):
            module.record_request(**labels, duration_seconds=duration, text_length=length)
        text = generate_latest(module.REGISTRY).decode()
    finally:
        del sys.modules["issue15_metrics"]
    sums = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line.startswith("emoti_voice_tts_") and "_sum{" in line
    }
    assert sums and all(math.isfinite(value) and value >= 0 for value in sums.values()), sums
    assert "emoti_voice_instrumentation_dropped_total 4.0" in text
    assert (
        'emoti_voice_tts_requests_total{emotion="happy",endpoint="/synthesize",method="POST",status="200"} 4.0' in text
    )
