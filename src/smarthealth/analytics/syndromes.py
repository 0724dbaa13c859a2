"""Syndrome definitions: ICD-10 code sets loaded from dated configuration (syndromes.toml)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parent / "syndromes.toml"
_RANGE = re.compile(r"^([A-Z])(\d\d)-([A-Z])(\d\d)$")
_CODE = re.compile(r"^[A-Z]\d\d(\.\d{1,2})?$")


class SyndromeConfigError(ValueError):
    """The syndrome file is not valid."""


@dataclass(frozen=True)
class Syndrome:
    key: str
    name_vi: str
    name_en: str
    prefixes: tuple[str, ...]  # normalised ICD-10 prefixes ("A90", "B08.4")

    def name(self, lang: str) -> str:
        return self.name_vi if lang == "vi" else self.name_en

    def matches(self, icd10: str) -> bool:
        """Whether a diagnosis code falls in this syndrome."""
        code = normalise(icd10)
        return any(code.startswith(p) for p in self.prefixes)


@dataclass(frozen=True)
class SyndromeSet:
    valid_from: date
    source: str
    syndromes: dict[str, Syndrome]

    def code_rows(self) -> list[tuple[str, str, str]]:
        """(syndrome, 3-character code, full prefix) rows for an equi-join on icd3."""
        return [(s.key, p[:3], p) for s in self.syndromes.values() for p in s.prefixes]


def normalise(code: str) -> str:
    """Upper case, no spaces: "a90.0 " → "A90.0"."""
    return code.strip().upper().replace(" ", "")


def expand(code: str) -> list[str]:
    """One configured entry as prefixes; "J09-J11" → ["J09", "J10", "J11"]."""
    code = normalise(code).replace("–", "-")
    found = _RANGE.match(code)
    if found:
        first, low, last, high = found.groups()
        if first != last or int(low) > int(high):
            raise SyndromeConfigError(f"bad ICD-10 range {code!r}")
        return [f"{first}{n:02d}" for n in range(int(low), int(high) + 1)]
    if not _CODE.match(code):
        raise SyndromeConfigError(f"bad ICD-10 code {code!r}")
    return [code]


def parse(text: str) -> SyndromeSet:
    """Read the TOML text of a syndrome file."""
    data = tomllib.loads(text)
    syndromes: dict[str, Syndrome] = {}
    for key, spec in (data.get("syndromes") or {}).items():
        try:
            prefixes = tuple(p for entry in spec["codes"] for p in expand(entry))
            syndromes[key] = Syndrome(key=key, name_vi=spec["name_vi"], name_en=spec["name_en"],
                                      prefixes=prefixes)
        except KeyError as exc:
            raise SyndromeConfigError(f"syndrome {key!r} lacks {exc.args[0]!r}") from exc
    if not syndromes:
        raise SyndromeConfigError("no syndromes defined")
    valid_from = data.get("valid_from")
    if not isinstance(valid_from, date):
        raise SyndromeConfigError("valid_from must be a date (YYYY-MM-DD)")
    return SyndromeSet(valid_from=valid_from, source=str(data.get("source", "")),
                       syndromes=syndromes)


@cache
def load(path: Path = DEFAULT_PATH) -> SyndromeSet:
    """The syndrome set of a file (the shipped one by default)."""
    return parse(Path(path).read_text(encoding="utf-8"))
