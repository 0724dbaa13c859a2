"""Read-only, in-memory QĐ 4469 ICD-10 rule set for fast bulk checks (claims validation).

Loaded once from the catalogue's shipped list (the same file `loaders.load_icd10` loads into
the database) and checked with the same rule functions as `service.check_diagnosis`, so a file
can be validated offline, without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from smarthealth.catalogue.loaders import ICD10_FILE, ICD10_VERSION, read_csv
from smarthealth.catalogue.rules import diagnosis_problems, unknown_code
from smarthealth.catalogue.schemas import Icd10Out, Problem


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "x")


@dataclass(frozen=True)
class Icd10Ruleset:
    """ICD-10 codes by dotted and undotted form; `plain` holds codes with no rule at all."""

    codes: dict[str, Icd10Out]
    plain: frozenset[str]

    def find(self, code: str) -> Icd10Out | None:
        return self.codes.get(code) or self.codes.get(code.replace(".", ""))

    def check(self, code: str, *, main: bool, sex: str | None, age_years: int | None,
              age_days: int | None = None) -> list[Problem]:
        """Findings for one code (as `service.check_diagnosis`); [] when clean."""
        if code in self.plain:
            return []
        found = self.find(code)
        if found is None:
            return [unknown_code(code)]
        return diagnosis_problems(found, main=main, sex=sex, age_years=age_years,
                                  age_days=age_days)

    def needs_age(self, code: str) -> bool:
        found = self.find(code)
        return bool(found and (found.age_min or found.age_max))


@cache
def icd10_ruleset(path: Path | None = None) -> Icd10Ruleset:
    """The QĐ 4469 list with its rule flags, loaded once per process.

    Project choice (documented in claims/FORMAT.md): a 3-character category whose sub-codes are
    all female-only (or all male-only) is treated as female-only (male-only) too, since the
    category stands for one of them (O80, N70); QĐ 4469 itself flags only the codes it lists.
    """
    rows = list(read_csv(path or ICD10_FILE))
    children: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if not _flag(row["is_category"]):
            children.setdefault(row["category_code"], []).append(row)
    codes: dict[str, Icd10Out] = {}
    plain = set()
    for row in rows:
        subs = children.get(row["code_nodot"], []) if _flag(row["is_category"]) else []
        female = _flag(row["female_only"]) or bool(subs) and all(
            _flag(s["female_only"]) for s in subs)
        male = _flag(row["male_only"]) or bool(subs) and all(_flag(s["male_only"]) for s in subs)
        item = Icd10Out.model_construct(
            code=row["code"], code_nodot=row["code_nodot"], title_vi=row["title_vi"].strip(),
            title_en=row["title_en"].strip(), chapter=row["chapter_no"],
            category_code=row["category_code"], catalogue_version=ICD10_VERSION,
            not_primary=_flag(row["not_primary"]), female_only=female, male_only=male,
            age_rule=row["age_rule"] or None, age_min=row["age_min"] or None,
            age_min_exclusive=_flag(row["age_min_exclusive"]), age_max=row["age_max"] or None,
            dagger_asterisk=row["dagger_asterisk"] or None,
            is_category=_flag(row["is_category"]), has_subcodes=bool(subs))
        codes[item.code] = codes[item.code_nodot] = item
        if not (item.not_primary or female or male or item.age_min or item.age_max
                or (item.is_category and item.has_subcodes)):
            plain.update((item.code, item.code_nodot))
    return Icd10Ruleset(codes=codes, plain=frozenset(plain))
