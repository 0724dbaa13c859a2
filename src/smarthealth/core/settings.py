"""Settings read from the environment (prefix SMARTHEALTH_) or a .env file."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[3]


class Settings(BaseSettings):
    """Every knob of the platform; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="SMARTHEALTH_", env_file=".env", extra="ignore")

    database_url: str = ""
    database_schema: str = ""
    var_dir: Path = PROJECT_ROOT / "var"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = ""
    token_minutes: int = 12 * 60
    cookie_secure: bool = True
    default_language: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    db_pool_size: int = 20
    outbox_gap_grace_seconds: float = 30.0
    pki_password: str = ""  # demo CA and PKCS#12 files; empty = derived from the secret key

    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under var/."""
        if self.database_url:
            return self.database_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{self.var_dir / 'smarthealth.db'}"

    def resolved_secret_key(self) -> str:
        """The configured signing key, or one generated once and kept in var/ (never committed)."""
        if self.secret_key:
            return self.secret_key
        self.var_dir.mkdir(parents=True, exist_ok=True)
        path = self.var_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
