"""Server settings, read once from the environment.

Every knob of the HTTP API lives in one :class:`Settings` object; each field is read from
an environment variable named ``TOPO_`` + the field name in capitals::

    TOPO_DB_PATH=/var/lib/topo/plans.db      # the embedded SQLite file (default ./topo-api.db)
    TOPO_DATABASE_URL=postgresql+psycopg://topo@localhost/topo   # any SQLAlchemy URL instead
    TOPO_WORKERS=2                           # plans run at once, each in its own process
    TOPO_SOLVER_TIME_LIMIT_S=300             # a plan still running then is stopped, failed
    TOPO_MEMORY_LIMIT_MB=8192                # address space of one planning process
    TOPO_MAX_BODY_BYTES=2097152              # larger request bodies get 413
    TOPO_SYNC_BUDGET_S=2                     # plans done by then are answered at once (201)
    TOPO_API_KEYS=key-one,key-two            # when set, every route but /healthz needs one

Example:
    >>> Settings(db_path="plans.db").database_url_or_default()
    'sqlite:///plans.db'
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Everything the HTTP API can be told, from ``TOPO_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="TOPO_", frozen=True, extra="ignore")

    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the plan store, e.g. "
        "'postgresql+psycopg://user:password@host/topo'; default: SQLite at db_path.",
    )
    db_path: Path = Field(
        Path("topo-api.db"), description="SQLite file used when no database_url is given."
    )
    workers: int = Field(2, ge=1, le=64, description="Plans that run at the same time.")
    solver_time_limit_s: float = Field(
        300.0,
        gt=0,
        description="Longest a plan may run, seconds; one still running then is stopped "
        "and marked failed.",
    )
    memory_limit_mb: int = Field(
        8192,
        ge=256,
        description="Address space a planning process may use, MiB; a plan needing more "
        "fails with a message saying so.",
    )
    max_body_bytes: int = Field(
        2 * 1024 * 1024, ge=1024, description="Largest request body accepted, bytes."
    )
    sync_budget_s: float = Field(
        2.0,
        ge=0,
        description="How long POST /v1/plans waits for a plan before answering 202 instead "
        "of 201, seconds.",
    )
    api_keys: Annotated[tuple[SecretStr, ...], NoDecode] = Field(
        (),
        description="Accepted values of the X-API-Key header, comma-separated in the "
        "environment; empty: no key needed.",
    )

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(k.strip() for k in value.split(",") if k.strip())
        return value

    def database_url_or_default(self) -> str:
        """The SQLAlchemy URL of the plan store."""
        return self.database_url or f"sqlite:///{self.db_path}"
