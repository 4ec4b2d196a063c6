"""Who may use the web app and how: users and their tokens, CSRF tokens, and the security headers.

A users file (YAML) lists each user's name, role (`viewer` or `admin`), the partners they may see
(`"*"` for all) and the SHA-256 digest of their API token; the token itself is printed once by
`partnerscore users add` and never stored. Tokens are 256 random bits, so a fast digest compared in
constant time is enough (a slow password hash buys nothing against guessing 2^256 values)::

    users:
      - name: tailspin-ops
        role: viewer
        partners: ["4650404"]
        token_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
"""

from __future__ import annotations

import difflib
import hashlib
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from partnerscore.errors import PartnerscoreError

USERS_ENV = "PARTNERSCORE_USERS"
ROLES = ("viewer", "admin")
TOKEN_PREFIX = "ps_"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


@dataclass(frozen=True)
class User:
    """A signed-in user: role and the partners they may see (None = every partner)."""

    name: str
    role: str
    partners: frozenset[str] | None
    token_sha256: str = field(default="", repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_see(self, partner_id: str) -> bool:
        return self.partners is None or partner_id in self.partners

    def to_json(self) -> dict:
        return {"name": self.name, "role": self.role,
                "partners": None if self.partners is None else sorted(self.partners)}


def new_token() -> str:
    """A fresh API token (shown once, stored only as its digest)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_partners(text: str | list | None) -> frozenset[str] | None:
    """`*` (or nothing) for every partner, else a comma-separated list or a YAML list of partner ids."""
    if text is None or text == "*" or text == ["*"]:
        return None
    items = text.split(",") if isinstance(text, str) else [str(p) for p in text]
    partners = frozenset(p.strip() for p in items if p.strip())
    if not partners:
        raise PartnerscoreError("give the partners a user may see as a comma-separated list, or * for all")
    return partners


def _user(entry: dict, source: str) -> User:
    try:
        name, role, digest = str(entry["name"]), str(entry["role"]), str(entry["token_sha256"])
    except (KeyError, TypeError) as exc:
        raise PartnerscoreError(f"{source}: every user needs name, role and token_sha256 ({exc} missing)") from exc
    if role not in ROLES:
        raise PartnerscoreError(f"{source}: user {name!r} has role {role!r}; use one of {', '.join(ROLES)}")
    if role == "viewer" and entry.get("partners") is None:  # never every partner by omission
        raise PartnerscoreError(f"{source}: user {name!r} is a viewer without partners; give `partners:` the "
                                "partner IDs they may see, or \"*\" for every partner")
    return User(name, role, parse_partners(entry.get("partners", "*")), digest)


class UserStore:
    """The users of one app: read from a users file (re-read when it changes) plus one-off users."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else None
        self._extra: dict[str, User] = {}
        self._users: dict[str, User] = {}
        self._stamp: int | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, path: Path | str | None = None) -> UserStore:
        """The users file given, else PARTNERSCORE_USERS, else none (only one-off users)."""
        return cls(path or os.environ.get(USERS_ENV) or None)

    def add_ephemeral(self, name: str, role: str, partners: frozenset[str] | None = None) -> str:
        """Add a user that lives as long as this process (e.g. `serve --demo-admin`); returns its token."""
        token = new_token()
        self._extra[name] = User(name, role, partners, token_digest(token))
        return token

    def users(self) -> dict[str, User]:
        """Every user; the file is checked for changes at most once a second."""
        now = time.monotonic()
        if self.path is not None and now - self._checked >= 1.0:
            with self._lock:
                stamp = self.path.stat().st_mtime_ns if self.path.exists() else None
                if stamp != self._stamp:
                    self._users = {u.name: u for u in read_users(self.path)}
                    self._stamp = stamp
                self._checked = now
        return {**self._users, **self._extra} if self._extra else self._users

    def by_token(self, token: str) -> User | None:
        """The user holding `token`, compared in constant time against every digest."""
        digest = token_digest(token)
        found = None
        for user in self.users().values():
            if secrets.compare_digest(digest, user.token_sha256):
                found = user
        return found

    def by_name(self, name: str) -> User | None:
        return self.users().get(name)


def users_path(path: Path | None = None) -> Path:
    """The users file to manage: the one given, else PARTNERSCORE_USERS, else `users.yaml` here."""
    return Path(path or os.environ.get(USERS_ENV) or "users.yaml")


def read_users(path: Path) -> list[User]:
    """The users of a users file; a missing file has none."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise PartnerscoreError(f"{path}: not valid YAML: {exc}") from exc
    return [_user(entry, str(path)) for entry in data.get("users") or []]


def add_user(path: Path, name: str, role: str, partners: str | None, *, replace: bool = False) -> str:
    """Add a user to the users file and return their new token, to be shown once.

    Args:
        partners: the partner IDs the user may see, comma-separated, or `*` for every partner; required
            for a viewer (an admin without it sees every partner).
        replace: give an existing user of that name a new token, role and partners (else refused).
    """
    if role not in ROLES:
        raise PartnerscoreError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if partners is None and role == "viewer":
        raise PartnerscoreError("a viewer needs --partners: the partner IDs they may see, comma-separated, "
                                "or '*' for every partner")
    scope = parse_partners(partners)
    entries = _entries(path)
    if not replace and any(u.get("name") == name for u in entries):
        raise PartnerscoreError(f"{path} already has a user {name!r}; add --replace to give them a new token, "
                                "role and partners, or choose another name")
    token = new_token()
    entries = [u for u in entries if u.get("name") != name]
    entries.append({"name": name, "role": role, "partners": "*" if scope is None else sorted(scope),
                    "token_sha256": token_digest(token)})
    _write(path, entries)
    return token


def check_partners(db: Path, partners: frozenset[str]) -> None:
    """Refuse partner IDs that are not partners of the database `db` (the one `serve` serves): a typo
    would give a user a scope that shows nothing, or a partner the data does not hold yet."""
    wanted = ",".join(sorted(partners))
    if not Path(db).exists():
        raise PartnerscoreError(f"cannot check --partners {wanted}: no database at {db}; give the database "
                                "`serve` uses with --db (or set PARTNERSCORE_DB)")
    from partnerscore.engine.connect import open_duckdb

    tables = open_duckdb(db)
    try:
        known = tables.partners.select("partner_id").to_pyarrow().column(0).to_pylist()
    finally:
        tables.backend.disconnect()
    unknown = sorted(partners - set(known))
    if unknown:
        close = difflib.get_close_matches(unknown[0], known, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise PartnerscoreError(f"unknown partner {', '.join(unknown)} in --partners: not in {db}{hint}; "
                                f"`partnerscore score --db {db}` lists the partners")


def remove_user(path: Path, name: str) -> None:
    entries = _entries(path)
    kept = [u for u in entries if u.get("name") != name]
    if len(kept) == len(entries):
        raise PartnerscoreError(f"{path} has no user {name!r}")
    _write(path, kept)


def _entries(path: Path) -> list[dict]:
    read_users(path)  # validates
    return list((yaml.safe_load(path.read_text()) or {}).get("users") or []) if path.exists() else []


def _write(path: Path, entries: list[dict]) -> None:
    header = "# partnerscore users: API tokens are kept only as SHA-256 digests.\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(header + yaml.safe_dump({"users": entries}, sort_keys=False))
    os.chmod(tmp, 0o600)
    tmp.replace(path)


# --- CSRF: a per-session token, sent back in a form field or the X-CSRF-Token header -------------

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def csrf_token(session: dict) -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_valid(session: dict, submitted: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and submitted) and secrets.compare_digest(expected, submitted)


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response (and no-store to data)."""

    def __init__(self, app, https: bool = False) -> None:
        self.app = app
        self.extra = [(b"strict-transport-security", b"max-age=31536000")] if https else []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        static = scope["path"].startswith("/static/")

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + HEADERS + self.extra
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
