"""Password hashing (PBKDF2-SHA256, stdlib) for user accounts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

ITERATIONS = 120_000


def hash_password(password: str, *, iterations: int = ITERATIONS) -> str:
    """Return a salted PBKDF2 hash in ``pbkdf2_sha256$iter$salt$hash`` form."""
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    b64 = base64.b64encode
    return f"pbkdf2_sha256${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Return whether ``password`` matches the stored hash (constant-time compare)."""
    try:
        algo, iters, salt_b64, hash_b64 = stored.split("$")
    except ValueError:
        return False
    if algo != "pbkdf2_sha256":
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt_b64),
                                 int(iters))
    return hmac.compare_digest(digest, base64.b64decode(hash_b64))
