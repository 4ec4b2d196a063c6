"""The signed-in identity and the Azure Resource Manager calls PAL needs, through Azure's own SDKs.

`Azure` signs in with azure-identity's `DefaultAzureCredential` (environment service principal, managed
identity, `az login`, …), reads who it is from the access token (`tid`, `oid`), and calls:

- Management Partner (azure-mgmt-managementpartner, API 2018-02-01): `partner.create/get/delete` and
  `partners.get` — the link of the calling identity to a Partner ID;
- Authorization (azure-mgmt-authorization, API 2022-04-01): `role_assignments.list_for_subscription` /
  `list_for_scope` filtered to the identity, and `role_definitions.get_by_id` for role names.

Azure's errors become `AzureError`s whose message says what went wrong and what to do next.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from urllib.parse import urlsplit

import jwt
from azure.core.credentials import TokenCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
from azure.identity import AzureAuthorityHosts, DefaultAzureCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.managementpartner import ACEProvisioningManagementPartnerAPI

from partnerscore.errors import PartnerscoreError

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
SIGN_IN = ("sign in to the customer's tenant (`az login --tenant TENANT`, or AZURE_TENANT_ID, AZURE_CLIENT_ID "
           "and AZURE_CLIENT_SECRET for a service principal)")


class AzureError(PartnerscoreError):
    """Azure refused or could not answer a request; `status` and `code` are Azure's (None: no answer)."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Identity:
    """The signed-in user or service principal, as its access token names it."""

    tenant_id: str
    object_id: str
    kind: str  # "user" or "service principal"
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name} ({self.object_id}) in tenant {self.tenant_id}"


@dataclass(frozen=True)
class PartnerLink:
    """The Partner ID an identity is linked to (Management Partner `PartnerResponse`)."""

    partner_id: str
    partner_name: str | None
    tenant_id: str | None
    object_id: str | None
    state: str | None
    created: datetime | None
    updated: datetime | None


@dataclass(frozen=True)
class RoleAssignment:
    """One role the identity holds at one scope, with the role's name resolved."""

    scope: str
    role_name: str
    role_type: str | None  # "BuiltInRole" or "CustomRole"
    assignment_id: str


def default_credential() -> TokenCredential:
    """azure-identity's default chain; instance discovery is off for an authority host Microsoft does not
    list (Azure Stack, a private cloud, a test stand-in), which Microsoft's discovery cannot validate."""
    authority = os.environ.get("AZURE_AUTHORITY_HOST", "")
    known = {v for k, v in vars(AzureAuthorityHosts).items() if not k.startswith("_")}
    host = urlsplit(authority if "//" in authority else f"https://{authority}").hostname
    if authority and host not in known:
        return DefaultAzureCredential(disable_instance_discovery=True)
    return DefaultAzureCredential()


def _code_message(exc: HttpResponseError) -> tuple[str, str]:
    error = getattr(exc, "error", None)
    if error is not None and getattr(error, "code", None):
        return error.code, error.message
    return exc.reason or "", (exc.message or "").splitlines()[0]


def _attempts(exc: ClientAuthenticationError) -> str:
    """What each credential of the chain said (DefaultAzureCredential lists them indented), else the message."""
    lines = str(exc.message or exc).strip().splitlines()
    tried = [line.strip() for line in lines if line.startswith(("\t", " ")) and ":" in line]
    return "; ".join(tried) or lines[0]


@contextmanager
def _translated(endpoint: str, doing: str, fixes: dict[int, str]) -> Iterator[None]:
    """Turn the SDK's exceptions into AzureError; `fixes` gives the next step per HTTP status."""
    try:
        yield
    except HttpResponseError as exc:
        if exc.status_code is None:  # the credential failed before any ARM call
            raise AzureError(f"could not sign in to Azure ({_attempts(exc)}); {SIGN_IN}") from exc
        code, message = _code_message(exc)
        fix = fixes.get(exc.status_code) or {
            401: f"Azure rejected the access token; {SIGN_IN}",
            403: "ask the customer to give this identity a role at this scope, or sign in as one that has it",
        }.get(exc.status_code, "check the request, or try again later")
        raise AzureError(f"{doing}: Azure answered {exc.status_code} {code}: {message} — {fix}",
                         exc.status_code, code) from exc
    except ServiceRequestError as exc:
        raise AzureError(f"{doing}: cannot reach {endpoint} ({exc.message}); check --arm-endpoint and the "
                         "network, and REQUESTS_CA_BUNDLE when the endpoint uses a private CA") from exc


def _link(response) -> PartnerLink:
    return PartnerLink(response.partner_id, response.partner_name, response.tenant_id, response.object_id,
                       getattr(response.state, "value", response.state), response.created_time, response.updated_time)


class Azure:
    """The signed-in identity's side of Azure: its Partner Admin Link and its role assignments."""

    def __init__(self, credential: TokenCredential, endpoint: str = DEFAULT_ARM_ENDPOINT) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.credential = credential
        self._scopes = [f"{self.endpoint}/.default"]
        self._authorization: dict[str, AuthorizationManagementClient] = {}
        self._role_names: dict[str, tuple[str, str | None]] = {}

    @cached_property
    def identity(self) -> Identity:
        """Who is signed in: the token's tenant (`tid`) and object (`oid`) claims."""
        with _translated(self.endpoint, "signing in", {}):
            token = self.credential.get_token(*self._scopes).token
        claims = jwt.decode(token, options={"verify_signature": False})
        user = any(k in claims for k in ("scp", "upn", "unique_name", "preferred_username"))
        name = (claims.get("upn") or claims.get("unique_name") or claims.get("preferred_username")
                or claims.get("app_displayname") or claims.get("appid") or claims["oid"])
        return Identity(claims["tid"], claims["oid"], "user" if user else "service principal", name)

    @cached_property
    def _partners(self) -> ACEProvisioningManagementPartnerAPI:
        return ACEProvisioningManagementPartnerAPI(self.credential, base_url=self.endpoint,
                                                   credential_scopes=self._scopes)

    def link(self, partner_id: str) -> PartnerLink:
        """Link the identity to `partner_id` (Partner - Create); a conflict names the current link."""
        doing = f"linking Partner ID {partner_id}"
        try:
            with _translated(self.endpoint, doing, {
                    400: "check the Partner ID in Partner Center › Account settings › Identifiers (a location's ID)"}):
                return _link(self._partners.partner.create(partner_id))
        except AzureError as exc:
            current = self.current_link() if exc.status == 409 else None
            if current is None:
                raise
            raise AzureError(
                f"{doing}: this identity is already linked to Partner ID {current.partner_id} "
                f"({current.partner_name}); unlink it first with `partnerscore pal unlink --partner-id "
                f"{current.partner_id}`, then link again", 409, exc.code) from exc

    def current_link(self, partner_id: str | None = None) -> PartnerLink | None:
        """The identity's link (Partners - Get), or its link to `partner_id` (Partner - Get); None if none."""
        doing = "reading the Partner Admin Link"
        with _translated(self.endpoint, doing, {}):
            try:
                found = self._partners.partner.get(partner_id) if partner_id else self._partners.partners.get()
            except HttpResponseError as exc:
                if exc.status_code == 404:
                    return None
                raise
        return _link(found)

    def unlink(self, partner_id: str) -> None:
        """Remove the identity's link to `partner_id` (Partner - Delete)."""
        with _translated(self.endpoint, f"unlinking Partner ID {partner_id}", {
                404: f"this identity is not linked to {partner_id}; `partnerscore pal show` names its link"}):
            self._partners.partner.delete(partner_id)

    def _authorization_client(self, subscription_id: str) -> AuthorizationManagementClient:
        if subscription_id not in self._authorization:
            self._authorization[subscription_id] = AuthorizationManagementClient(
                self.credential, subscription_id, base_url=self.endpoint, credential_scopes=self._scopes)
        return self._authorization[subscription_id]

    def role_assignments(self, scope: str) -> list[RoleAssignment]:
        """The identity's role assignments at, above or below `scope` (a subscription or any ARM scope)."""
        parts = scope.strip("/").split("/")
        if len(parts) < 2 or parts[0].lower() != "subscriptions":
            raise AzureError(f"{scope!r} is not a subscription scope: use /subscriptions/ID[/resourceGroups/NAME…]")
        client = self._authorization_client(parts[1])
        who = f"principalId eq '{self.identity.object_id}'"
        with _translated(self.endpoint, f"listing role assignments at {scope}", {
                404: "check the subscription or resource group name and that it is in this tenant"}):
            if len(parts) == 2:
                found = list(client.role_assignments.list_for_subscription(filter=who))
            else:
                found = list(client.role_assignments.list_for_scope("/" + "/".join(parts), filter=who))
            return [RoleAssignment(a.scope, *self._role(client, a.role_definition_id), a.id) for a in found]

    def _role(self, client: AuthorizationManagementClient, definition_id: str) -> tuple[str, str | None]:
        if definition_id not in self._role_names:
            definition = client.role_definitions.get_by_id(definition_id)
            self._role_names[definition_id] = (definition.role_name, definition.role_type)
        return self._role_names[definition_id]


def connect(endpoint: str | None = None, credential: TokenCredential | None = None) -> Azure:
    """An `Azure` for the ARM endpoint (default https://management.azure.com) with the default credential."""
    return Azure(credential or default_credential(), endpoint or DEFAULT_ARM_ENDPOINT)
