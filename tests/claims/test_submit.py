"""Submissions to the BHXH gateway and the Hanoi hub (the simulator over real HTTP), logged."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from smarthealth.claims import signing, submit
from smarthealth.claims.config import ClaimsSettings
from smarthealth.claims.submission_models import ClaimSubmission
from smarthealth.core.audit import Actor
from smarthealth.core.db import get_database
from tests.claims.conftest import FACILITY
from tests.claims.submission_fixtures import (  # noqa: F401 - fixtures
    _claims_settings,
    _claims_sim,
    _claims_sim_server,
    envelope,
)
from tests.claims.test_signing import checkin
from tests.conftest import auth

ACTOR = Actor(name="thungan", role="cashier", facility_code=FACILITY)


async def _count() -> int:
    async with get_database().session() as s:
        return await s.scalar(select(func.count()).select_from(ClaimSubmission))


async def test_a_valid_file_is_signed_sent_accepted_and_logged(sim, claims_settings, make_facility):
    await make_facility(code=FACILITY)
    async with get_database().session() as session:
        row = await submit.submit(session, data=envelope(), target="bhxh", actor=ACTOR,
                                  file_name="a.xml", facility_code=FACILITY)
    assert row.status == "accepted" and row.ma_ket_qua == "200"
    assert row.ma_giao_dich and len(row.thoi_gian_tiep_nhan) == 14
    assert row.ma_lk == "01001-20261120-0001" and row.kind == "claim"
    seen = sim.app.state.claims_sim.transactions[row.ma_giao_dich]
    assert seen["sha256"] == row.sha256 and seen["target"] == "bhxh"  # signed bytes were logged
    async with get_database().session() as session:
        stored = (await submit.list_submissions(session, scope=FACILITY))[0]
        assert (stored.id, stored.response["maGiaoDich"]) == (row.id, row.ma_giao_dich)


async def test_transaction_codes_are_unique_and_the_hub_reports_their_status(sim, claims_settings):
    codes = set()
    async with get_database().session() as session:
        for i in range(3):
            row = await submit.submit(session, data=envelope(MA_LK=f"01001-20261120-{i:04d}"),
                                      target="hub", actor=ACTOR)
            assert row.status == "accepted", row.thong_diep
            codes.add(row.ma_giao_dich)
    assert len(codes) == 3
    client = submit.client_for("hub", settings=claims_settings)
    try:
        answer = await client.status(ma_giao_dich=sorted(codes)[0])
        unknown = await client.status(ma_giao_dich="nope")
    finally:
        await client.aclose()
    assert answer.ma_ket_qua == "200" and answer.raw["data"]["target"] == "hub"
    assert unknown.ma_ket_qua == "404"


async def test_a_check_in_file_goes_to_the_check_in_call(sim, claims_settings):
    async with get_database().session() as session:
        row = await submit.submit(session, data=checkin(), target="bhxh", actor=ACTOR)
    assert (row.status, row.kind) == ("accepted", "checkin")
    assert sim.simulator.stats["claims_checkin"] == 1


@pytest.mark.parametrize("data, code", [
    (b"<GIAMDINHHS><THONGTINDONVI>", "malformed_xml"),
    (b"<HOSO/>", "wrong_root"),
    (envelope().replace(b"<NOIDUNGFILE>", b"<NOIDUNGFILE>%%%"), "bad_inner_file"),
])
async def test_a_malformed_file_is_never_sent(sim, claims_settings, data, code):
    async with get_database().session() as session:
        with pytest.raises(submit.InvalidClaimFile) as caught:
            await submit.submit(session, data=data, target="bhxh", actor=ACTOR)
    assert code in [p["code"] for p in caught.value.details["problems"]]
    assert sim.simulator.stats["claims_claim"] == 0
    assert await _count() == 0


async def test_the_simulator_rejects_malformed_and_unsigned_files(sim, claims_settings):
    client = submit.client_for("bhxh", settings=claims_settings)
    try:
        broken = await client.send(b"<GIAMDINHHS><oops>", kind="claim", facility_code=FACILITY)
        unsigned = await client.send(envelope(), kind="claim", facility_code=FACILITY)
        other = await client.send(envelope(), kind="claim", facility_code="01002")
    finally:
        await client.aclose()
    assert broken.ma_ket_qua == "400" and "XML" in broken.thong_diep
    assert unsigned.ma_ket_qua == "402" and not unsigned.accepted
    assert other.ma_ket_qua == "403"
    response = httpx.post(f"{sim.url}/api/qd130/guiHoSoXmlQD3176",
                          data={"maCSKCB": FACILITY, "maTinh": "01",
                                "fileHSBase64": base64.b64encode(envelope()).decode()})
    assert response.json()["maKetQua"] == "401"  # no token


async def test_a_rejection_is_logged_with_its_message(sim, claims_settings):
    async with get_database().session() as session:
        row = await submit.submit(session, data=envelope(), target="bhxh", actor=ACTOR,
                                  sign=False)
    assert (row.status, row.ma_ket_qua, row.ma_giao_dich) == ("rejected", "402", None)
    assert "chữ ký" in row.thong_diep.lower()


async def test_a_tampered_signed_file_is_refused_before_sending(sim, claims_settings):
    seal = signing.facility_xml_signer(facility_code=FACILITY, facility_name=FACILITY)
    signed = signing.sign_envelope(envelope(), signer=seal)
    async with get_database().session() as session:
        with pytest.raises(submit.InvalidClaimFile) as caught:
            await submit.submit(session, data=signed.replace(b"20261120</NGAYLAP>",
                                                             b"20261121</NGAYLAP>"),
                                target="bhxh", actor=ACTOR)
    assert caught.value.details["problems"][0]["code"] == "bad_signature"


async def test_an_outage_is_a_clear_error_and_the_attempt_is_logged(sim, claims_settings):
    sim.simulator.config.outage = True
    async with get_database().session() as session:
        with pytest.raises(submit.SubmissionUnavailable) as caught:
            await submit.submit(session, data=envelope(), target="bhxh", actor=ACTOR)
        await session.commit()
    assert caught.value.status_code == 503
    assert caught.value.details["reason"] == "HTTP 503"
    async with get_database().session() as session:
        (row,) = await submit.list_submissions(session, scope=None, status="error")
    assert row.id == caught.value.details["submission_id"] and row.ma_giao_dich is None


async def test_an_unreachable_target_times_out_with_a_clear_error(monkeypatch):
    chosen = ClaimsSettings(bhxh_base_url="http://127.0.0.1:9", timeout_seconds=0.5)
    monkeypatch.setattr(submit, "get_claims_settings", lambda: chosen)
    async with get_database().session() as session:
        with pytest.raises(submit.SubmissionUnavailable) as caught:
            await submit.submit(session, data=envelope(), target="bhxh", actor=ACTOR)
    assert caught.value.details["target"] == "bhxh"
    assert caught.value.details["reason"] in ("ConnectError", "timeout")
    assert "cannot be reached" in caught.value.message_en


# --- API ---------------------------------------------------------------------------------------


async def test_api_submits_an_upload_and_lists_the_log(client, sim, claims_settings, make_facility,
                                                      token_for):
    await make_facility(code=FACILITY)
    await make_facility(code="01002", name="BV khác")
    cashier = auth(await token_for("cashier", FACILITY))
    sent = await client.post("/api/claims/submissions", headers=cashier,
                             files={"file": ("hs.xml", envelope(), "application/xml")},
                             data={"target": "bhxh"})
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert body["status"] == "accepted" and body["ma_giao_dich"]
    assert body["response"]["maKetQua"] == "200"
    listed = await client.get("/api/claims/submissions", headers=cashier,
                              params={"status": "accepted"})
    assert [r["ma_giao_dich"] for r in listed.json()] == [body["ma_giao_dich"]]
    other = auth(await token_for("facility_admin", "01002"))
    assert (await client.get("/api/claims/submissions", headers=other)).json() == []
    admin = auth(await token_for("admin"))
    assert len((await client.get("/api/claims/submissions", headers=admin)).json()) == 1


async def test_api_refuses_an_invalid_file_with_its_problems(client, sim, claims_settings,
                                                             make_facility, token_for):
    await make_facility(code=FACILITY)
    cashier = auth(await token_for("cashier", FACILITY))
    bad = await client.post("/api/claims/submissions", headers=cashier,
                            files={"file": ("x.xml", b"<GIAMDINHHS>", "application/xml")})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["problems"][0]["code"] == "malformed_xml"
    foreign = await client.post("/api/claims/submissions", headers=cashier,
                                files={"file": ("x.xml", envelope(facility_code="01002"),
                                                "application/xml")})
    assert foreign.status_code == 422
    assert "other_facility" in [p["code"] for p in foreign.json()["error"]["details"]["problems"]]
    assert await _count() == 0


async def test_api_answers_503_on_an_outage_and_keeps_the_attempt(client, sim, claims_settings,
                                                                   make_facility, token_for):
    await make_facility(code=FACILITY)
    sim.simulator.config.outage = True
    cashier = auth(await token_for("cashier", FACILITY))
    sent = await client.post("/api/claims/submissions", headers=cashier,
                             files={"file": ("hs.xml", envelope(), "application/xml")})
    assert sent.status_code == 503
    assert sent.json()["error"]["code"] == "claims_target_unavailable"
    assert await _count() == 1


async def test_api_roles(client, make_facility, token_for):
    await make_facility(code=FACILITY)
    for role in ("doctor", "receptionist", "department_analyst", "kiosk"):
        headers = auth(await token_for(role, FACILITY))
        assert (await client.get("/api/claims/submissions", headers=headers)).status_code == 403
    assert (await client.get("/api/claims/submissions")).status_code == 401


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_submits_files_one_line_each_and_lists_the_log(sim, tmp_path: Path):
    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    good.write_bytes(envelope())
    bad.write_bytes(b"<GIAMDINHHS>")
    env = dict(os.environ, SMARTHEALTH_CLAIMS_BHXH_BASE_URL=sim.url)

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "smarthealth.cli", "claims", *args],
                              capture_output=True, text=True, env=env, timeout=120)

    sent = cli("submit", str(good), str(bad), "--target", "bhxh", "--facility", FACILITY)
    lines = sent.stdout.strip().splitlines()
    assert sent.returncode == 1, sent.stderr
    assert len(lines) == 2
    assert "accepted" in lines[0] and "maGiaoDich=01001" in lines[0]
    assert "NOT SENT" in lines[1]
    listed = cli("submissions")
    assert listed.returncode == 0 and "accepted" in listed.stdout
    assert len(listed.stdout.strip().splitlines()) == 2


async def test_content_the_validator_refuses_is_not_sent_and_the_simulator_refuses_it(
        sim, claims_settings):
    pytest.importorskip("smarthealth.claims.validate")
    wrong_total = envelope(T_TONGCHI_BV="1")
    async with get_database().session() as session:
        with pytest.raises(submit.InvalidClaimFile) as caught:
            await submit.submit(session, data=wrong_total, target="bhxh", actor=ACTOR)
    assert "T_TONGCHI_BV" in [p["field"] for p in caught.value.details["problems"]]
    seal = signing.facility_xml_signer(facility_code=FACILITY, facility_name=FACILITY)
    client = submit.client_for("bhxh", settings=claims_settings)
    try:  # sent anyway, bypassing our own check: the gateway stand-in refuses it too
        answer = await client.send(signing.sign_envelope(wrong_total, signer=seal),
                                   kind="claim", facility_code=FACILITY)
    finally:
        await client.aclose()
    assert answer.ma_ket_qua == "422" and "T_TONGCHI_BV" in answer.thong_diep
    assert sim.app.state.claims_sim.transactions == {}


async def test_the_simulator_refuses_a_seal_registered_to_another_facility(sim, claims_settings):
    other_seal = signing.facility_xml_signer(facility_code="01002", facility_name="BV khác")
    client = submit.client_for("bhxh", settings=claims_settings)
    try:
        answer = await client.send(signing.sign_envelope(envelope(), signer=other_seal),
                                   kind="claim", facility_code=FACILITY)
    finally:
        await client.aclose()
    assert answer.ma_ket_qua == "402" and "01002" in answer.thong_diep


async def test_a_file_signed_under_another_trusted_ca_is_accepted_for_sending(
        sim, claims_settings, tmp_path, monkeypatch):
    from cryptography.hazmat.primitives import serialization

    from tests.claims.test_signing import _self_signed

    foreign = _self_signed()
    signed = signing.sign_envelope(envelope(), signer=foreign)
    facts, problems = submit.check_file(signed)
    assert [p["value"] for p in problems] == ["untrusted"]
    bundle = tmp_path / "cas.pem"
    bundle.write_bytes(foreign.certificate.public_bytes(serialization.Encoding.PEM))
    monkeypatch.setattr(claims_settings, "trusted_ca_file", str(bundle))
    assert submit.check_file(signed)[1] == []


async def test_api_shows_one_submission_with_its_answer_to_its_facility_only(
        client, sim, claims_settings, make_facility, token_for):
    await make_facility(code=FACILITY)
    await make_facility(code="01002", name="BV khác")
    cashier = auth(await token_for("cashier", FACILITY))
    sent = (await client.post("/api/claims/submissions", headers=cashier,
                              files={"file": ("hs.xml", envelope(), "application/xml")})).json()
    got = await client.get(f"/api/claims/submissions/{sent['id']}", headers=cashier)
    assert got.status_code == 200
    assert got.json()["response"]["maGiaoDich"] == sent["ma_giao_dich"]
    other = auth(await token_for("cashier", "01002"))
    missing = await client.get(f"/api/claims/submissions/{sent['id']}", headers=other)
    assert missing.status_code == 404
