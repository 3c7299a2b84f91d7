"""schemathesis against the API's own schema: on every operation, generated requests (valid and
invalid, with random ids and with the ids of a processed dataset) never get a 5xx, and every
answer conforms to the schema (status code, content type, headers, body).

The number of examples is bounded (`EXAMPLES` per operation and mode), so the test takes well
under a minute; the figures are written to the test output folder."""

import json
import os
import time

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

# SCHEMATHESIS_EXAMPLES=100 for a longer hunt by hand.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _run(operation, strategy, headers: dict, failures: list, statuses: dict) -> int:
    calls = []

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(case):
        calls.append(1)
        case.headers = {**(case.headers or {}), **headers}
        response = case.call()
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # every failure is collected, then all are reported at once
            failures.append(f"{operation.label} {case.path_parameters} {case.query}: {str(exc)[:600]}")

    run()
    return len(calls)


def test_every_operation_answers_within_its_schema(processed, token, broker, output_dir, settings):
    settings.API_REQUESTS_PER_MINUTE = 1_000_000  # the throttle is tested on its own
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application(), headers=headers)
    real = {"dataset_id": str(processed.pk), "version_id": str(processed.current_version_id)}
    failures: list[str] = []
    statuses: dict[int, int] = {}
    cases = operations = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        strategies = [operation.as_strategy(mode) for mode in schemathesis.GenerationMode]
        parameters = {p.name for p in operation.path_parameters}
        if parameters and operation.method.upper() != "DELETE":
            # the ids of the processed sample, so the queries reach real records
            ids = {name: real[name] for name in parameters if name in real}
            strategies.append(operation.as_strategy(path_parameters=ids))
        for strategy in strategies:
            cases += _run(operation, strategy, headers, failures, statuses)
    figures = {
        "operations": operations,
        "cases": cases,
        "failures": len(failures),
        "seconds": round(time.monotonic() - started, 1),
        "statuses": dict(sorted(statuses.items())),
    }
    (output_dir / "schemathesis.json").write_text(json.dumps(figures, indent=2))
    print(f"schemathesis: {figures}")
    assert not failures, "\n".join(failures)
    assert operations == 27
    assert cases > operations * EXAMPLES
    assert statuses.get(200, 0) > operations  # the real ids reached real records
