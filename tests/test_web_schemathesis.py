"""A bounded schemathesis run against the app's OpenAPI document, on a copy of the demo database, as an
admin and as a viewer who may see only Adatum (4650505): no generated request may end in a 5xx.

Schemathesis generates requests from the document: valid ones (within every declared type and range)
and invalid ones (out of range, wrong type, missing field), which must be refused with a 4xx. Path
parameters are drawn from the demo's own partners and areas as well as at random, so that the engine
runs behind the validation. The decision endpoints (plan, what-if, forecast, diff, alerts) and a trend
cost seconds to a minute per valid request: they get their invalid requests and valid ones for unknown
or forbidden partners, not the engine's deep exploration. Examples per operation are bounded
(EXAMPLES, FEW): the run takes a few minutes on two cores.

Random integers rarely land on a limit, so every integer query parameter is also sent at and just past
each end of its declared range, and as a 20-digit number (which reached DuckDB and gave a 500).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from web_support import ADATUM, AS_OF, CONTOSO, FABRIKAM, TAILSPIN, demo_users

from partnerscore.ingest.quarantine import list_imports
from partnerscore.rules.schema import AREAS
from partnerscore.web import create_app

#: Generated requests per operation and user; FEW for the operations whose valid requests are slow.
EXAMPLES, FEW = 25, 10
#: Operations whose valid requests for a real partner run a decision tool or several scorings.
SLOW = ("/plan", "/whatif", "/forecast", "/diff", "/alerts", "/trend")
PARTNERS = {"admin": [CONTOSO, FABRIKAM, TAILSPIN, ADATUM], "adatum": [ADATUM, CONTOSO]}


@pytest.fixture(scope="module")
def app_tokens(demo_db: Path, tmp_path_factory):
    """The app over its own copy of the demo: an admin's generated uploads write to the import log."""
    db = tmp_path_factory.mktemp("schemathesis") / "demo.duckdb"
    shutil.copy(demo_db, db)
    store, tokens = demo_users()
    app = create_app(db, store, as_of=date.fromisoformat(AS_OF))
    with TestClient(app):  # starts the engine workers
        yield app, tokens, list_imports(db)[0].import_id


@pytest.fixture(scope="module")
def schema(app_tokens):
    return schemathesis.openapi.from_asgi("/openapi.json", app_tokens[0])


def cases(operation, who: str) -> st.SearchStrategy:
    """Valid and invalid requests; valid ones also on the demo's partners and areas unless slow."""
    kinds = [operation.as_strategy(), operation.as_strategy(schemathesis.GenerationMode.NEGATIVE)]
    names = {p.name for p in operation.path_parameters}
    if "partner_id" in names and not operation.path.endswith(SLOW):
        kinds += [st.tuples(st.sampled_from(PARTNERS[who]), st.sampled_from(AREAS)).flatmap(
            lambda pa: operation.as_strategy(path_parameters={"partner_id": pa[0], "area": pa[1]}
                                             if "area" in names else {"partner_id": pa[0]}))]
    return st.one_of(kinds)


def boundaries(operation, who: str, import_id: str) -> list:
    """Cases with one integer query parameter at or past an end of its range, or 20 digits long; at
    the ends themselves only where a valid request is cheap. Path parameters name a real partner,
    area and import."""
    slow = operation.path.endswith(SLOW)
    path = {"partner_id": PARTNERS[who][0], "area": "modern_work", "import_id": import_id}
    cases = []
    for parameter in operation.query:
        schema = parameter.definition.get("schema", {})
        if schema.get("type") != "integer":
            continue
        values = [10**20]
        for end, step in (("minimum", -1), ("maximum", 1)):
            if end in schema:
                values += [schema[end] + step] + ([] if slow else [schema[end]])
        cases += [operation.Case(path_parameters={k: v for k, v in path.items() if f"{{{k}}}" in operation.path},
                                 query={parameter.name: value}) for value in values]
    return cases


def server_error(case, response) -> list[str]:
    if response.status_code < 500:
        return []
    return [f"{response.status_code} {case.method} {case.formatted_path} query={case.query} "
            f"body={str(case.body)[:200]}: {response.text[:300]}"]


@pytest.mark.parametrize("who", ["admin", "adatum"], ids=["as an admin", "as a viewer of Adatum only"])
def test_generated_requests_never_get_a_server_error(schema, app_tokens, who):
    _, tokens, import_id = app_tokens
    errors: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for case in boundaries(operation, who, import_id):
            errors += server_error(case, case.call(headers=tokens.header(who)))

        @settings(max_examples=FEW if operation.path.endswith(SLOW) else EXAMPLES, deadline=None, database=None,
                  derandomize=True, phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=cases(operation, who))
        def run(case) -> None:
            errors.extend(server_error(case, case.call(headers=tokens.header(who))))

        run()
    assert not errors, "\n".join(errors)
