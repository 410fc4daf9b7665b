"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendations)."""

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _stand_in_hash() -> str:
    """A hash of a random password with the same parameters as a real one, made once a process."""
    return _hasher.hash(secrets.token_urlsafe(32))


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether `password` is the one hashed; a missing hash never matches.

    A missing hash (an unknown e-mail, a user without a password) costs a full argon2 check of a
    stand-in hash all the same: answering faster would tell which e-mails have an account.
    """
    try:
        matches = _hasher.verify(password_hash or _stand_in_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matches and password_hash is not None


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"A password needs at least {MIN_PASSWORD_LENGTH} characters."
    return None
