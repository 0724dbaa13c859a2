"""Reception settings (prefix SMARTHEALTH_RECEPTION_): deadlines, priority, estimates."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class ReceptionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMARTHEALTH_RECEPTION_", env_file=".env",
                                      extra="ignore")

    # Check-in must finish within 1.5 s even when BHXH is slow: the eligibility call gets this.
    eligibility_deadline_ms: int = 1000
    # Priority groups, highest first. Luật Khám bệnh, chữa bệnh 15/2023/QH15 gives priority to
    # emergencies, children under 6, the very old, people with severe disabilities and pregnant
    # women (reference unverified: the exact list and order are configuration).
    priority_groups: tuple[str, ...] = (
        "emergency", "child_under_6", "severe_disability", "pregnant", "elderly",
    )
    child_age_below: int = 6
    # Age from which a person counts as "very old" (reference unverified; configurable).
    elderly_age: int = 80
    # Wait estimate: prior minutes per patient before a room has data, and the EWMA weight.
    prior_service_minutes: float = 5.0
    ewma_alpha: float = 0.3
    ewma_window: int = 30
    estimate_cache_seconds: float = 2.0
    # A returned skipped ticket goes back in behind this many waiting tickets.
    return_after_waiting: int = 2
    # Background re-check of unverified coverage: poll interval and backoff (seconds).
    recheck_poll_seconds: float = 5.0
    recheck_backoff_seconds: float = 10.0
    recheck_backoff_max_seconds: float = 600.0
    recheck_enabled: bool = True
    # Default outpatient examination when a facility has no explicit default (service code).
    default_exam_code: str = ""
    # How long a facility's rooms and services are kept in memory by the check-in path.
    directory_cache_seconds: float = 30.0


@lru_cache
def get_reception_settings() -> ReceptionSettings:
    return ReceptionSettings()
