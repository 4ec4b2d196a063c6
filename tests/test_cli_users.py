"""`partnerscore users` and `serve`: who may see what is said out loud, never granted by default.

A viewer needs `--partners` (an explicit `*` means every partner), a name already in the file needs
`--replace`, every partner ID must be one of the database's, and `serve` warns when sessions will
not survive a restart.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from partnerscore.cli.app import app
from partnerscore.errors import PartnerscoreError
from partnerscore.web.security import UserStore, read_users


def users(path: Path, *args: str, env: dict | None = None):
    return CliRunner().invoke(app, ["users", *args, "--users", str(path), "-f", "json"], env=env)


ADD_CASES = [
    ("a viewer without --partners is refused: no silent access to every partner",
     ["add", "bob", "--role", "viewer"], 1, "a viewer needs --partners"),
    ("a viewer given --partners '*' may see every partner", ["add", "bob", "--role", "viewer", "--partners", "*"],
     0, None),
    ("an admin without --partners sees every partner", ["add", "root", "--role", "admin"], 0, None),
    ("a viewer of two partners of the database", ["add", "bob", "--partners", "4650404,4650505"], 0, None),
    ("an unknown partner ID is refused, naming it and the database checked",
     ["add", "bob", "--partners", "4650505,4659999"], 1, "unknown partner 4659999 in --partners: not in"),
    ("a partner ID mistyped is refused with the closest ones", ["add", "bob", "--partners", "465050"], 1,
     "did you mean"),
]


@pytest.mark.parametrize("args,code,message", [c[1:] for c in ADD_CASES], ids=[c[0] for c in ADD_CASES])
def test_users_add(tmp_path, demo_db, args, code, message):
    path = tmp_path / "users.yaml"
    result = users(path, *args, "--db", str(demo_db))
    assert result.exit_code == code, result.output
    if message:
        assert message in result.output and "Traceback" not in result.output
        assert not path.exists(), "nothing is written when a user is refused"
    else:
        added = json.loads(result.stdout)[0]
        assert UserStore(path).by_token(added["token"]).name == args[1]


def test_users_add_viewer_partners_are_stored_as_given(tmp_path, demo_db):
    path = tmp_path / "users.yaml"
    users(path, "add", "all", "--partners", "*", "--db", str(demo_db))
    users(path, "add", "two", "--partners", "4650505, 4650404", "--db", str(demo_db))
    listed = json.loads(users(path, "list").stdout)
    assert listed == [{"name": "all", "role": "viewer", "partners": "*"},
                      {"name": "two", "role": "viewer", "partners": "4650404,4650505"}]


def test_users_add_existing_name_needs_replace(tmp_path, demo_db):
    path = tmp_path / "users.yaml"
    first = json.loads(users(path, "add", "bob", "--partners", "4650505", "--db", str(demo_db)).stdout)[0]["token"]
    again = users(path, "add", "bob", "--role", "admin", "--db", str(demo_db))
    assert again.exit_code == 1 and "already has a user 'bob'; add --replace" in again.output
    assert UserStore(path).by_token(first).role == "viewer", "the user and their token are unchanged"
    replaced = users(path, "add", "bob", "--role", "admin", "--replace", "--db", str(demo_db))
    assert replaced.exit_code == 0, replaced.output
    store = UserStore(path)
    assert store.by_token(first) is None and store.by_token(json.loads(replaced.stdout)[0]["token"]).role == "admin"


def test_users_add_without_the_database_refuses_rather_than_skip_the_check(tmp_path):
    path = tmp_path / "users.yaml"
    result = users(path, "add", "bob", "--partners", "4650505", "--db", str(tmp_path / "none.duckdb"))
    assert result.exit_code == 1 and not path.exists()
    assert f"cannot check --partners 4650505: no database at {tmp_path / 'none.duckdb'}" in result.output


def test_users_add_checks_the_partners_against_the_default_database(tmp_path, demo_db):
    path = tmp_path / "users.yaml"
    ok = users(path, "add", "bob", "--partners", "4650505", env={"PARTNERSCORE_DB": str(demo_db)})
    unknown = users(path, "add", "eve", "--partners", "4659999", env={"PARTNERSCORE_DB": str(demo_db)})
    assert ok.exit_code == 0 and unknown.exit_code == 1 and "unknown partner 4659999" in unknown.output


def test_users_file_viewer_without_partners_is_refused(tmp_path):
    path = tmp_path / "users.yaml"
    path.write_text("users:\n  - {name: bob, role: viewer, token_sha256: abc}\n")
    with pytest.raises(PartnerscoreError, match="user 'bob' is a viewer without partners"):
        read_users(path)


@pytest.mark.parametrize("env,warned", [({}, True), ({"PARTNERSCORE_SECRET_KEY": "k" * 43}, False)],
                         ids=["serve without PARTNERSCORE_SECRET_KEY warns that a restart signs users out",
                              "serve with a secret key says nothing of it"])
def test_serve_secret_key_warning(demo_db, monkeypatch, env, warned):
    import uvicorn

    monkeypatch.delenv("PARTNERSCORE_SECRET_KEY", raising=False)
    monkeypatch.setattr(uvicorn.Server, "run", lambda *args, **kwargs: None)  # start nothing
    result = CliRunner().invoke(app, ["serve", "--db", str(demo_db), "--demo-admin"], env=env)
    assert result.exit_code == 0, result.output
    assert ("PARTNERSCORE_SECRET_KEY is not set" in result.output) is warned
    assert ("every restart signs every user out" in result.output) is warned
