"""The whole-record check (`_Fast.spotless`) never says "clean" where the older checks look."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smarthealth.claims import fields, validate
from tests.claims.conftest import sample_episode

DAY = date(2026, 11, 21)
VALUES = ("", " ", "x" * 5000, "abc", "2026-11-20", "20261320", "202611201261", "202611200810",
          "20261120", "19000101", "18991231", "202602290000", "202402290000", "-1", "1.2345",
          "1.23", "1.2", "1.", ".5", "0001", "1e3", "+1", "1 ", " 1", "99", "100", "0", "01",
          "1", "2", "10", "\x01", "a\x1fb", "\ufffe", "A;B", "A;;B", "J06.9;I10", "\u0661\u0662",
          "\u00b2", "\uff11", "１２", "x" * 15, "9" * 16, "9" * 15 + ".99", "DN4010120000001",
          "001311100000", "A1234567", "01001", "0101234567", "tab\there", "a\nb", "\xa0")


class _Old:
    """A table as before the whole-record check: `clean`, then field by field."""

    def __init__(self, fast: validate._Fast) -> None:
        self.fast = fast

    def clean(self, record: dict[str, str]) -> bool:
        return self.fast.clean(record)

    @staticmethod
    def spotless(record: dict[str, str]) -> bool:
        return False


def _old(spec: validate._Table) -> validate._Table:
    return validate._Table(spec.name, spec.plain, spec.complex, _Old(spec.fast))  # type: ignore[arg-type]


def _agree(spec: validate._Table, record: dict[str, str]) -> bool:
    """Same problems with and without the whole-record check; True when it took the record."""
    new: list = []
    validate._check_record(spec, record, 1, "", new)
    old: list = []
    validate._check_record(_old(spec), record, 1, "", old)
    assert new == old, record
    if spec.fast.spotless(record):
        assert spec.fast.clean(record)
        assert not validate._INVALID.search("".join(record.values()))
        return True
    return False


def test_every_field_and_value_gives_the_old_problems():
    compiled = validate._compiled(DAY)
    episode = sample_episode()
    taken = 0
    for table, records in episode.tables.items():
        spec = compiled[table]
        assert _agree(spec, records[-1])  # a clean record takes the fast check
        for name in fields.field_names(table):
            for value in VALUES:
                taken += _agree(spec, {**records[-1], name: value})
    assert taken > 1000


def test_records_with_missing_extra_or_reordered_fields():
    spec = validate._compiled(DAY)["XML3"]
    record = sample_episode().tables["XML3"][0]
    assert _agree(spec, record)
    assert not _agree(spec, {k: v for k, v in record.items() if k != "MA_MAY"})
    assert not _agree(spec, {**record, "EXTRA": "x"})
    assert not _agree(spec, {**record, "EXTRA": "\x01"})
    assert _agree(spec, dict(reversed(record.items())))


def test_every_table_with_empty_records():
    compiled = validate._compiled(DAY)
    for table in fields.TABLES:
        _agree(compiled[table], fields.empty_record(table))


CODES = sorted({c for codes in fields.code_lists(on=DAY).values() for c in codes})
ANY = st.one_of(st.sampled_from(VALUES), st.sampled_from(CODES),
                st.text(st.sampled_from("0123456789.;A \x01"), max_size=16))


@pytest.mark.parametrize("table", ["XML0", "XML1", "XML2", "XML3", "XML4", "XML5"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_random_records(table, data):
    spec = validate._compiled(DAY)[table]
    base = sample_episode().tables.get(table, [fields.empty_record(table)])[-1] \
        if table != "XML0" else fields.empty_record("XML0")
    names = fields.field_names(table)
    changes = data.draw(st.dictionaries(st.sampled_from(names), ANY, max_size=6))
    _agree(spec, {**base, **changes})


def test_known_good_money_lines_give_the_same_problems():
    """A line found right is looked up by its strings; wrong lines are always worked out."""
    good = sample_episode()
    wrong = sample_episode(MA_LK="W1")
    wrong.tables["XML2"][0]["THANH_TIEN_BV"] = "1"
    wrong.tables["XML3"][1]["T_BHTT"] = "7"
    wrong.tables["XML3"][2]["SO_LUONG"] = "abc"
    runs = []
    for clear in (True, False, False):
        if clear:
            validate._CLEAN_LINES.clear()
        runs.append([validate.validate_episode(e, warnings=True, on=DAY) for e in (good, wrong)])
    assert runs[0] == runs[1] == runs[2]
    assert runs[0][0] == [] and {p.code for p in runs[0][1]} >= {"amount_mismatch",
                                                                 "share_mismatch"}
    assert validate._CLEAN_LINES  # the good lines were remembered


def test_today_is_remembered_until_midnight_in_hanoi(monkeypatch):
    from datetime import datetime

    assert fields._today() == datetime.now(fields.TZ).date()
    monkeypatch.setattr(fields, "_DAY", [0.0, 1.0, date(1970, 1, 1)])  # a day long gone
    assert fields._today() == datetime.now(fields.TZ).date()
    start, end, _ = fields._DAY
    assert end - start == 86400
    assert datetime.fromtimestamp(start, fields.TZ).strftime("%H%M%S") == "000000"
