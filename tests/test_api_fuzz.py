"""A bounded schemathesis pass over the whole API: for every operation of the OpenAPI schema,
requests generated from the schema, valid and invalid, with the path naming real objects of
school A, sent as school A's registrar (or, for the care records, its principal: tests/test_api_matrix.py's
API_INSIDER). None may answer 5xx: bad input
gets a 4xx with a Thai message, never a server error.

Bounded: a few examples per operation and mode, derandomized so a run is repeatable; the
database is the test's own (rolled back), so nothing generated survives the test.
"""

from __future__ import annotations

import json
import re

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from .test_api_matrix import API_INSIDER, OPERATIONS, codes, school_a  # noqa: F401 — fixtures of school A's objects

EXAMPLES = 3


RAW = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
SCHEMA = schemathesis.openapi.from_dict(RAW)


def _operation_keys() -> list[str]:
    return sorted(OPERATIONS)


def _path_values(operation: str, values: dict) -> dict[str, str]:
    """The schema's path parameters filled from the matrix row's URL for the same operation."""
    template = operation.split(" ", 1)[1]
    _kind, url, _body = OPERATIONS[operation]
    concrete = url.split("?", 1)[0].format(**values)
    pattern = re.sub(r"\\\{(\w+)\\\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", re.escape(template))
    match = re.fullmatch(pattern, concrete)
    assert match, f"{operation}: {concrete} does not fit {template}"
    return match.groupdict()


def _send(client: Client, case) -> int:
    path = case.formatted_path
    method = case.method.lower()
    query = case.query or {}
    body = case.body
    if method == "get" or (method == "delete" and body is None):
        return getattr(client, method)(path, data=query).status_code
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    if method == "post" and case.media_type and case.media_type.startswith("multipart/") and isinstance(body, dict):
        # Form fields as text; an uploaded file as a file (the schema's binary strings).
        data = {}
        for key, value in body.items():
            if isinstance(value, bytes | bytearray):
                data[key] = SimpleUploadedFile(f"{key}.xlsx", bytes(value))
            elif value is not None:
                data[key] = value if isinstance(value, str | int | float) else json.dumps(value, default=str)
        return client.post(path, data=data).status_code
    payload = json.dumps(body, default=str) if body is not None and not isinstance(body, str | bytes) else body
    return getattr(client, method)(path, data=payload or "", content_type="application/json").status_code


def _has_inputs(operation: str) -> bool:
    """Whether anything but the (fixed) path can be made invalid: a query or a body."""
    method, template = operation.split(" ", 1)
    op = RAW["paths"][template][method.lower()]
    return "requestBody" in op or any(p.get("in") != "path" for p in op.get("parameters", []))


@pytest.mark.parametrize("operation", _operation_keys())
def test_no_generated_request_gets_a_server_error(world, codes, operation):  # noqa: F811
    method, template = operation.split(" ", 1)
    api = SCHEMA[template][method]
    client = Client()
    # The registrar may use every operation but the care records', which are the principal's.
    client.force_login(world.user(API_INSIDER.get(operation, "registrar")))
    modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if _has_inputs(operation) else [])
    errors: list[str] = []
    for mode in modes:
        strategy = api.as_strategy(generation_mode=mode, path_parameters=_path_values(operation, codes))

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case):
            status = _send(client, case)
            if status >= 500:
                errors.append(f"{status}: {case.method} {case.formatted_path} {case.query} {case.body!r}"[:400])

        run()
    assert errors == []
