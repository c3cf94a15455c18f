"""AccountService: tokens are shown once, stored as hashes, checked, revoked, and usable as S3 secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from backend.accounts.secrets import load_or_create_server_key
from backend.accounts.service import AccountError, AccountService
from backend.accounts.tables import ApiToken
from backend.db.session import Database


@pytest.fixture
def service(tmp_path: Path) -> AccountService:
    db = Database(f"sqlite:///{tmp_path / 'h.db'}")
    return AccountService(db, load_or_create_server_key(tmp_path))


def test_issued_token_authenticates_and_only_its_hash_is_stored(
    service: AccountService, tmp_path: Path
) -> None:
    service.create_account("Artist@Studio.example")
    token = service.issue_token("artist@studio.example")

    principal = service.authenticate(token)

    assert principal is not None and principal.email == "artist@studio.example"
    db = Database(f"sqlite:///{tmp_path / 'h.db'}", migrate=False)
    with db.transaction() as session:
        rows = session.scalars(select(ApiToken)).all()
    assert len(rows) == 1
    assert token not in (rows[0].token_sha256, rows[0].token_id)
    assert token not in (tmp_path / "h.db").read_bytes().decode("latin-1")


def test_forged_and_revoked_tokens_are_refused(service: AccountService) -> None:
    service.create_account("a@b.org")
    token = service.issue_token("a@b.org")
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")

    assert service.authenticate(forged) is None
    assert service.authenticate("not-a-token") is None
    assert service.revoke("a@b.org") == 1
    assert service.authenticate(token) is None
    assert service.s3_credentials("a@b.org")[1] == ()


def test_s3_credentials_are_the_active_tokens(service: AccountService) -> None:
    service.create_account("a@b.org")
    first = service.issue_token("a@b.org")
    second = service.issue_token("a@b.org")

    principal, secrets = service.s3_credentials("A@B.org")

    assert principal is not None and set(secrets) == {first, second}
    assert service.s3_credentials("nobody@b.org") == (None, ())


def test_tokens_survive_a_restart_with_the_same_server_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    first = AccountService(Database(url), load_or_create_server_key(tmp_path))
    first.create_account("a@b.org")
    token = first.issue_token("a@b.org")

    again = AccountService(Database(url), load_or_create_server_key(tmp_path))

    assert again.authenticate(token) is not None
    assert (tmp_path / "server.key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@b@c", "a b@c.org", "x/y@z.org"])
def test_bad_emails_are_refused_with_a_hint(service: AccountService, email: str) -> None:
    with pytest.raises(AccountError, match=r"name@example\.org"):
        service.create_account(email)


def test_duplicate_account_is_refused(service: AccountService) -> None:
    service.create_account("a@b.org")
    with pytest.raises(AccountError, match="already exists"):
        service.create_account("A@b.org")
