"""The writer's whole-table rendering gives the bytes the record-by-record writer gave."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smarthealth.claims import fields, xmlfile
from smarthealth.claims.episode import CheckIn, Episode
from smarthealth.claims.xmlfile import HEADER, checkin_xml, envelope_xml, envelopes_xml
from tests.claims.conftest import sample_episode

CREATED = date(2026, 11, 21)


def _inner(table: str, records: list[dict[str, str]]) -> str:
    spec = fields.roots()[table]
    rows = "".join(xmlfile._record(table, spec.record, r) for r in records)
    if not spec.list:
        return f"{HEADER}{rows}"
    return f"{HEADER}<{spec.root}><{spec.list}>{rows}</{spec.list}></{spec.root}>"


def _reference(episodes: list[Episode], created: date) -> bytes:
    """The writer as it was: one str.format per record, base64 text, one encode at the end."""
    hoso = ""
    for episode in episodes:
        parts = []
        for table in fields.EPISODE_TABLES:
            records = episode.tables.get(table)
            if records:
                encoded = base64.b64encode(_inner(table, records).encode()).decode("ascii")
                parts.append(f"<FILEHOSO><LOAIHOSO>{table}</LOAIHOSO>"
                             f"<NOIDUNGFILE>{encoded}</NOIDUNGFILE></FILEHOSO>")
        hoso += "<HOSO>" + "".join(parts) + "</HOSO>"
    facility = xmlfile._escape(episodes[0].facility_code if episodes else "")
    return (f"{HEADER}\n<GIAMDINHHS><THONGTINDONVI><MACSKCB>{facility}</MACSKCB>"
            f"</THONGTINDONVI><THONGTINHOSO><NGAYLAP>{xmlfile.fmt_date8(created)}</NGAYLAP>"
            f"<SOLUONGHOSO>{len(episodes)}</SOLUONGHOSO><DANHSACHHOSO>{hoso}</DANHSACHHOSO>"
            f"</THONGTINHOSO><CHUKYDONVI/></GIAMDINHHS>\n").encode()


def _reference_checkin(checkin: CheckIn) -> bytes:
    spec = fields.roots()["XML0"]
    rows = "".join(xmlfile._record("XML0", spec.record, r) for r in checkin.records)
    return (f"{HEADER}\n<{spec.root}><{spec.list}>{rows}</{spec.list}><CHUKYDONVI/>"
            f"</{spec.root}>\n").encode()


def _same(episode: Episode) -> None:
    assert envelope_xml(episode, created=CREATED) == _reference([episode], CREATED)


VALUES = ["", "plain", "a & b", "<x>", "a>b", "x\ry", "\r\n", "\x01", "\x0b", "\ufffe", "\uffff",
          "tab\t", "Bệnh viện 🙂", "%s", "%(x)s", "{}", "{0}", "%", "&amp;", "]]>", " pad "]


@pytest.mark.parametrize("value", VALUES)
def test_values_in_every_table(value):
    episode = sample_episode(HO_TEN=value)
    for records in episode.tables.values():
        records[-1]["MA_LK"] = value
    _same(episode)
    checkin = CheckIn(facility_code="01001", records=[
        {**fields.empty_record("XML0"), "HO_TEN": value}, fields.empty_record("XML0")])
    assert checkin_xml(checkin) == _reference_checkin(checkin)


def test_records_with_missing_extra_or_reordered_fields():
    episode = sample_episode()
    drugs = episode.tables["XML2"]
    drugs[0] = dict(reversed(drugs[0].items()))
    drugs[1] = {k: v for k, v in drugs[1].items() if k != "TEN_THUOC"}
    episode.tables["XML3"][0]["EXTRA"] = "<not written>"
    episode.tables["XML4"] = [{"MA_LK": "X", "STT": "1"}]
    _same(episode)
    assert envelopes_xml([episode, sample_episode(), episode], created=CREATED) == _reference(
        [episode, sample_episode(), episode], CREATED)
    assert envelopes_xml([], created=CREATED) == _reference([], CREATED)
    assert checkin_xml(CheckIn(facility_code="", records=[])) == _reference_checkin(
        CheckIn(facility_code="", records=[]))


def test_facility_is_escaped():
    _same(sample_episode(facility_code="A&B <Đ>"))


def test_files_written_by_the_older_writer_are_written_again_byte_for_byte():
    import pathlib
    import re

    from smarthealth.claims.xmlfile import read
    checked = 0
    for path in sorted(pathlib.Path(__file__).parent.joinpath("defects").glob("*.xml")):
        data = path.read_bytes()
        day = re.search(rb"<NGAYLAP>(\d{8})</NGAYLAP>", data)
        assert day is not None
        created = date(int(day[1][:4]), int(day[1][4:6]), int(day[1][6:]))
        assert envelopes_xml(read(data).episodes, created=created) == data
        checked += 1
    assert checked >= 5


TEXT = st.lists(st.sampled_from(["a", "đ", " ", "&", "<", ">", "\r", "\n", "\x01", "\ufffe",
                                 "%", "{", "}", "🙂"]), max_size=10).map("".join)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(TEXT, min_size=3, max_size=3))
def test_random_values(values):
    episode = sample_episode(HO_TEN=values[0], DIA_CHI=values[1])
    episode.tables["XML3"][1]["TEN_DICH_VU"] = values[2]
    episode.tables["XML5"][0]["DIEN_BIEN_LS"] = values[0] + values[2]
    _same(episode)
