"""BHXH gateway settings (environment prefix SMARTHEALTH_BHXH_); Uncertain points are knobs."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class BhxhSettings(BaseSettings):
    """Defaults talk to the local simulator (`smarthealth bhxh-sim --port 8088`)."""

    model_config = SettingsConfigDict(env_prefix="SMARTHEALTH_BHXH_", env_file=".env",
                                      extra="ignore")

    base_url: str = "http://127.0.0.1:8088"
    username: str = "01001_BV"  # per-facility account xxxxx_BV (CV 1923/BHXH-CNTT)
    password: str = "demo-password"
    # insurance.md §4.2: MD5 hex of the password, uppercase per [secondary]
    password_md5_case: Literal["upper", "lower"] = "upper"
    token_path: str = "/api/token/take"
    card_check_path: str = "/api/egw/KQNhanLichSuKCB2024"
    # insurance.md §4.4 [vendor, Uncertain]: history moved to Lskcb2025 after CV 2746
    history_path: str = "/api/egw/Lskcb2025"
    # insurance.md §4.3 Uncertain: annex says JSON, vendors send form-urlencoded
    body_format: Literal["form", "json"] = "form"
    # insurance.md §4.3 Uncertain: table says dd/MM/yyyy, annex sample 05031994
    date_format: str = "%d/%m/%Y"
    # insurance.md §4.3 Uncertain: whether maThe accepts a 12-digit CCCD
    cccd_as_card_code: bool = False
    # Fallback hoTenCb / cccdCb for kiosks and staff without a CCCD on file. The defaults only
    # suit the simulator; in production set a staff member on the facility's registered list.
    staff_name: str = "Cán bộ tra cứu kiosk"
    staff_cccd: str = "001099000001"
    timeout_seconds: float = 2.0  # each connect / read / write / pool wait
    deadline_seconds: float = 5.0  # one whole check, token and retry included
    retries: int = 1
    breaker_failures: int = 5
    breaker_cooldown_seconds: float = 30.0
    max_connections: int = 200  # kept alive too, so bursts do not reconnect
    cache_enabled: bool = True
    cache_max_entries: int = 200_000
    token_margin_seconds: float = 60.0  # refresh this long before the token expires


@lru_cache
def get_bhxh_settings() -> BhxhSettings:
    return BhxhSettings()
