"""Identity settings: every "Uncertain" point of identity.md is a knob with its documented default.

Read from the environment with the prefix SMARTHEALTH_IDENTITY_ (for example
SMARTHEALTH_IDENTITY_SWAP_PREFIX_019_020=true). Uncertain points handled in code rather than
here: the chip reader's date format (every form is accepted: ddmmyyyy, dd/mm/yyyy, yyyy-mm-dd)
and the new card's QR layout (read with the chip card's layouts until real samples exist).
"""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class IdentitySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMARTHEALTH_IDENTITY_", env_file=".env",
                                      extra="ignore")

    # identity.md §1 Uncertain: one repo swaps 019/020; default is the majority reading.
    swap_prefix_019_020: bool = False
    # identity.md §1: a 0-led prefix outside the table is rejected (the table is vendor data).
    reject_unknown_prefix: bool = True
    # identity.md §2: a 6-field QR (no old-ID field) is assumed by some parsers; accepted.
    accept_six_field_qr: bool = True
    # identity.md §4 Uncertain: no public VNeID QR spec; dotted paths of extra scan adapters.
    scan_adapters: tuple[str, ...] = ()
    # Longest payload the scanner entry point reads (a CCCD QR is well under 400 characters).
    max_scan_chars: int = 4096
    # Duplicate finder: pairs scoring at or above this are shown to staff (see matching.py).
    duplicate_threshold: float = 0.85
    # Duplicate finder: how many CCCD-less records one run examines.
    duplicate_scan_limit: int = 2000


@lru_cache
def get_identity_settings() -> IdentitySettings:
    return IdentitySettings()
