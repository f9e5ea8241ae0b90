"""The spec check that refuses two routes the middleware cannot tell apart (`/clone`, `/clone/`)
keys routes exactly as the generated middleware looks request paths up."""

from __future__ import annotations

import pytest

from mongen.instrumentation_runtime import _HttpRequests
from mongen.spec.middleware import route_key


@pytest.mark.parametrize("path", ["/clone", "/clone/", "/clone//", "/", "//", "", "/a?b=/", "/a/?x", "?q", "/v1/x"])
def test_a_route_is_keyed_as_the_middleware_looks_paths_up(path: str) -> None:
    assert route_key(path) == _HttpRequests._path_key(path)
