"""Submission settings (environment prefix SMARTHEALTH_CLAIMS_): BHXH gateway and Hanoi hub.

Endpoints and parameters are vendor facts (insurance.md §5) and may change with the next
amendment; the Hanoi hub's obligations are Uncertain. All of them are settings.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class ClaimsSettings(BaseSettings):
    """Defaults talk to the local simulator (`smarthealth bhxh-sim --port 8088`)."""

    model_config = SettingsConfigDict(env_prefix="SMARTHEALTH_CLAIMS_", env_file=".env",
                                      extra="ignore")

    default_target: Literal["bhxh", "hub"] = "bhxh"
    # BHXH gateway (insurance.md §5.1 [vendor]); the real base is https://egw.baohiemxahoi.gov.vn
    bhxh_base_url: str = "http://127.0.0.1:8088"
    bhxh_username: str = "01001_BV"  # per-facility account xxxxx_BV
    bhxh_password: str = "demo-password"
    bhxh_password_md5_case: Literal["upper", "lower"] = "upper"
    bhxh_token_path: str = "/api/token/take"
    bhxh_submit_path: str = "/api/qd130/guiHoSoXmlQD3176"  # earlier …QD4750
    bhxh_checkin_path: str = "/api/qd130/checkInKcbQd3176"  # earlier …Qd4750
    bhxh_loai_ho_so: str = "130"  # vendor configures "130" (tracnn/qlbv_public)
    # Hanoi Department of Health hub (insurance.md §5.2 [vendor]; Uncertain whether required);
    # real: https://auth-soyt.hanoi.gov.vn and https://axis-soyt.hanoi.gov.vn (sandbox sb…)
    hub_auth_base_url: str = "http://127.0.0.1:8088"
    hub_base_url: str = "http://127.0.0.1:8088"
    hub_username: str = "01001_BV"
    hub_password: str = "demo-password"
    hub_token_path: str = "/api/auth/token/take"
    hub_submit_path: str = "/api/kcb/xml/qd3176/guiHoSoXml"
    hub_status_path: str = "/api/kcb/tra-cuu-trang-thai"
    hub_loai_ho_so: str = "3176"
    hub_ma_tinh: str = "HN"
    # PEM bundle of CAs whose certificates may sign uploaded files (besides the demo CA), e.g. the
    # licensed Vietnamese CAs (chữ ký số công cộng) that sign other vendors' files
    trusted_ca_file: str | None = None
    timeout_seconds: float = 10.0  # connect / read / write of one call
    max_file_bytes: int = 20_000_000  # larger uploads are refused before anything is sent


@lru_cache
def get_claims_settings() -> ClaimsSettings:
    return ClaimsSettings()
