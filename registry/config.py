"""Settings: one pydantic-settings class, env prefix ``SHETU_``, read once and never at import.

Settings come from the environment only (no files are read here).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-insecure-secret-change-me"
DEMO_PASSWORD = "shetu-demo"


class UnsafeSettingsError(ValueError):
    """Raised when settings are unsafe for the chosen environment."""


class Settings(BaseSettings):
    """Every knob Shetu reads from the environment (prefix ``SHETU_``)."""

    model_config = SettingsConfigDict(env_prefix="SHETU_", extra="ignore")

    env: Literal["dev", "test", "production"] = "dev"
    var_dir: Path = REPO_ROOT / "var"
    # Derived data that only depends on inputs and the model (parsed ESCO, label embeddings):
    # kept outside the checkout so fresh clones on the same machine reuse it.
    cache_dir: Path = Field(default_factory=lambda: Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shetu")
    database_url: str = ""
    data_dir: Path = REPO_ROOT.parent / "shared" / "data"
    search_backend: Literal["embedded", "elasticsearch"] = "embedded"
    elasticsearch_url: str = "http://127.0.0.1:9200"
    elasticsearch_timeout_s: float = 5.0
    index_prefix: str = "shetu"
    broker_url: str = "redis://127.0.0.1:6379/0"
    freshness: Literal["inprocess", "celery"] = "inprocess"
    secret_key: str = DEV_SECRET
    token_minutes: int = 8 * 60
    # The packaged MiniLM unless SHETU_MODEL is set; get_settings() puts the encoder that
    # `shetu models activate NAME` made active in its place (matcher.models owns the pointers).
    model: str = "packaged:all-MiniLM-L6-v2"
    encoder_batch_size: int = Field(default=64, ge=1)
    demo_accounts: bool | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # Auditors need who-saw-whom for investigations that run for years (a licence case can be
    # appealed); older rows are pruned by the scheduler and `shetu access-log prune`.
    access_log_retention_days: int = Field(default=730, ge=30, le=3650)
    # The sign-in cookie's Secure flag (sent over HTTPS only); on by default in production.
    cookie_secure: bool | None = None
    # Largest request body accepted (JSON records are a few KB; bigger is refused with 413).
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Requests doing work at once (api.admission); the rest wait, then 503. None = two per core
    # (at least 4); 0 = no limit.
    request_concurrency: int | None = Field(default=None, ge=0, le=1024)
    request_queue_timeout_s: float = Field(default=30.0, gt=0, le=600)
    # The in-process scheduler of `shetu serve` (freshness=inprocess): expiry at start-up and
    # each new day, index reconcile every reconcile_every_s (api.scheduler).
    scheduler: bool = True
    reconcile_every_s: int = Field(default=3600, ge=60)

    @model_validator(mode="after")
    def _derive_and_refuse_unsafe(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'shetu.db'}"
        if self.demo_accounts is None:
            self.demo_accounts = self.env != "production"
        if self.cookie_secure is None:
            self.cookie_secure = self.env == "production"
        if self.env == "production":
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise UnsafeSettingsError(
                    "SHETU_SECRET_KEY must be set to a random value of at least 32 characters "
                    "when SHETU_ENV=production (the development secret is refused)"
                )
            if self.demo_accounts:
                raise UnsafeSettingsError(
                    "SHETU_DEMO_ACCOUNTS must be false when SHETU_ENV=production "
                    "(demo accounts share a published password)"
                )
        return self

    @property
    def index_dir(self) -> Path:
        """Directory of the embedded search indexes."""
        return self.var_dir / "index"

    @property
    def esco_dir(self) -> Path:
        """Directory of the ESCO v1.1.1 CSV files."""
        return self.data_dir / "taxonomy" / "esco-1.1.1"


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment on first call.

    ``model`` is the active encoder artefact when ``SHETU_MODEL`` is not set
    (:func:`matcher.models.with_active_encoder`); ``Settings`` itself reads no files.
    """
    from matcher.models import with_active_encoder

    return with_active_encoder(Settings())
