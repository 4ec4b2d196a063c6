"""A local stand-in for the Azure endpoints `partnerscore pal` calls, so the real SDK clients run offline.

It serves, over TLS on 127.0.0.1 with a certificate made at start by `trustme`:

- Microsoft Entra, enough for azure-identity's `ClientSecretCredential` (what `DefaultAzureCredential`
  picks from AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET): the tenant's OpenID configuration
  and the v2.0 token endpoint (client-credentials grant). Tokens are JWTs signed with a key of this run,
  carrying `tid` and `oid` as Entra's do.
- Azure Resource Manager, with the shapes of the published REST reference (docs/pal.md cites each page):
  Management Partner 2018-02-01 `PUT/GET/DELETE /providers/Microsoft.ManagementPartner/partners/{id}` and
  `GET /providers/Microsoft.ManagementPartner/partners`; Authorization 2022-04-01 role assignments listed
  for a subscription or any scope (`$filter=principalId eq '…'`) and role definitions by id.
  ARM errors use ARM's `{"error": {"code", "message"}}` body.

Every request is recorded (`StandIn.requests`), so a test can assert that nothing was sent.

Run it by hand for the docs walkthrough: `python tests/arm_standin.py --port 8443` prints the environment
to export. Tests start it in a thread: `with StandIn() as arm: ...`.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import ssl
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
import trustme

PARTNER_API = "2018-02-01"
AUTHORIZATION_API = "2022-04-01"

#: Built-in role definition ids as Azure publishes them (Azure built-in roles page).
BUILT_IN_ROLES = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f6fb9d8c5aa7",
    "Storage Account Contributor": "17d1049b-9a84-46fb-8f53-869881c3d3ab",
    "Security Admin": "fb1c8493-542b-48eb-b624-b4c8fea62acd",
    "Monitoring Reader": "43d0d8ad-25c7-4714-9337-8ba259a9fe05",
}


@dataclass
class Principal:
    """A service principal that can sign in with a client secret."""

    client_id: str
    secret: str
    object_id: str
    name: str


@dataclass
class Tenant:
    """What the stand-in knows: one customer tenant, its principals, roles, assignments and links."""

    tenant_id: str
    principals: list[Principal]
    #: Partner IDs the Management Partner service accepts, with the name it returns.
    partner_names: dict[str, str]
    #: role name -> (definition guid, "BuiltInRole" or "CustomRole")
    roles: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: (scope, role name, principal object id)
    assignments: list[tuple[str, str, str]] = field(default_factory=list)
    #: principal object id -> the PartnerResponse body of its link
    links: dict[str, dict] = field(default_factory=dict)

    def assign(self, scope: str, role: str, object_id: str) -> None:
        """Give a principal a role at a scope; an unknown role name becomes a custom role."""
        if role not in self.roles:
            self.roles[role] = (BUILT_IN_ROLES.get(role) or str(uuid.uuid5(uuid.NAMESPACE_URL, role)),
                                "BuiltInRole" if role in BUILT_IN_ROLES else "CustomRole")
        self.assignments.append((scope, role, object_id))


def demo_tenant() -> Tenant:
    """The scenario of docs/pal.md: one service principal of the partner in a customer's tenant."""
    sp = Principal(client_id="0c6f52a2-7e4b-4d35-9a86-0f0d1c8c6c11", secret="stand-in-secret",
                   object_id="aa67f786-0552-423e-8849-244ed12bf581", name="contoso-managed-services")
    tenant = Tenant(tenant_id="1b1121dd-6900-412a-af73-e8d44f81e1c1", principals=[sp],
                    partner_names={"4650100": "Contoso Group", "4650101": "Contoso Cloud UK",
                                   "4650102": "Contoso Cloud France", "4650404": "Tailspin Distribution"})
    web, data = "/subscriptions/6f1c2b9e-0a3d-4e7b-9c11-2d5e8f4a7b01", "/subscriptions/9d8e7f6a-5b4c-4d3e-8f21-0a1b2c3d4e02"
    tenant.assign(web, "Owner", sp.object_id)
    tenant.assign(data, "Reader", sp.object_id)
    tenant.assign(f"{data}/resourceGroups/rg-analytics", "Contoso Data Platform Contributor", sp.object_id)
    tenant.assign(f"{data}/resourceGroups/rg-monitoring", "Monitoring Reader", sp.object_id)
    return tenant


class StandIn:
    """The stand-in server on 127.0.0.1, in a background thread (a context manager)."""

    def __init__(self, tenant: Tenant | None = None, port: int = 0, ca_file: Path | None = None) -> None:
        self.tenant = tenant or demo_tenant()
        self.requests: list[tuple[str, str]] = []
        self.reject_tokens = False
        self._key = secrets.token_bytes(32)
        self._ca = trustme.CA()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._tmp = tempfile.TemporaryDirectory(prefix="arm-standin-") if ca_file is None else None
        self.ca_file = Path(ca_file or Path(self._tmp.name) / "ca.pem")
        self._ca.cert_pem.write_to_path(str(self.ca_file))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        """The base URL, used both as ARM endpoint and as Entra authority host."""
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def environment(self, principal: Principal | None = None) -> dict[str, str]:
        """The variables that point partnerscore and azure-identity at this stand-in."""
        sp = principal or self.tenant.principals[0]
        return {"PARTNERSCORE_ARM_ENDPOINT": self.url, "AZURE_AUTHORITY_HOST": self.url,
                "AZURE_TENANT_ID": self.tenant.tenant_id, "AZURE_CLIENT_ID": sp.client_id,
                "AZURE_CLIENT_SECRET": sp.secret, "AZURE_TOKEN_CREDENTIALS": "EnvironmentCredential",
                "REQUESTS_CA_BUNDLE": str(self.ca_file)}

    def sent(self, method: str) -> list[str]:
        """Paths of the requests received with this method."""
        return [path for m, path in self.requests if m == method]

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._tmp:
            self._tmp.cleanup()

    def issue_token(self, principal: Principal, scope: str) -> str:
        now = int(time.time())
        claims = {"aud": scope.removesuffix("/.default"), "iss": f"{self.url}/{self.tenant.tenant_id}/v2.0",
                  "iat": now, "nbf": now, "exp": now + 3600, "tid": self.tenant.tenant_id,
                  "oid": principal.object_id, "sub": principal.object_id, "appid": principal.client_id,
                  "app_displayname": principal.name, "idtyp": "app"}
        return jwt.encode(claims, self._key, algorithm="HS256")

    def caller(self, authorization: str | None) -> Principal | None:
        """The principal a bearer token was issued to, or None when it is missing or not ours."""
        if self.reject_tokens or not authorization or not authorization.startswith("Bearer "):
            return None
        try:
            claims = jwt.decode(authorization[7:], self._key, algorithms=["HS256"],
                                options={"verify_aud": False})
        except jwt.PyJWTError:
            return None
        return next((p for p in self.tenant.principals if p.object_id == claims["oid"]), None)


def _arm_error(status: int, code: str, message: str) -> tuple[int, dict]:
    return status, {"error": {"code": code, "message": message}}


def _partner_body(tenant: Tenant, principal: Principal, partner_id: str, created: str, version: int) -> dict:
    """A PartnerResponse as the Partner - Create / Partner - Get reference examples show it."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"id": f"/providers/microsoft.managementpartner/partners/{partner_id}",
            "type": "Microsoft.ManagementPartner/partner", "name": partner_id, "etag": version,
            "properties": {"partnerId": partner_id, "partnerName": tenant.partner_names[partner_id],
                           "tenantId": tenant.tenant_id, "objectId": principal.object_id,
                           "version": str(version), "updatedTime": now, "createdTime": created,
                           "state": "Active"}}


def _partner(arm: StandIn, method: str, principal: Principal, partner_id: str | None) -> tuple[int, dict | None]:
    tenant, link = arm.tenant, arm.tenant.links.get(principal.object_id)
    linked = link["properties"]["partnerId"] if link else None
    if partner_id is None:  # Partners - Get: the caller's own link
        return (200, link) if link else _arm_error(404, "NotFound", "No management partner is linked to the caller.")
    if method == "PUT":
        if linked and linked != partner_id:
            return _arm_error(409, "Conflict", f"The caller is already linked to partner {linked}.")
        if partner_id not in tenant.partner_names:
            return _arm_error(400, "BadRequest", f"We don't have a record for partner ID {partner_id}.")
        if not link:
            created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            tenant.links[principal.object_id] = _partner_body(tenant, principal, partner_id, created, 1)
        return 200, tenant.links[principal.object_id]
    if linked != partner_id:
        return _arm_error(404, "NotFound", f"The caller is not linked to partner {partner_id}.")
    if method == "DELETE":
        del tenant.links[principal.object_id]
        return 200, None
    return 200, link


def _covers(assigned: str, asked: str) -> bool:
    """An assignment at, above or below the asked scope applies when filtering by principal."""
    a, b = assigned.rstrip("/").lower() + "/", asked.rstrip("/").lower() + "/"
    return a.startswith(b) or b.startswith(a)


def _assignments(arm: StandIn, principal: Principal, scope: str, query: dict) -> tuple[int, dict]:
    tenant = arm.tenant
    subscription = re.match(r"/subscriptions/[^/]+", scope, re.IGNORECASE)
    mine = [(s, r) for s, r, oid in tenant.assignments if oid == principal.object_id]
    if subscription and not any(_covers(s, subscription.group(0)) for s, _ in mine):
        return _arm_error(403, "AuthorizationFailed",
                          f"The client '{principal.client_id}' with object id '{principal.object_id}' does not have "
                          "authorization to perform action 'Microsoft.Authorization/roleAssignments/read' over "
                          f"scope '{scope}' or the scope is invalid. If access was recently granted, please "
                          "refresh your credentials.")
    wanted = re.fullmatch(r"principalId eq '([^']+)'", query.get("$filter", [""])[0])
    who = wanted.group(1) if wanted else None
    rows = [(s, r, oid) for s, r, oid in tenant.assignments if _covers(s, scope) and who in (None, oid)]
    value = []
    for assigned, role, oid in rows:
        sub = re.match(r"/subscriptions/[^/]+", assigned, re.IGNORECASE)
        name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{assigned}|{role}|{oid}"))
        value.append({
            "properties": {
                "roleDefinitionId": f"{sub.group(0) if sub else ''}/providers/Microsoft.Authorization/"
                                    f"roleDefinitions/{tenant.roles[role][0]}",
                "principalId": oid, "principalType": "ServicePrincipal", "scope": assigned},
            "id": f"{assigned}/providers/Microsoft.Authorization/roleAssignments/{name}",
            "type": "Microsoft.Authorization/roleAssignments", "name": name})
    return 200, {"value": value}


def _definition(arm: StandIn, scope: str, guid: str) -> tuple[int, dict]:
    for role, (role_guid, kind) in arm.tenant.roles.items():
        if role_guid == guid:
            return 200, {
                "properties": {"roleName": role, "type": kind, "description": f"{role} (stand-in)",
                               "assignableScopes": ["/"], "permissions": [
                                   {"actions": ["*/read"] if "Reader" in role else ["*"], "notActions": [],
                                    "dataActions": [], "notDataActions": []}]},
                "id": f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
                "type": "Microsoft.Authorization/roleDefinitions", "name": guid}
    return _arm_error(404, "RoleDefinitionDoesNotExist", "The specified role definition does not exist.")


ROUTES = [
    (re.compile(r"/providers/Microsoft\.ManagementPartner/partners(?:/(?P<partner>[^/]+))?", re.IGNORECASE),
     ("PUT", "GET", "DELETE"), PARTNER_API),
    (re.compile(r"(?P<scope>(?:/[^/]+)*?)/providers/Microsoft\.Authorization/roleAssignments", re.IGNORECASE),
     ("GET",), AUTHORIZATION_API),
    (re.compile(r"(?P<scope>(?:/[^/]+)*?)/providers/Microsoft\.Authorization/roleDefinitions/(?P<guid>[^/]+)", re.IGNORECASE),
     ("GET",), AUTHORIZATION_API),
]


def _handler(arm: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes: don't wait on delayed ACKs

        def log_message(self, *args) -> None:  # keep test and docs output clean
            pass

        def _reply(self, status: int, body: dict | None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> None:
            url = urlsplit(self.path)
            path, query = unquote(url.path), parse_qs(url.query)
            arm.requests.append((method, path))
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode()) if length else {}
            tenant_id = arm.tenant.tenant_id
            if method == "GET" and path in (f"/{tenant_id}/v2.0/.well-known/openid-configuration",
                                            "/organizations/v2.0/.well-known/openid-configuration"):
                return self._reply(200, {
                    "issuer": f"{arm.url}/{tenant_id}/v2.0", "token_endpoint": f"{arm.url}/{tenant_id}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{arm.url}/{tenant_id}/oauth2/v2.0/authorize"})
            if method == "POST" and path == f"/{tenant_id}/oauth2/v2.0/token":
                return self._reply(*self._token(form))
            for pattern, methods, api_version in ROUTES:
                match = pattern.fullmatch(path)
                if match and method in methods:
                    return self._reply(*self._arm(method, match, query, api_version))
            return self._reply(*_arm_error(404, "InvalidResourceType", f"No route for {method} {path}."))

        def _token(self, form: dict) -> tuple[int, dict]:
            client_id, secret = form.get("client_id", [""])[0], form.get("client_secret", [""])[0]
            principal = next((p for p in arm.tenant.principals if p.client_id == client_id), None)
            if principal is None or principal.secret != secret:
                return 401, {"error": "invalid_client",
                             "error_description": "AADSTS7000215: Invalid client secret provided."}
            token = arm.issue_token(principal, form.get("scope", [""])[0].split()[0])
            return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}

        def _arm(self, method: str, match: re.Match, query: dict, api_version: str) -> tuple[int, dict | None]:
            if query.get("api-version", [None])[0] != api_version:
                return _arm_error(400, "InvalidApiVersionParameter", f"Use api-version {api_version}.")
            principal = arm.caller(self.headers.get("Authorization"))
            if principal is None:
                return _arm_error(401, "InvalidAuthenticationToken",
                                  "The access token is invalid or was not issued for this tenant.")
            groups = match.groupdict()
            if "partner" in groups:
                return _partner(arm, method, principal, groups["partner"])
            if "guid" in groups:
                return _definition(arm, groups["scope"], groups["guid"])
            return _assignments(arm, principal, groups["scope"] or "/", query)

        def do_GET(self) -> None:
            self._route("GET")

        def do_PUT(self) -> None:
            self._route("PUT")

        def do_DELETE(self) -> None:
            self._route("DELETE")

        def do_POST(self) -> None:
            self._route("POST")

    return Handler


def main() -> None:
    """Serve the demo scenario until interrupted, printing the environment to export."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--ca-file", type=Path, help="Where to write the CA certificate (default: a temporary file).")
    args = parser.parse_args()
    with StandIn(port=args.port, ca_file=args.ca_file) as arm:
        print(f"# ARM and Entra stand-in on {arm.url}; CA certificate {arm.ca_file}", flush=True)
        for name, value in arm.environment().items():
            print(f"export {name}={value}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
