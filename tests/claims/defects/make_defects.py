"""Rebuild the defect files: `.venv/bin/python tests/claims/defects/make_defects.py`.

Each file is the valid sample episode (tests/claims/conftest.py) with known defects, written by
the platform's own writer so the file is well-formed; test_validate.py asserts each defect is
reported with its table, field, record and code.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[2]))  # the repository root, for `tests.claims`

from tests.claims.conftest import sample_episode  # noqa: E402

from smarthealth.claims.xmlfile import envelope_xml, envelopes_xml  # noqa: E402

CREATED = date(2026, 11, 21)


def build() -> dict[str, bytes]:
    files = {}
    # 1. missing required fields: XML1 HO_TEN; XML2 line 2 DON_VI_TINH
    episode = sample_episode(HO_TEN="")
    episode.tables["XML2"][1]["DON_VI_TINH"] = ""
    files["missing_required.xml"] = envelope_xml(episode, created=CREATED)
    # 2. wrong date formats: XML1 NGAY_VAO with separators; XML3 line 2 NGAY_YL without time
    episode = sample_episode(NGAY_VAO="2026-11-20 08:00")
    episode.tables["XML3"][1]["NGAY_YL"] = "20261120"
    files["wrong_date_format.xml"] = envelope_xml(episode, created=CREATED)
    # 3. sums that do not add up: T_TONGCHI_BV 1,000 too high, T_BHTT 0.2 too low
    files["sums_mismatch.xml"] = envelope_xml(
        sample_episode(T_TONGCHI_BV="118500.25", T_BHTT="90000"), created=CREATED)
    # 4. female-only codes for a man: O80 main diagnosis, N70.0 secondary
    files["female_code_for_man.xml"] = envelope_xml(
        sample_episode(GIOI_TINH="1", HO_TEN="Trần Văn Nam", MA_BENH_CHINH="O80",
                       MA_BENH_KT="N70.0"), created=CREATED)
    # 5. duplicate MA_LK: two HOSO with the same MA_LK in one file
    files["duplicate_ma_lk.xml"] = envelopes_xml([sample_episode(), sample_episode()],
                                                 created=CREATED)
    return files


if __name__ == "__main__":
    for name, data in build().items():
        (HERE / name).write_bytes(data)
        print(name, len(data))
