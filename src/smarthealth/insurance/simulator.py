"""A BHXH-gateway stand-in for the demo, tests and benchmarks (`smarthealth bhxh-sim`).

Serves the same protocol as the real gateway (insurance.md §4: token, KQNhanLichSuKCB2024,
Lskcb2025) from the synthetic population. Being a stand-in for BHXH's own register, it reads
the platform's `persons` and `bhyt_cards` tables directly (read-only) instead of going
through the identity and insurance services. Admin endpoints under `/_sim/` (no auth: bind it
to localhost) switch latency, error rate and outage at runtime and force result codes.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from smarthealth.core.db import Database
from smarthealth.core.settings import get_settings
from smarthealth.identity.models import Person
from smarthealth.insurance import tables
from smarthealth.insurance.card import InvalidCardCode, normalise, parse_card_code
from smarthealth.insurance.models import BhytCard

log = logging.getLogger(__name__)

# bhyt_cards.status → the gateway's result code (insurance.md §4.5)
STATUS_CODES = {
    "withdrawn": "110", "reduced": "120", "reduced_province": "121",
    "reduced_in_province": "122", "reduced_reenrolled": "123", "reduced_stopped": "124",
}
# issuing office → "card managed by BHXH of the Ministry of Defence / Public Security" (001/002)
OFFICE_CODES = {"97": "001", "98": "002"}
SHOWS_CARD = frozenset({"000", "001", "002", "003", "004", "010", "110"})  # answers with card data
REQUIRED = ("maThe", "hoTen", "ngaySinh", "hoTenCb", "cccdCb", "token", "id_token")


@dataclass
class SimConfig:
    latency_ms: float = 0.0
    error_rate: float = 0.0
    outage: bool = False
    token_ttl_seconds: int = 3600
    accept_cccd: bool = True  # whether maThe may be a 12-digit CCCD (Uncertain in reality)
    registered_staff: dict[str, str] | None = None  # CCCD → name; None accepts any valid CCCD
    forced: dict[str, str] = field(default_factory=dict)  # card code → result code
    preload: bool = False  # keep the register in memory (benchmarks); else read per request
    today: date | None = None


class ConfigPatch(BaseModel):
    latency_ms: float | None = None
    error_rate: float | None = None
    outage: bool | None = None
    token_ttl_seconds: int | None = None
    accept_cccd: bool | None = None
    registered_staff: dict[str, str] | None = None
    preload: bool | None = None


class ForceRequest(BaseModel):
    card_code: str
    result_code: str | None = None  # None removes the forced code


def name_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).upper().split())


def _ddmmyyyy(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def birth_matches(sent: str, actual: date) -> bool | None:
    """True/False when the sent date (dd/mm/yyyy, ddmmyyyy or yyyy) can be read, else None."""
    sent = sent.strip()
    if len(sent) == 4 and sent.isdigit():
        return int(sent) == actual.year
    for fmt in ("%d/%m/%Y", "%d%m%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(sent, fmt).date() == actual
        except ValueError:
            continue
    return None


class MemoryRegister:
    """Persons and cards as plain rows, indexed the ways the gateway is asked."""

    def __init__(self, persons: list[Any], cards: list[Any]) -> None:
        self.persons = {p.id: p for p in persons}
        self.by_cccd = {p.cccd: p for p in persons if p.cccd}
        self.by_code = {c.code: c for c in cards}
        self.by_sin: dict[str, Any] = {}
        self.cards_of: dict[int, list[Any]] = defaultdict(list)
        for card in sorted(cards, key=lambda c: c.valid_from, reverse=True):
            self.cards_of[card.person_id].append(card)
            self.by_sin.setdefault(card.social_insurance_number, card)

    @classmethod
    async def load(cls, database: Database) -> MemoryRegister:
        async with database.sessionmaker() as session:
            persons = (await session.execute(select(*Person.__table__.c))).all()
            cards = (await session.execute(select(*BhytCard.__table__.c))).all()
        return cls(list(persons), list(cards))

    def find(self, kind: str, key: str) -> tuple[Any, Any, Any] | None:
        """(card, person, newer card) like the database lookup."""
        if kind == "cccd":
            person = self.by_cccd.get(key)
            if person is None:
                return None
            cards = self.cards_of.get(person.id, [])
            card = cards[0] if cards else None
        elif kind == "sin":
            card = self.by_sin.get(key)
        else:
            card = self.by_code.get(key)
        if card is None:
            return None if kind != "cccd" else (None, person, None)
        newer = next((c for c in self.cards_of[card.person_id]
                      if c.valid_from > card.valid_from and c.id != card.id), None)
        return card, self.persons.get(card.person_id), newer


class Simulator:
    """State shared by the simulator's routes: config, issued tokens, counters, database."""

    def __init__(self, config: SimConfig, database: Database | None = None) -> None:
        self.config = config
        self.tokens: dict[tuple[str, str], float] = {}
        self.stats: Counter[str] = Counter()
        self._database = database
        self._memory: MemoryRegister | None = None
        self._memory_lock = asyncio.Lock()

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(get_settings())
        return self._database

    def today(self) -> date:
        return self.config.today or datetime.now(ZoneInfo(get_settings().timezone)).date()

    async def switches(self) -> JSONResponse | None:
        """Latency, then outage (HTTP 503) or a random server error (HTTP 500), or None."""
        if self.config.latency_ms > 0:
            await asyncio.sleep(self.config.latency_ms / 1000)
        if self.config.outage:
            return JSONResponse({"maKetQua": "503"}, status_code=503)
        if self.config.error_rate > 0 and random.random() < self.config.error_rate:  # noqa: S311
            return JSONResponse({"maKetQua": "500"}, status_code=500)
        return None

    def issue_token(self) -> dict[str, Any]:
        access, id_token = secrets.token_hex(16), secrets.token_hex(8)
        self.tokens[(access, id_token)] = time.monotonic() + self.config.token_ttl_seconds
        return {"access_token": access, "id_token": id_token, "token_type": "Bearer",
                "username": "", "expires_in": self.config.token_ttl_seconds}

    def token_ok(self, access: str, id_token: str) -> bool:
        expires = self.tokens.get((access, id_token))
        return expires is not None and expires > time.monotonic()

    def staff_code(self, name: str, cccd: str) -> str | None:
        """054/055 for lookups by unregistered staff (CV 1923/BHXH-CNTT)."""
        if not (len(cccd) == 12 and cccd.isdigit()):
            return "054"
        registered = self.config.registered_staff
        if registered is not None and cccd not in registered:
            return "054"
        if not name.strip() or (registered is not None and
                                name_key(registered[cccd]) != name_key(name)):
            return "055"
        return None

    def lookup_key(self, code: str) -> tuple[str, str] | str:
        """How to look up what was sent as maThe: (kind, key), or an early result code."""
        if self.config.accept_cccd and len(code) == 12 and code.isdigit():
            return "cccd", code
        if len(code) == 10 and code.isdigit():  # QĐ 1666 cards print only the BHXH number
            return "sin", code
        try:
            parsed = parse_card_code(code)
        except InvalidCardCode as exc:
            return exc.details["result_code"]
        if not tables.province_names(parsed.province_code, self.today()):
            return "052"
        return "code", parsed.code

    async def find_card(self, code: str) -> tuple[str | None, Any, Any, Any]:
        """(early result code, card, person, newer card) for what was sent as maThe."""
        key = self.lookup_key(code)
        if isinstance(key, str):
            return key, None, None, None
        if self.config.preload:
            found = (await self.memory()).find(*key)
        else:
            found = await self._find_in_database(*key)
        if found is None:
            return "050", None, None, None
        card, person, newer = found
        if card is None:
            age = (self.today() - person.birth_date).days // 365
            return ("130" if age < 6 else "050"), None, person, None
        return None, card, person, newer

    async def _find_in_database(self, kind: str, key: str) -> tuple[Any, Any, Any] | None:
        joined = select(BhytCard, Person).join(Person, Person.id == BhytCard.person_id)
        stmt = {
            "cccd": select(BhytCard, Person).select_from(Person).outerjoin(
                BhytCard, BhytCard.person_id == Person.id).where(Person.cccd == key),
            "sin": joined.where(BhytCard.social_insurance_number == key),
            "code": joined.where(BhytCard.code == key),
        }[kind]
        async with self.database.sessionmaker() as session:
            row = (await session.execute(
                stmt.order_by(BhytCard.valid_from.desc()).limit(1))).first()
            if row is None:
                return None
            card, person = row
            newer = None if card is None else await session.scalar(select(BhytCard).where(
                BhytCard.person_id == card.person_id, BhytCard.valid_from > card.valid_from,
                BhytCard.id != card.id).order_by(BhytCard.valid_from.desc()).limit(1))
            return card, person, newer

    async def memory(self) -> MemoryRegister:
        """The whole register in memory (SimConfig.preload), read once; /_sim/reload re-reads."""
        if self._memory is None:
            async with self._memory_lock:
                if self._memory is None:
                    self._memory = await MemoryRegister.load(self.database)
        return self._memory

    def card_result(self, card: BhytCard, person: Person, newer: BhytCard | None,
                    form: dict[str, str]) -> tuple[str, BhytCard | None]:
        """The result code for a found card, and the newer card when one was issued."""
        if name_key(form["hoTen"]) != name_key(person.full_name):
            same_first = name_key(form["hoTen"])[:1] == name_key(person.full_name)[:1]
            return ("061" if same_first else "060"), None
        matches = birth_matches(form["ngaySinh"], person.birth_date)
        if matches is None:
            return "205", None
        if not matches:
            return "070", None
        if card.province_code in OFFICE_CODES:
            return OFFICE_CODES[card.province_code], None
        if card.status in STATUS_CODES:
            return STATUS_CODES[card.status], None
        expired = not (card.valid_from <= self.today() <= card.valid_to)
        if newer is not None:
            return ("003" if expired else "004"), newer
        return ("010" if expired else "000"), None

    async def safe_answer(self, form: dict[str, str]) -> dict[str, Any]:
        """answer(), with a register read failure reported as 100 like the real gateway."""
        try:
            return await self.answer(form)
        except SQLAlchemyError:
            log.warning("simulator could not read the card register", exc_info=True)
            return card_body("100", None, None, None)

    async def answer(self, form: dict[str, str]) -> dict[str, Any]:
        """The gateway's answer to a card check (insurance.md §4.3, codes §4.5)."""
        if any(not form.get(name) for name in REQUIRED):
            return card_body("205", None, None, None)
        if not self.token_ok(form["token"], form["id_token"]):
            return card_body("401", None, None, None)
        staff = self.staff_code(form["hoTenCb"], form["cccdCb"])
        if staff is not None:
            return card_body(staff, None, None, None)
        code = normalise(form["maThe"])[:20]
        early, card, person, newer = await self.find_card(code)
        forced = self.config.forced.get(code) or (card and self.config.forced.get(card.code))
        if forced:
            return card_body(forced, card, person, None)
        if early is not None or card is None or person is None:
            return card_body(early or "050", None, None, None)
        result, newer = self.card_result(card, person, newer, form)
        shown = result in SHOWS_CARD or result.startswith("12")
        return card_body(result, card if shown else None, person if shown else None, newer)


def card_body(code: str, card: BhytCard | None, person: Person | None,
              newer: BhytCard | None) -> dict[str, Any]:
    """The answer's fields (insurance.md §4.3 response table)."""
    body: dict[str, Any] = {"maKetQua": code, "ghiChu": tables.result_code(code).message_vi,
                            "dsLichSuKCB2018": None, "dsLichSuKT2018": []}
    if card is not None and person is not None:
        body.update({
            "maThe": card.code, "hoTen": person.full_name,
            "ngaySinh": _ddmmyyyy(person.birth_date),
            "gioiTinh": "Nữ" if person.sex == "female" else "Nam",
            "diaChi": person.address or "", "maDKBD": card.registered_facility_code,
            "cqBHXH": f"BHXH tỉnh {card.province_code}", "gtTheTu": _ddmmyyyy(card.valid_from),
            "gtTheDen": _ddmmyyyy(card.valid_to), "maKV": card.area_code or "",
            "ngayDu5Nam": _ddmmyyyy(card.five_years_date),
            "maSoBHXH": card.social_insurance_number, "maTheCu": None, "maTheMoi": None,
        })
    if newer is not None:
        body.update({"maTheMoi": newer.code, "gtTheTuMoi": _ddmmyyyy(newer.valid_from),
                     "gtTheDenMoi": _ddmmyyyy(newer.valid_to),
                     "maDKBDMoi": newer.registered_facility_code, "tenDKBDMoi": ""})
    return body


async def _form(request: Request) -> dict[str, str]:
    """The request fields, whether the body is form-urlencoded or JSON (both are Uncertain)."""
    fields: dict[str, Any] = dict(request.query_params)
    try:
        if "json" in request.headers.get("content-type", ""):
            body = await request.json()
            fields.update(body if isinstance(body, dict) else {})
        else:
            fields.update(dict(await request.form()))
    except Exception:  # noqa: BLE001 - a bad body is a 205, never a crash
        return {}
    return {k: v if isinstance(v, str) else str(v) for k, v in fields.items()}




def create_simulator_app(config: SimConfig | None = None, *,
                         database: Database | None = None) -> FastAPI:
    """The simulator as an ASGI app; its state is `app.state.sim` (a Simulator)."""
    sim = Simulator(config or SimConfig(), database)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await sim.database.dispose()

    app = FastAPI(title="BHXH gateway simulator", lifespan=lifespan)
    app.state.sim = sim

    @app.post("/api/token/take")
    async def take_token(request: Request) -> JSONResponse:
        sim.stats["token_calls"] += 1
        if (switched := await sim.switches()) is not None:
            return switched
        form = await _form(request)
        password = form.get("password", "")
        if not form.get("username") or len(password) != 32:
            return JSONResponse({"maKetQua": "401", "APIKey": None}, status_code=401)
        key = sim.issue_token() | {"username": form["username"]}
        return JSONResponse({"maKetQua": "200", "APIKey": key})

    @app.post("/api/egw/KQNhanLichSuKCB2024")
    async def card_check(request: Request) -> JSONResponse:
        sim.stats["card_checks"] += 1
        if (switched := await sim.switches()) is not None:
            return switched
        return JSONResponse(await sim.safe_answer(await _form(request)))

    @app.post("/api/egw/Lskcb2025")
    async def visit_history(request: Request) -> JSONResponse:
        sim.stats["history_calls"] += 1
        if (switched := await sim.switches()) is not None:
            return switched
        body = await sim.safe_answer(await _form(request))
        return JSONResponse({"maKetQua": body["maKetQua"], "dsLichSuKCB2025": []})

    _admin_routes(app, sim)
    from smarthealth.claims.submit_sim import add_submission_routes  # claim files (XML 130)

    add_submission_routes(app, sim)
    return app


def _admin_routes(app: FastAPI, sim: Simulator) -> None:
    @app.post("/_sim/config")
    async def set_config(patch: ConfigPatch) -> dict[str, Any]:
        for name, value in patch.model_dump(exclude_unset=True).items():
            setattr(sim.config, name, value)
        return {"latency_ms": sim.config.latency_ms, "error_rate": sim.config.error_rate,
                "outage": sim.config.outage, "accept_cccd": sim.config.accept_cccd}

    @app.post("/_sim/force")
    async def force(request: ForceRequest) -> dict[str, Any]:
        code = normalise(request.card_code)
        if request.result_code is None:
            sim.config.forced.pop(code, None)
        else:
            sim.config.forced[code] = request.result_code
        return {"forced": sim.config.forced}

    @app.post("/_sim/reload")
    async def reload() -> dict[str, int]:
        sim._memory = None
        register = await sim.memory() if sim.config.preload else None
        return {"cards": len(register.by_code) if register else 0}

    @app.post("/_sim/revoke-tokens")
    async def revoke() -> dict[str, int]:
        count = len(sim.tokens)
        sim.tokens.clear()
        return {"revoked": count}

    @app.get("/_sim/stats")
    async def stats() -> dict[str, int]:
        return dict(sim.stats)
