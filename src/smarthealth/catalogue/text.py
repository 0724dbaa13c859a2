"""Search keys shared by the catalogue's loaders and queries."""

from __future__ import annotations

import re

from smarthealth.identity.names import name_key

_NOT_KEY = re.compile(r"[^a-z0-9. ]+")
_SPLIT_INGREDIENTS = re.compile(r"\s*[+;,/]\s*|\s+va\s+")
# ICD-10 code as typed: a letter, two digits, optional dot and up to two more characters.
ICD10_CODE = re.compile(r"^[A-Z]\d{2}(\.?[0-9A-Z]{0,2})?$")


def search_key(*parts: str) -> str:
    """Lower-case, diacritic-free, punctuation-free text: "Sốt xuất huyết (Dengue)" → "sot ..."."""
    return " ".join(" ".join(_NOT_KEY.sub(" ", name_key(part)).split()) for part in parts if part)


def query_tokens(q: str) -> list[str]:
    """The words of a query as search-key fragments (no LIKE wildcards survive)."""
    return search_key(q).split()


def nodot(code: str) -> str:
    """`a91.0 ` → `A910`."""
    return code.strip().upper().replace(".", "")


def looks_like_icd10(q: str) -> bool:
    return bool(ICD10_CODE.match(q.strip().upper())) or bool(re.match(r"^[A-Za-z]\d?$", q.strip()))


def ingredient_key(active_ingredient: str) -> str:
    """Sorted diacritic-free ingredients joined by '+': duplicate-ingredient detection key."""
    parts = {" ".join(p.split()) for p in _SPLIT_INGREDIENTS.split(name_key(active_ingredient))}
    return "+".join(sorted(p for p in parts if p))
