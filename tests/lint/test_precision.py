"""lint's precision on real rule repositories: the shapes checks once reported wrongly are
documented as more good examples of each check (`more_good`), and lint reports nothing on them;
the real bugs next to them are still found."""

from __future__ import annotations

import pytest

from mongen.lint.checks import CHECKS
from mongen.lint.examples import run_example

_MORE_GOOD = [(check.id, i) for check in CHECKS for i in range(len(check.more_good))]
_BY_ID = {check.id: check for check in CHECKS}


@pytest.mark.parametrize(("check_id", "index"), _MORE_GOOD)
def test_more_good_examples_give_no_findings(check_id: str, index: int) -> None:
    example = _BY_ID[check_id].more_good[index]
    assert [str(f) for f in run_example(example)] == []
