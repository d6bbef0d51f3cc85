"""Property-based fuzzing of `judge api` from its own OpenAPI schema (schemathesis, in-process ASGI).

Every operation gets generated requests, valid and invalid (strings with any Unicode, NUL bytes,
huge numbers, missing and extra fields); none may get a server error, and every response must be
one the schema documents. Bounded to run in about a minute on two cores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from judge.api.app import create_app
from tests.api.conftest import AUTH, project
from tests.fakes.server import FakeServer, schema_reply

pytestmark = pytest.mark.slow


def _graded(body: Any) -> Any:
    """Most generated bodies name a configured rubric, so the fuzzing reaches the judge and the store."""
    if isinstance(body, dict):
        if isinstance(body.get("rubric"), str):
            body["rubric"] = "reasoning_depth"
            body.pop("category", None)
            body.pop("judge", None)
        for it in body.get("items") or [] if isinstance(body.get("items"), list) else []:
            _graded(it)
    return body


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_no_request_gets_a_server_error(tmp_path: Path) -> None:
    with FakeServer(reply=schema_reply(score=3), keep_requests=False) as srv:
        cfg = project(tmp_path, srv.base_url)
        schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(cfg))

        @schema.hook
        def map_body(context: Any, body: Any) -> Any:
            return _graded(body)

        ops = [r.ok() for r in schema.get_all_operations()]
        assert {op.path for op in ops} >= {"/v1/grade", "/v1/compare", "/v1/batches", "/v1/batches/{batch_id}"}
        sent = 0
        for op in ops:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @given(case=op.as_strategy(mode))
                @settings(
                    max_examples=25,
                    deadline=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                    database=None,
                )
                def call(case: Any) -> None:
                    nonlocal sent
                    case.call_and_validate(headers=AUTH, checks=CHECKS)
                    sent += 1

                try:
                    call()
                except Unsatisfiable:  # nothing to make invalid (GET /healthz takes no input)
                    assert mode == GenerationMode.NEGATIVE
        assert sent >= 100  # the bound above was reached, not skipped
        assert srv.counts["ok"] > 0  # generated requests reached the judge
