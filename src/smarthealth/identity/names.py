"""Vietnamese text helpers: NFC clean-up, diacritic-free name keys, mojibake repair, similarity."""

from __future__ import annotations

import difflib
import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Text that went through a Latin-1 / Windows-1252 decode by mistake shows these lead bytes
# of UTF-8 sequences (Ã, Ä, Æ, á» ...); only such text is tried for repair.
_MOJIBAKE_HINT = re.compile("[\u00c2-\u00c6\u00e1-\u00e3][\u0080-\u00bf\u0152-\u2122]")


def clean_text(text: str) -> str:
    """NFC-normalise, turn control characters into spaces, drop surrogates, collapse spaces."""
    kept = []
    for ch in unicodedata.normalize("NFC", text):
        cat = unicodedata.category(ch)
        if cat == "Cs" or ch == "\ufeff":
            continue
        kept.append(" " if cat in ("Cc", "Zl", "Zp") else ch)
    return _SPACES.sub(" ", "".join(kept)).strip()


def name_key(name: str) -> str:
    """Lower-case, no diacritics, đ→d, single spaces: "Nguyễn Văn An" → "nguyen van an"."""
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare.lower()).strip()


def _to_bytes(text: str) -> bytes | None:
    """The bytes a mistaken cp1252/Latin-1 decode came from, or None if not such text."""
    out = bytearray()
    for ch in text:
        if ord(ch) < 256:
            out.append(ord(ch))
            continue
        try:
            out += ch.encode("cp1252")
        except UnicodeEncodeError:
            return None
    return bytes(out)


def repair_mojibake(text: str) -> tuple[str, bool]:
    """Undo UTF-8 read as Latin-1/cp1252 ("Nguyá»…n" → "Nguyễn") when it round-trips cleanly."""
    repaired = False
    for _ in range(2):  # double-encoded text is seen in the wild; two rounds are enough
        if not _MOJIBAKE_HINT.search(text):
            break
        raw = _to_bytes(text)
        if raw is None:
            break
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            break
        repaired = True
    return text, repaired


def name_similarity(a: str, b: str) -> float:
    """0..1 similarity of two names on their keys: the better of whole-string and sorted tokens."""
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return 0.0
    whole = difflib.SequenceMatcher(None, ka, kb).ratio()
    tokens = difflib.SequenceMatcher(
        None, " ".join(sorted(ka.split())), " ".join(sorted(kb.split()))).ratio()
    return max(whole, tokens)


def looks_like_name(name: str) -> bool:
    """Letters, spaces, apostrophes, dots and hyphens only, with at least one letter."""
    return bool(name) and any(ch.isalpha() for ch in name) and all(
        ch.isalpha() or ch in " '.-" or unicodedata.combining(ch) for ch in name)


_SEXES = {"nam": "male", "nu": "female", "male": "male", "female": "female", "m": "male",
          "f": "female"}


def parse_sex(text: str) -> str | None:
    """`Nam`/`Nữ` (any case, with or without diacritics) or male/female → "male"/"female"."""
    return _SEXES.get(name_key(text))
