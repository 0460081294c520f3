"""Schemathesis, in process: generated requests from /openapi.json never get a 5xx, and answers conform."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import seed as fixed_seed
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api import create_app

# The coverage phase enumerates every boundary of the large profile and proposal schemas (minutes);
# the examples and fuzzing phases with a fixed seed keep this test to seconds.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
app = create_app({"TESTING": True})
schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=CONFIG)


@schema.parametrize()
@fixed_seed(20261126)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_api_conforms_to_its_openapi_description(case: Any) -> None:
    # Schema-valid data may still be refused with 422 for rules JSON Schema cannot state (a flow naming a
    # resource that does not exist, a backup scope listed twice), so "valid data accepted" is not checked.
    # Its in-process (WSGI) transport asks for gzip like `requests` does but does not decode the answer:
    # compression has its own tests (test_compression.py), so the answers are checked uncompressed here.
    case.call_and_validate(
        headers={"Accept-Encoding": "identity"}, excluded_checks=[positive_data_acceptance]
    )
