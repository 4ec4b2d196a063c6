"""A viewer of one partner sees none of another partner's customers, subscriptions or people, on any route.

The walk enumerates the app's own routes (the OpenAPI document's JSON API and the HTML pages), calls
each as a viewer who may see only Adatum (4650505) with valid parameters for Adatum, and searches every
response body for the demo database's tenant IDs, subscription IDs, customer names and person IDs that
are not Adatum's own. Every other partner's ID in a path parameter must give 403.

The routes come from the app, not from a list here: a new route is walked as soon as it exists. A
parameter or a request body the walk does not know makes the route's case fail and say what to add
to `PARAMS` or `BODIES` below.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_support import ADATUM, AS_OF, demo_users

from partnerscore.engine.connect import open_duckdb
from partnerscore.rules.schema import AREAS
from partnerscore.web import create_app
from partnerscore.web.deps import require_admin
from partnerscore.web.security import UserStore

VIEWER = ADATUM
OMIT = object()  # an optional parameter the walk leaves out
SELF = object()  # the partner the walk calls the route for


# --- what Adatum's viewer may see, and what it may not, read from the demo database ------------------

@dataclass(frozen=True)
class Entities:
    """Adatum's own entities, and every entity of the database that is not Adatum's, with its kind."""

    tenants: list[str]
    associations: list[dict]
    people: list[str]
    forbidden_ids: dict[str, str]
    names: dict[str, list[tuple[str, bool]]]  # first word -> (customer name, forbidden), longest first
    others: list[str]  # the other partners' IDs
    import_id: str

    def leaks(self, text: str) -> list[str]:
        """Every forbidden ID or customer name in `text` (HTML and JSON escapes undone)."""
        text = html.unescape(text).replace("\\u0026", "&").replace("\\u003c", "<").replace("\\u003e", ">")
        found = {f"{self.forbidden_ids[t]} {t}" for t in TOKEN.findall(text) if t in self.forbidden_ids}
        for word in WORD.finditer(text):
            for name, forbidden in self.names.get(word.group(), ()):
                end = word.start() + len(name)
                if text.startswith(name, word.start()) and not text[end:end + 1].isalnum():
                    if forbidden:
                        found.add(f"customer name {name!r}")
                    break  # the longest name that matches here is the one shown
        return sorted(found)


TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9][A-Za-z0-9.'&-]*")


def read_entities(db: Path, partner: str) -> Entities:
    """A partner's customers read as docs/data-contract.md defines them: the tenants of every association
    row naming the partner, as `partner_id` or as `indirect_provider_id`, and the tenants owning the
    subscriptions those rows name; their subscriptions; its people."""
    tables = open_duckdb(db)
    try:
        a = tables.associations
        mine = a.filter((a.partner_id == partner) | (a.indirect_provider_id == partner)).to_pyarrow().to_pylist()
        customers = tables.customers.select("tenant_id", "name").to_pyarrow().to_pylist()
        subs = tables.subscriptions.select("subscription_id", "tenant_id").to_pyarrow().to_pylist()
        people = tables.certifications.select("partner_id", "person_id").to_pyarrow().to_pylist()
        usage = tables.usage.select("tenant_id", "subscription_id").distinct().to_pyarrow().to_pylist()
        every = a.select("tenant_id", "subscription_id").to_pyarrow().to_pylist()
        partners = tables.partners.select("partner_id").to_pyarrow().column(0).to_pylist()
        import_id = tables.backend.raw_sql("SELECT min(import_id) FROM imports").fetchone()[0]
    finally:
        tables.backend.disconnect()
    owner = {s["subscription_id"]: s["tenant_id"] for s in subs}
    tenants = {r["tenant_id"] for r in mine} | {owner[r["subscription_id"]] for r in mine
                                                 if r["subscription_id"] in owner}
    own_subs = {s["subscription_id"] for s in subs if s["tenant_id"] in tenants} | {
        r["subscription_id"] for r in mine if r["subscription_id"]}
    own_people = {p["person_id"] for p in people if p["partner_id"] == partner}
    forbidden = {t: "tenant" for t in {r["tenant_id"] for r in customers + subs + usage + every} - tenants}
    forbidden |= {s: "subscription" for s in {r["subscription_id"] for r in subs + usage + every
                                              if r["subscription_id"]} - own_subs}
    forbidden |= {p: "person" for p in {p["person_id"] for p in people} - own_people}
    assert all(TOKEN.fullmatch(x) for x in forbidden), "an ID the scan cannot find as one token"
    own_names = {c["name"] for c in customers if c["tenant_id"] in tenants}
    names: dict[str, list[tuple[str, bool]]] = {}
    for name in {c["name"] for c in customers}:
        names.setdefault(WORD.match(name).group(), []).append((name, name not in own_names))
    for listed in names.values():
        listed.sort(key=lambda n: -len(n[0]))
    return Entities(sorted(tenants), sorted(mine, key=lambda r: r["association_id"]), sorted(own_people), forbidden,
                    names, sorted(set(partners) - {partner}), import_id)


# --- the routes, as the app lists them ----------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    method: str
    path: str
    params: tuple[tuple[str, str, bool], ...]  # (where, name, required)
    admin: bool

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _dependants(dependant) -> Iterator:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _route(method: str, path: str, dependant) -> Route:
    params = []
    for d in _dependants(dependant):
        for where, fields in (("path", d.path_params), ("query", d.query_params), ("body", d.body_params)):
            params += [(where, f.alias or f.name, f.field_info.is_required()) for f in fields]
    admin = any(d.call is require_admin for d in _dependants(dependant))
    return Route(method, path, tuple(dict.fromkeys(params)), admin)


def app_routes(app) -> list[Route]:
    """Every (method, path) the app answers, JSON API and pages, with the parameters it reads."""
    found = []
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)  # an included router (FastAPI ≥ 0.120)
        for r in (contexts() if contexts else [route]):
            if getattr(r, "dependant", None) is None:
                assert r.path in ("/static", "/openapi.json"), f"{r.path}: a route the walk cannot read"
                continue
            found += [_route(m, r.path, r.dependant) for m in sorted(r.methods - {"HEAD"})]
    return found


ROUTES = app_routes(create_app(Path("never-opened.duckdb"), UserStore()))


# --- how to call each route for Adatum --------------------------------------------------------------

#: A value for each parameter (where, name): a value, a list of values (one call each, OMIT among them for
#: a call without it), a function of the entities, SELF for the partner called for, or OMIT. Small values
#: keep the slow decision endpoints quick; the listings are called unfiltered too, scoped by the user alone.
PARAMS: dict[tuple[str, str], object] = {
    ("path", "partner_id"): SELF,
    ("path", "area"): list(AREAS),
    ("path", "import_id"): lambda e: e.import_id,
    ("query", "as_of"): AS_OF,
    ("query", "partner"): [SELF, OMIT],
    ("query", "tenant"): lambda e: [e.tenants[0], OMIT],
    ("query", "type"): OMIT,
    ("query", "status"): OMIT,
    ("query", "severity"): OMIT,
    ("query", "limit"): 500,
    ("query", "offset"): 0,
    ("query", "table"): OMIT,
    ("query", "page"): 1,
    ("query", "months"): 2,
    ("query", "within"): 90,
    ("query", "backtest"): OMIT,
    ("query", "from"): OMIT,
    ("query", "to"): OMIT,
    ("query", "recorded_on"): OMIT,
    ("query", "area"): OMIT,
    ("query", "metric"): OMIT,
    ("query", "next"): OMIT,
    ("query", "end"): lambda e: e.associations[0]["association_id"],
    ("query", "by"): OMIT,
    ("query", "keep"): OMIT,
    ("query", "customers"): 10,
}


def _scenario(e: Entities) -> dict:
    """Adatum ends its first association and certifies its first person again."""
    first = e.associations[0]
    return {"json": {"as_of": AS_OF, "changes": [
        {"action": "end_association", "association_id": first["association_id"], "end_date": "2026-09-30"},
        {"action": "add_certification", "person_id": e.people[0], "certification": "Azure Solutions Architect Expert",
         "earned_on": AS_OF}]}}


def _login(client: TestClient, token: str) -> dict:
    csrf = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    return {"data": {"username": "adatum", "token": token, "csrf_token": csrf, "next": "/"}}


UPLOAD = {"files": {"files": ("partners.csv", b"partner_id,name\n", "text/csv")}}

#: The request body of each route that takes one: a function of (entities, client, token) giving the
#: request's keyword arguments.
BODIES: dict[str, Callable[[Entities, TestClient, str], dict]] = {
    "POST /api/partners/{partner_id}/whatif": lambda e, c, t: _scenario(e),
    "POST /api/partners/{partner_id}/areas/{area}/plan": lambda e, c, t: {"json": {"as_of": AS_OF}},
    "POST /partners/{partner_id}/areas/{area}/plan": lambda e, c, t: {"data": {"as_of": AS_OF, "customers": "10"}},
    "POST /api/imports": lambda e, c, t: UPLOAD,
    "POST /imports": lambda e, c, t: UPLOAD,
    "POST /login": lambda e, c, t: _login(c, t),
    "POST /logout": lambda e, c, t: {},
}


def calls(route: Route, e: Entities, partner: str) -> list[str]:
    """The URLs to call `route` at for `partner`: one per combination of the listed values."""
    urls = [route.path]
    query: list[list[tuple[str, object]]] = [[]]
    for where, name, required in route.params:
        if where == "body":
            continue
        if (where, name) not in PARAMS:
            pytest.fail(f"{route}: the isolation walk does not know the {where} parameter {name!r}; give it a "
                        f"value for {VIEWER} in PARAMS (tests/test_web_isolation.py)")
        value = PARAMS[(where, name)]
        value = value(e) if callable(value) else value
        values = [partner if v is SELF else v for v in (value if isinstance(value, list) else [value])]
        assert not (required and OMIT in values), f"{route}: {name} is required; give it a value in PARAMS"
        if where == "path":
            urls = [u.replace("{" + name + "}", str(v)) for u in urls for v in values]
        else:
            query = [q + ([] if v is OMIT else [(name, v)]) for q in query for v in values]
    return [u + ("?" + "&".join(f"{k}={v}" for k, v in q) if q else "") for u in urls for q in query]


def body(route: Route, e: Entities, client: TestClient, token: str) -> dict:
    if route.method == "GET":
        return {}
    if str(route) not in BODIES:
        pytest.fail(f"{route}: the isolation walk does not know how to call it; add its request body to "
                    "BODIES (tests/test_web_isolation.py)")
    return BODIES[str(route)](e, client, token)


# --- the walk ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def walk(demo_db: Path):
    store, tokens = demo_users()
    app = create_app(demo_db, store, as_of=date.fromisoformat(AS_OF))
    with TestClient(app) as client:
        yield client, tokens.adatum, read_entities(demo_db, VIEWER)


def test_the_walk_covers_every_operation_of_the_openapi_document(walk):
    client, _token, _e = walk
    walked = {str(r) for r in ROUTES}
    spec = client.get("/openapi.json").json()["paths"]
    listed = {f"{m.upper()} {p}" for p, ops in spec.items() for m in ops}
    assert listed <= walked and len(walked) > len(listed), "the pages are walked too"


def check(client: TestClient, token: str, e: Entities, route: Route) -> None:
    """Call `route` for the viewer's partner: each call answers (403 for an admin's route) and shows nothing
    of other partners'."""
    header = {"Authorization": f"Bearer {token}"}
    for url in calls(route, e, VIEWER):
        response = client.request(route.method, url, headers=header, **body(route, e, client, token))
        expected = 403 if route.admin else 200
        assert response.status_code == expected, f"{route.method} {url}: {response.status_code} {response.text[:300]}"
        assert not e.leaks(response.text), f"{route.method} {url} shows {e.leaks(response.text)[:10]}"


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r} shows Adatum's viewer only Adatum's customers and people"
                                               for r in ROUTES])
def test_route_shows_a_scoped_viewer_no_other_partners_entities(walk, route):
    check(*walk, route)


def test_the_walk_fails_on_a_new_route_that_is_not_scoped(demo_db, walk):
    _client, _token, e = walk
    store, tokens = demo_users()
    app = create_app(demo_db, store, as_of=date.fromisoformat(AS_OF))

    @app.get("/api/customers")
    async def every_customer():  # a route someone adds without scoping it
        tables = open_duckdb(demo_db)
        try:
            return tables.customers.select("tenant_id", "name").to_pyarrow().to_pylist()
        finally:
            tables.backend.disconnect()

    @app.get("/api/customer-search")
    async def search(q: str):  # a parameter the walk has no value for
        return []

    found = {str(r): r for r in app_routes(app)}
    with TestClient(app) as client:
        with pytest.raises(AssertionError, match="GET /api/customers shows"):
            check(client, tokens.adatum, e, found["GET /api/customers"])
        with pytest.raises(pytest.fail.Exception, match="does not know the query parameter 'q'"):
            check(client, tokens.adatum, e, found["GET /api/customer-search"])


PARTNER_ROUTES = [r for r in ROUTES if {("path", "partner_id"), ("query", "partner")} & {p[:2] for p in r.params}]


@pytest.mark.parametrize("route", PARTNER_ROUTES, ids=[f"{r} refuses Adatum's viewer every other partner"
                                                       for r in PARTNER_ROUTES])
def test_route_other_partner_forbidden(walk, route):
    client, token, e = walk
    header = {"Authorization": f"Bearer {token}"}
    for other in e.others:
        for url in [u for u in calls(route, e, other) if other in u][:1]:
            response = client.request(route.method, url, headers=header, **body(route, e, client, token))
            assert response.status_code == 403, f"{route.method} {url}: {response.status_code}"
            assert not e.leaks(response.text), f"{route.method} {url} shows {e.leaks(response.text)[:10]}"


# --- what-if: a scoped viewer's scenario names only its partner's entities -------------------------------

def _foreign(demo_db: Path, e: Entities) -> dict:
    """One of Contoso's customers (none of Adatum's), its subscription, a person and an association of Contoso's."""
    tables = open_duckdb(demo_db)
    try:
        a = tables.associations
        row = a.filter(a.partner_id == "4650101", a.subscription_id.notnull(),
                       ~a.tenant_id.isin(e.tenants)).order_by("association_id").limit(1).to_pyarrow().to_pylist()[0]
        person = tables.certifications.filter(tables.certifications.partner_id == "4650101").to_pyarrow().to_pylist()[0]
    finally:
        tables.backend.disconnect()
    return {"tenant": row["tenant_id"], "sub": row["subscription_id"], "association": row["association_id"],
            "person": person["person_id"], "certification": person["certification"]}


def _own(e: Entities) -> dict:
    first = next(r for r in e.associations if r["subscription_id"] and r["partner_id"] == VIEWER)
    return {"tenant": first["tenant_id"], "sub": first["subscription_id"]}


def _pal(tenant: str, sub: str, association_id: str = "new-pal") -> dict:
    return {"action": "add_association", "association_id": association_id, "type": "PAL", "tenant_id": tenant,
            "subscription_id": sub, "rbac_role": "Contributor", "start_date": "2026-10-01"}


#: Each change a viewer of Adatum may not make, built from (Adatum's entities, Contoso's), and the key named.
OUTSIDE = [
    ("a PAL on another partner's customer", lambda own, other: _pal(other["tenant"], other["sub"]), "tenant_id"),
    ("a PAL on Adatum's customer naming another customer's subscription",
     lambda own, other: _pal(own["tenant"], other["sub"]), "subscription_id"),
    ("a new association under the ID of another partner's association",
     lambda own, other: _pal(own["tenant"], own["sub"], other["association"]), "association_id"),
    ("usage added to another partner's customer",
     lambda own, other: {"action": "add_usage", "month": "2026-10", "tenant_id": other["tenant"],
                         "subscription_id": other["sub"], "workload": "Storage", "acr_usd": 100}, "tenant_id"),
    ("another partner's customer's subscription moved to CSP",
     lambda own, other: {"action": "move_subscription", "subscription_id": other["sub"], "program": "CSP"},
     "subscription_id"),
    ("another partner's association ended",
     lambda own, other: {"action": "end_association", "association_id": other["association"], "end_date": AS_OF},
     "association_id"),
    ("another partner's person certified for Adatum",
     lambda own, other: {"action": "add_certification", "person_id": other["person"],
                         "certification": "Azure Solutions Architect Expert", "earned_on": AS_OF}, "person_id"),
    ("another partner's person's certification expired under Adatum",
     lambda own, other: {"action": "expire_certification", "person_id": other["person"],
                         "certification": other["certification"], "expires_on": AS_OF}, "person_id"),
]


@pytest.mark.parametrize("make,key", [o[1:] for o in OUTSIDE], ids=[f"{o[0]} is refused, naming the {o[2]}"
                                                                    for o in OUTSIDE])
def test_whatif_post_outside_the_viewers_partner_forbidden(walk, demo_db, make, key):
    client, token, e = walk
    other = _foreign(demo_db, e)
    change = make(_own(e), other)
    response = client.post(f"/api/partners/{VIEWER}/whatif", headers={"Authorization": f"Bearer {token}"},
                           json={"as_of": AS_OF, "changes": [{"action": "add_certification", "person_id": "p-new",
                                                              "certification": "AZ-104", "earned_on": AS_OF}, change]})
    assert response.status_code == 403, response.text
    assert response.json()["error"]["message"].startswith(f"change 1: {key} "), response.text
    named = response.text
    for value in change.values():  # the IDs the viewer gave may be named back; nothing else may
        named = named.replace(str(value), "")
    assert not e.leaks(named)


INSIDE = [
    ("a PAL on one of Adatum's customers' subscriptions", lambda own: _pal(own["tenant"], own["sub"])),
    ("a new person's certification", lambda own: {"action": "add_certification", "person_id": "p-new",
                                                  "certification": "AZ-104", "earned_on": AS_OF}),
]


@pytest.mark.parametrize("make", [i[1] for i in INSIDE], ids=[f"{i[0]} is scored" for i in INSIDE])
def test_whatif_post_inside_the_viewers_partner_is_scored(walk, make):
    client, token, e = walk
    response = client.post(f"/api/partners/{VIEWER}/whatif", headers={"Authorization": f"Bearer {token}"},
                           json={"as_of": AS_OF, "changes": [make(_own(e))]})
    assert response.status_code == 200, response.text
    assert not e.leaks(response.text)


def test_whatif_post_by_a_viewer_of_every_partner_may_name_any_customer(demo_db, walk):
    _client, _token, e = walk
    store, tokens = demo_users()
    other = _foreign(demo_db, e)
    with TestClient(create_app(demo_db, store, as_of=date.fromisoformat(AS_OF))) as client:
        response = client.post(f"/api/partners/{VIEWER}/whatif", headers=tokens.header("viewer"),
                               json={"as_of": AS_OF, "changes": [_pal(other["tenant"], other["sub"])]})
    assert response.status_code == 200, response.text
