"""Shared set-up of the web tests: the users every test signs in as, and the demo's partners."""

from __future__ import annotations

from dataclasses import dataclass

from partnerscore.web.security import UserStore

AS_OF = "2026-10-31"
CONTOSO, FABRIKAM, TAILSPIN, ADATUM = "4650101", "4650202", "4650404", "4650505"


@dataclass
class Tokens:
    """One token per kind of user: an admin, a viewer of every partner, and one reseller's viewer."""

    admin: str
    viewer: str
    adatum: str

    def header(self, who: str) -> dict:
        return {"Authorization": f"Bearer {getattr(self, who)}"}


def demo_users() -> tuple[UserStore, Tokens]:
    store = UserStore()
    tokens = Tokens(admin=store.add_ephemeral("admin", "admin"),
                    viewer=store.add_ephemeral("viewer", "viewer"),
                    adatum=store.add_ephemeral("adatum", "viewer", frozenset([ADATUM])))
    return store, tokens


def assert_error(response, status: int, code: str) -> dict:
    """The response is the one error shape with this status and code and a message; returns the error."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]
