"""Account operations: create accounts, issue, check and revoke tokens, find S3 secrets."""

from __future__ import annotations

import hmac
import re
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts.secrets import derive_token, new_token_id, sha256_hex, token_id_of
from backend.accounts.tables import Account, ApiToken
from backend.db.base import utcnow
from backend.db.session import Database

EMAIL_PATTERN = re.compile(r"^[^@\s/]+@[^@\s/]+$")
SECRET_CACHE_TTL_S = 5.0


class AccountError(Exception):
    """A request about accounts that cannot be honoured; the message says why."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    account_id: int
    email: str


class AccountService:
    def __init__(self, db: Database, server_key: bytes) -> None:
        self._db = db
        self._key = server_key
        self._lock = threading.Lock()
        self._secret_cache: dict[str, tuple[float, Principal | None, tuple[str, ...]]] = {}

    def create_account(self, email: str) -> Principal:
        email = email.strip().lower()
        if not EMAIL_PATTERN.match(email):
            raise AccountError(f"'{email}' is not an e-mail address; use the form name@example.org")
        with self._db.transaction() as session:
            if session.scalar(select(Account).where(Account.email == email)) is not None:
                raise AccountError(f"an account for {email} already exists; use 'user list' to see it")
            account = Account(email=email)
            session.add(account)
            session.flush()
            return Principal(account.id, account.email)

    def issue_token(self, email: str, label: str = "") -> str:
        """Returns the new token; only its hash is stored, so this is the one time it is shown."""
        with self._db.transaction() as session:
            account = self._account(session, email)
            token_id = new_token_id()
            token = derive_token(self._key, token_id)
            session.add(
                ApiToken(
                    account_id=account.id, token_id=token_id, token_sha256=sha256_hex(token), label=label
                )
            )
        self._forget(email)
        return token

    def revoke(self, email: str) -> int:
        """Revokes every active token of an account; returns how many were revoked."""
        with self._db.transaction() as session:
            account = self._account(session, email)
            tokens = [t for t in account.tokens if t.revoked_at is None]
            for token in tokens:
                token.revoked_at = utcnow()
        self._forget(email)
        return len(tokens)

    def list_accounts(self) -> list[tuple[str, int]]:
        """E-mail and number of active tokens of every account."""
        with self._db.transaction() as session:
            accounts = session.scalars(select(Account).order_by(Account.email)).all()
            return [(a.email, sum(1 for t in a.tokens if t.revoked_at is None)) for a in accounts]

    def authenticate(self, token: str) -> Principal | None:
        token_id = token_id_of(token)
        if token_id is None:
            return None
        with self._db.transaction() as session:
            row = session.scalar(select(ApiToken).where(ApiToken.token_id == token_id))
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.token_sha256, sha256_hex(token)):
                return None
            return Principal(row.account.id, row.account.email)

    def s3_credentials(self, access_key: str) -> tuple[Principal | None, tuple[str, ...]]:
        """The account behind an S3 access key (its e-mail) and the secrets that may have signed."""
        email = access_key.strip().lower()
        now = time.monotonic()
        with self._lock:
            cached = self._secret_cache.get(email)
            if cached and now - cached[0] < SECRET_CACHE_TTL_S:
                return cached[1], cached[2]
        with self._db.transaction() as session:
            account = session.scalar(select(Account).where(Account.email == email))
            principal: Principal | None = None
            secrets_: tuple[str, ...] = ()
            if account is not None:
                principal = Principal(account.id, account.email)
                secrets_ = tuple(
                    derive_token(self._key, t.token_id) for t in account.tokens if t.revoked_at is None
                )
        with self._lock:
            self._secret_cache[email] = (now, principal, secrets_)
        return principal, secrets_

    def _forget(self, email: str) -> None:
        with self._lock:
            self._secret_cache.pop(email.strip().lower(), None)

    @staticmethod
    def _account(session: Session, email: str) -> Account:
        account = session.scalar(select(Account).where(Account.email == email.strip().lower()))
        if account is None:
            raise AccountError(f"no account for {email}; create it with 'hearth-server user add {email}'")
        return account
