"""Vietnamese first: every page string has a Vietnamese translation; times shown in Hanoi."""

from datetime import UTC, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir

from smarthealth.core.db import get_database
from smarthealth.core.i18n import format_vnd, local_time, translations
from smarthealth.core.models import OutboxEvent

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "smarthealth" / "web" / "templates"


def _template_msgids() -> set[str]:
    found = extract_from_dir(
        str(TEMPLATES), method_map=[("**.html", "jinja2")],
        options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_every_template_string_has_a_vietnamese_translation():
    catalogue = translations("vi")
    missing = sorted(m for m in _template_msgids() if catalogue.gettext(m) == m)
    assert missing == [], f"add these to web/locale/vi/LC_MESSAGES/<domain>.po: {missing}"


def test_utc_instant_is_shown_in_hanoi_time():
    assert local_time(datetime(2026, 11, 26, 17, 30, tzinfo=UTC)) == "27/11/2026 00:30"


def test_money_is_integer_vnd_with_dot_separators():
    assert format_vnd(1234000) == "1.234.000 ₫"


async def test_timestamps_come_back_from_the_database_in_utc():
    instant = datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)
    async with get_database().session() as session:
        session.add(OutboxEvent(occurred_at=instant, topic="t", aggregate_type="x",
                                aggregate_id="1", payload={}))
    async with get_database().session() as session:
        stored = (await session.scalars(OutboxEvent.__table__.select()
                                        .with_only_columns(OutboxEvent.occurred_at))).one()
    assert stored == instant and stored.tzinfo is not None
