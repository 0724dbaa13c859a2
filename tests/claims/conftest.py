"""Shared claims test helpers: `sample_episode(**overrides)` builds a valid outpatient episode."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from smarthealth.claims.episode import Episode
from smarthealth.claims.fields import empty_record
from smarthealth.claims.money import line_money
from smarthealth.claims.xmlfile import fmt_amount, fmt_quantity

MA_LK = "01001-20261120-0001"
FACILITY = "01001"

# (code, name, unit, qty, price, MA_NHOM)
DRUGS = [("40.17", "Paracetamol 500mg", "viên", "10", "1500", "4"),
         ("40.678", "Amoxicilin 500mg", "viên", "0.5", "25000.5", "4")]
# (MA_DICH_VU, MA_VAT_TU, name, qty, price_bv, price_bh, MA_NHOM)
SERVICES = [("02.1896", "", "Khám Nội", "1", "50000", "45000", "13"),
            ("22.0120.1370", "", "Tổng phân tích tế bào máu ngoại vi", "1", "30000", "30000",
             "1"),
            ("", "N03.05.070", "Bơm tiêm nhựa 5ml", "2", "5000", "5000", "10")]
MUC_HUONG = 80


def _drug_line(stt: int, ma_lk: str, item: tuple[str, ...]) -> dict[str, str]:
    code, name, unit, qty, price, group = item
    money = line_money(quantity=qty, unit_price=price, muc_huong=MUC_HUONG)
    rec = empty_record("XML2")
    rec.update(
        MA_LK=ma_lk, STT=str(stt), MA_THUOC=code, MA_NHOM=group, TEN_THUOC=name,
        DON_VI_TINH=unit, HAM_LUONG="500mg", DUONG_DUNG="1.01", DANG_BAO_CHE="Viên nén",
        LIEU_DUNG="1 viên x 2 lần/ngày x 5 ngày", CACH_DUNG="Uống sau ăn",
        SO_DANG_KY="VD-12345-10", TT_THAU="57/QĐ-TTMS;G1;N1;2026", PHAM_VI="1",
        TYLE_TT_BH="100", SO_LUONG=fmt_quantity(Decimal(qty)),
        DON_GIA=fmt_quantity(Decimal(price)), THANH_TIEN_BV=fmt_amount(money.thanh_tien_bv),
        THANH_TIEN_BH=fmt_amount(money.thanh_tien_bh), T_NGUONKHAC_NSNN="0",
        T_NGUONKHAC_VTNN="0", T_NGUONKHAC_VTTN="0", T_NGUONKHAC_CL="0", T_NGUONKHAC="0",
        MUC_HUONG=str(MUC_HUONG), T_BNTT=fmt_amount(money.t_bntt),
        T_BNCCT=fmt_amount(money.t_bncct), T_BHTT=fmt_amount(money.t_bhtt), MA_KHOA="K01",
        MA_BAC_SI="001234/HNO-CCHN", NGAY_YL="202611200830", NGAY_TH_YL="202611200835",
        MA_PTTT="1", NGUON_CTRA="1")
    return rec


def _service_line(stt: int, ma_lk: str, item: tuple[str, ...]) -> dict[str, str]:
    service, supply, name, qty, price_bv, price_bh, group = item
    money = line_money(quantity=qty, unit_price=price_bv, unit_price_bh=price_bh,
                       muc_huong=MUC_HUONG)
    rec = empty_record("XML3")
    rec.update(
        MA_LK=ma_lk, STT=str(stt), MA_DICH_VU=service, MA_VAT_TU=supply, MA_NHOM=group,
        TEN_DICH_VU=name if service else "", TEN_VAT_TU=name if supply else "",
        DON_VI_TINH="lần" if service else "cái", PHAM_VI="1",
        SO_LUONG=fmt_quantity(Decimal(qty)), DON_GIA_BV=fmt_quantity(Decimal(price_bv)),
        DON_GIA_BH=fmt_quantity(Decimal(price_bh)),
        TT_THAU="57/QĐ-TTMS;G1;N1;2026" if supply else "", TYLE_TT_DV="100",
        TYLE_TT_BH="100", THANH_TIEN_BV=fmt_amount(money.thanh_tien_bv),
        THANH_TIEN_BH=fmt_amount(money.thanh_tien_bh), MUC_HUONG=str(MUC_HUONG),
        T_NGUONKHAC_NSNN="0", T_NGUONKHAC_VTNN="0", T_NGUONKHAC_VTTN="0",
        T_NGUONKHAC_CL="0", T_NGUONKHAC="0", T_BNTT=fmt_amount(money.t_bntt),
        T_BNCCT=fmt_amount(money.t_bncct), T_BHTT=fmt_amount(money.t_bhtt), MA_KHOA="K01",
        MA_BAC_SI="001234/HNO-CCHN",
        NGUOI_THUC_HIEN="004567/HNO-CCHN" if group in ("1", "2", "3", "8", "18") else "",
        MA_BENH="J06.9", NGAY_YL="202611200815",
        NGAY_TH_YL="202611200820" if group in ("1", "2", "3", "8", "18") else "",
        NGAY_KQ="202611200900" if group == "1" else "", MA_PTTT="1")
    return rec


def _total(lines: list[dict[str, str]], name: str,
           where: Any = lambda line: True) -> str:
    return fmt_amount(sum((Decimal(line[name]) for line in lines if where(line)), Decimal(0)))


def summary(ma_lk: str, drugs: list[dict[str, str]],
            services: list[dict[str, str]]) -> dict[str, str]:
    """An XML1 record whose totals are the sums of `drugs` (XML2) and `services` (XML3)."""
    lines = drugs + services
    rec = empty_record("XML1")
    rec.update(
        MA_LK=ma_lk, STT="1", MA_BN="BN000123", HO_TEN="Nguyễn Thị Lan",
        SO_CCCD="001185012345", NGAY_SINH="198505150000", GIOI_TINH="2", MA_QUOCTICH="000",
        MA_DANTOC="01", MA_NGHE_NGHIEP="00000",
        DIA_CHI="Số 1 phố Tràng Tiền, phường Hoàn Kiếm, Hà Nội", MATINH_CU_TRU="01",
        MAHUYEN_CU_TRU="001", MAXA_CU_TRU="00070", DIEN_THOAI="0912345678",
        MA_THE_BHYT="GD4010123456789", MA_DKBD="01001", GT_THE_TU="20260101",
        GT_THE_DEN="20261231", LY_DO_VV="Sốt, ho 3 ngày", CHAN_DOAN_VAO="Viêm họng cấp",
        CHAN_DOAN_RV="Nhiễm trùng đường hô hấp trên cấp; Tăng huyết áp",
        MA_BENH_CHINH="J06.9", MA_BENH_KT="I10", MA_DOITUONG_KCB="1.1",
        NGAY_VAO="202611200800", NGAY_RA="202611201030", SO_NGAY_DTRI="0",
        KET_QUA_DTRI="2", MA_LOAI_RV="1", GHI_CHU="Uống thuốc đủ liều, tái khám khi sốt cao",
        NGAY_TTOAN="202611201025",
        T_THUOC=_total(drugs, "THANH_TIEN_BV"),
        T_VTYT=_total(services, "THANH_TIEN_BV", lambda s: s["MA_NHOM"] in ("10", "11")),
        T_TONGCHI_BV=_total(lines, "THANH_TIEN_BV"),
        T_TONGCHI_BH=_total(lines, "THANH_TIEN_BH"), T_BNTT=_total(lines, "T_BNTT"),
        T_BNCCT=_total(lines, "T_BNCCT"),
        T_BHTT=fmt_amount(Decimal(_total(lines, "THANH_TIEN_BH"))
                          - Decimal(_total(lines, "T_BNCCT"))),
        T_NGUONKHAC=_total(lines, "T_NGUONKHAC"),
        T_BHTT_GDV=_total(lines, "T_BHTT", lambda s: s["MA_PTTT"] == "1"),
        NAM_QT="2026", THANG_QT="11", MA_LOAI_KCB="01", MA_KHOA="K01", MA_CSKCB=FACILITY,
        MA_KHUVUC="", CAN_NANG="52.5", MA_HSBA="KB-2026-000123", MA_TTDV="0101234567")
    return rec


def sample_episode(**overrides: Any) -> Episode:
    """A valid outpatient examination (MA_LOAI_KCB 01) with XML1–XML5.

    Overrides: `facility_code=...`; `MA_LK=...` (changes every table); `XML2=[...]` /
    `XML3=[...]` etc. replace a table's records (partial records are completed with "");
    `XML1={...}` or any other XML1 field name as keyword (`GIOI_TINH="1"`) updates the summary
    after the totals were computed (so a wrong total stays wrong).
    """
    ma_lk = overrides.pop("MA_LK", MA_LK)
    facility = overrides.pop("facility_code", FACILITY)
    drugs = [_drug_line(i, ma_lk, d) for i, d in enumerate(DRUGS, start=1)]
    services = [_service_line(i, ma_lk, s) for i, s in enumerate(SERVICES, start=1)]
    tables: dict[str, list[dict[str, str]]] = {"XML1": [], "XML2": drugs, "XML3": services}
    result = empty_record("XML4")
    result.update(MA_LK=ma_lk, STT="1", MA_DICH_VU="22.0120.1370", MA_CHI_SO="WBC",
                  TEN_CHI_SO="Số lượng bạch cầu", GIA_TRI="11.2", DON_VI_DO="G/L",
                  KET_LUAN="Bạch cầu tăng nhẹ", NGAY_KQ="202611200900",
                  MA_BS_DOC_KQ="004567/HNO-CCHN")
    note = empty_record("XML5")
    note.update(MA_LK=ma_lk, STT="1", DIEN_BIEN_LS="Sốt 38.5 độ, họng đỏ <CSST<M90_T38.5>>",
                THOI_DIEM_DBLS="202611200810", NGUOI_THUC_HIEN="001234/HNO-CCHN")
    tables["XML4"], tables["XML5"] = [result], [note]
    for table in ("XML2", "XML3", "XML4", "XML5"):
        if table in overrides:
            tables[table] = [{**empty_record(table), **r} for r in overrides.pop(table)]
    tables["XML1"] = [summary(ma_lk, tables["XML2"], tables["XML3"])]
    tables["XML1"][0].update(overrides.pop("XML1", {}))
    unknown = set(overrides) - set(tables["XML1"][0])
    if unknown:
        raise TypeError(f"sample_episode: unknown overrides {sorted(unknown)}")
    tables["XML1"][0].update(overrides)
    return Episode(facility_code=facility, tables=tables)
