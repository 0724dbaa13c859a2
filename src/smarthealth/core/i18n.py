"""Vietnamese first, English second: Babel catalogues under web/locale, compiled at start-up."""

from __future__ import annotations

import io
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "web" / "locale"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@cache
def translations(lang: str) -> Translations:
    """The language's catalogue: every domain's .po file under web/locale/<lang>/LC_MESSAGES,
    compiled in memory and merged (each domain keeps its own file, so edits never collide)."""
    merged = Translations()
    for po_path in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        merged.merge(Translations(fp=buf))
    return merged


def gettext(message: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return translations(lang).gettext(message)


def pick_language(query: str | None, cookie: str | None, accept: str | None) -> str:
    """Query parameter, then cookie, then Vietnamese (the default whatever the browser says)."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


def local_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A UTC timestamp shown in Hanoi time."""
    if value is None:
        return ""
    return value.astimezone(LOCAL_TZ).strftime(fmt)


def local_date(value: date | None) -> str:
    return "" if value is None else value.strftime("%d/%m/%Y")


def format_vnd(amount: int | None) -> str:
    """Integer VND with dot thousands separators, as printed in Vietnam: 1.234.000 ₫."""
    if amount is None:
        return ""
    return f"{amount:,}".replace(",", ".") + " ₫"
