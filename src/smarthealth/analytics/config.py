"""Analytics settings: where the Parquet extract lives and the pseudonymisation secret.

Read from the environment with the prefix SMARTHEALTH_ANALYTICS_ (for example
SMARTHEALTH_ANALYTICS_DIR=/data/analytics).
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from smarthealth.core.settings import get_settings


class AnalyticsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMARTHEALTH_ANALYTICS_", env_file=".env",
                                      extra="ignore")

    # Root of the Parquet datasets (one folder per table, Hive partitions month=YYYY-MM);
    # empty = var/analytics under the platform's var directory.
    dir: Path | None = Field(default=None)
    # HMAC key of the pseudonymous patient key; empty = generated once into var/.
    key_secret: str = ""
    # Persons, encounters or entries read per database round trip.
    chunk: int = 20_000
    # Hex digits kept of HMAC-SHA256(secret, person id).
    patient_key_length: int = 16

    def root(self) -> Path:
        """The Parquet root, created if missing."""
        path = self.dir or get_settings().var_dir / "analytics"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def secret(self) -> bytes:
        """The configured HMAC key, or one generated once and kept in var/ (never committed)."""
        if self.key_secret:
            return self.key_secret.encode()
        var = get_settings().var_dir
        var.mkdir(parents=True, exist_ok=True)
        path = var / "analytics_key"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()


@lru_cache
def get_analytics_settings() -> AnalyticsSettings:
    return AnalyticsSettings()
