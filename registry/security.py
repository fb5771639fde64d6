"""Passwords (argon2id; old PBKDF2 hashes verified and upgraded) and the one sign-in rule."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import User

# argon2id at OWASP's minimum (Password Storage Cheat Sheet: m=19 MiB, t=2, p=1): every guess
# costs 19 MiB of memory, which is what makes GPU/ASIC cracking expensive, and ~30 ms of one
# core here. One lane (p=1) so a sign-in takes one core, never both (see SignInThrottle's
# hashing slots). RFC 9106's 64 MiB/t=3 profile costs ~170 ms a hash, which the test suite (a few
# dozen sign-ins) and a 2-core server would feel. Changing these upgrades stored hashes at the
# next sign-in (needs_rehash).
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
PBKDF2_ITERATIONS = 120_000
WRONG_CREDENTIALS = "wrong username or password"


def hash_password(password: str) -> str:
    """Return an argon2id hash (own random salt, parameters encoded in the string)."""
    return HASHER.hash(password)


def pbkdf2_hash(password: str, *, iterations: int = PBKDF2_ITERATIONS) -> str:
    """Return a hash in the old ``pbkdf2_sha256$iter$salt$hash`` form (still verified)."""
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    b64 = base64.b64encode
    return f"pbkdf2_sha256${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Return whether ``password`` matches an argon2 or a PBKDF2 hash (constant-time compare)."""
    if stored.startswith("pbkdf2_sha256$"):
        try:
            _, iters, salt_b64, hash_b64 = stored.split("$")
            digest = hashlib.pbkdf2_hmac("sha256", password.encode(),
                                         base64.b64decode(salt_b64), int(iters))
            return hmac.compare_digest(digest, base64.b64decode(hash_b64))
        except ValueError:
            return False
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Return whether a stored hash is PBKDF2 or argon2 with other parameters than HASHER's."""
    if stored.startswith("pbkdf2_sha256$"):
        return True
    try:
        return HASHER.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


@cache
def _dummy_hash() -> str:
    # Verified when the username is unknown, so that the answer takes as long as a wrong password
    # (otherwise timing tells which usernames exist).
    return hash_password(os.urandom(16).hex())


class SignInError(Exception):
    """A sign-in was refused."""


class WrongCredentialsError(SignInError):
    """Unknown user, wrong password or an account not allowed here (one message for all)."""

    def __init__(self) -> None:
        super().__init__(WRONG_CREDENTIALS)


class SignInThrottledError(SignInError):
    """Too many failed sign-ins for this account or from this address, or hashing is saturated."""

    def __init__(self, message: str, retry_after: int, *, busy: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.busy = busy


class SignInBusyError(SignInThrottledError):
    """Every password-hashing slot stayed taken: the server is busy, not the account throttled."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after, busy=True)


@dataclass
class SignInThrottle:
    """Failed sign-ins per account and per client address, and a bound on concurrent hashing.

    State is in this process, which is right for the embedded default (one server process).
    Several processes or hosts would each count separately and need a shared store (Redis, or
    a table) for the counters to hold across them.
    """

    # Per account: 5 free failures within 15 min, then each further attempt waits 30 s, 60 s,
    # 120 s, ... (capped at 15 min) after the last failure: about 10 guesses per account per
    # 15 min. A lock only delays: someone who knows the right password gets in after the wait,
    # and locking an account out for good would hand anyone a denial of service.
    account_free_failures: int = 5
    account_window_s: float = 15 * 60
    account_base_delay_s: float = 30
    account_max_delay_s: float = 15 * 60
    # Per address: at most 20 failures a minute whatever the usernames (credential stuffing).
    address_max_failures: int = 20
    address_window_s: float = 60
    # Concurrent password hashes: each takes a core and 19 MiB; with at most half the cores
    # hashing, a sign-in flood leaves the other half to every other request. A sign-in that
    # finds no free slot within hash_wait_s is refused quickly (503, Retry-After).
    hash_slots: int = field(default_factory=lambda: max(1, (os.cpu_count() or 2) // 2))
    hash_wait_s: float = 2.0
    clock: Callable[[], float] = time.monotonic
    max_keys: int = 100_000  # memory bound: forget the oldest entries beyond it

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, deque[float]] = {}
        self._addresses: dict[str, deque[float]] = {}
        self._slots = threading.BoundedSemaphore(self.hash_slots)

    @staticmethod
    def _key(username: str) -> str:
        return username.strip().casefold()[:200]

    def _recent(self, table: dict[str, deque[float]], key: str, window: float,
                now: float) -> deque[float]:
        times = table.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - window:
            times.popleft()
        if not times:
            del table[key]
        return times

    def check(self, username: str, address: str) -> None:
        """Raise SignInThrottledError if this account or address must wait (no hashing yet)."""
        now = self.clock()
        with self._lock:
            by_addr = self._recent(self._addresses, address, self.address_window_s, now)
            if len(by_addr) >= self.address_max_failures:
                wait = by_addr[len(by_addr) - self.address_max_failures] + \
                    self.address_window_s - now
                raise SignInThrottledError(
                    f"too many failed sign-ins from your address: try again in "
                    f"{math.ceil(wait)} s", max(1, math.ceil(wait)))
            by_account = self._recent(self._accounts, self._key(username),
                                      self.account_window_s, now)
            extra = len(by_account) - self.account_free_failures
            if extra >= 0:
                delay = min(self.account_max_delay_s, self.account_base_delay_s * 2 ** extra)
                wait = by_account[-1] + delay - now
                if wait > 0:
                    raise SignInThrottledError(
                        f"too many failed sign-ins for this account: try again in "
                        f"{math.ceil(wait)} s", max(1, math.ceil(wait)))

    def failed(self, username: str, address: str) -> None:
        """Count a failed sign-in against the account and the address."""
        now = self.clock()
        with self._lock:
            for table, key in ((self._accounts, self._key(username)),
                               (self._addresses, address)):
                if key not in table and len(table) >= self.max_keys:
                    del table[next(iter(table))]  # dicts keep insertion order: the oldest key
                table.setdefault(key, deque()).append(now)

    def succeeded(self, username: str) -> None:
        """Forget the account's failures (the address keeps its count)."""
        with self._lock:
            self._accounts.pop(self._key(username), None)

    @contextmanager
    def hashing(self) -> Iterator[None]:
        """Hold one hashing slot, or raise SignInThrottledError(busy=True) if none frees up."""
        if not self._slots.acquire(timeout=self.hash_wait_s):
            raise SignInBusyError("the server is busy signing people in: try again in a "
                                  "second", 1)
        try:
            yield
        finally:
            self._slots.release()


def may_sign_in(user: User, *, allow_demo: bool) -> bool:
    """Return whether ``user`` may use the service: demo accounts only where they are allowed
    (never in production). Checked at sign-in and on every token or cookie presented."""
    return not user.disabled and (allow_demo or not user.is_demo)


def authenticate(session: Session, username: str, password: str, *, allow_demo: bool,
                 throttle: SignInThrottle, address: str) -> User:
    """Return the user these credentials sign in, or raise a SignInError.

    The one sign-in rule for the API and the web form: throttled accounts and addresses are
    refused before any hashing; an unknown user costs the same hash as a wrong password; demo
    accounts are refused unless ``allow_demo``; an outdated hash is replaced on success.

    :raises SignInThrottledError: too many failures, or no hashing slot (``busy``).
    :raises WrongCredentialsError: anything else that is not a valid sign-in.
    """
    throttle.check(username, address)
    user = session.scalar(select(User).where(User.username == username))
    with throttle.hashing():
        ok = verify_password(password, user.password_hash if user else _dummy_hash())
        if ok and user is not None and may_sign_in(user, allow_demo=allow_demo):
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
                session.commit()
            throttle.succeeded(username)
            return user
    throttle.failed(username, address)
    raise WrongCredentialsError()
