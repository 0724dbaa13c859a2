"""BHXH gateway client: token, card check (KQNhanLichSuKCB2024) and visit history (Lskcb2025).

Protocol from insurance.md §4 (Phụ lục 03 of CV 1923/BHXH-CNTT and vendor code). Bounded
timeout, limited retries for retry-class answers, a circuit breaker, and a same-day cache.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import httpx

from smarthealth.core.errors import ServiceUnavailable
from smarthealth.insurance import tables
from smarthealth.insurance.config import BhxhSettings, get_bhxh_settings

RETRY_CODES = frozenset({"100", "101", "500"})  # insurance.md §4.5: "retry later"
AUTH_CODE = "401"


class GatewayUnavailable(ServiceUnavailable):
    code = "bhxh_unavailable"
    message_vi = "Không kết nối được cổng giám định BHXH; thẻ chưa được kiểm tra."
    message_en = "The BHXH gateway cannot be reached; the card has not been checked."


@dataclass(frozen=True)
class CardQuery:
    card_code: str
    full_name: str
    birth_date: date | str  # a date, or "yyyy" when only the year is known (vendor practice)
    staff_name: str
    staff_cccd: str

    def cache_key(self, on: date) -> tuple[str, str, str, str]:
        birth = self.birth_date.isoformat() if isinstance(self.birth_date, date) else \
            str(self.birth_date)
        return (self.card_code.upper(), " ".join(self.full_name.upper().split()), birth,
                on.isoformat())


def _ddmmyyyy(text: Any) -> date | None:
    """A gateway date (dd/mm/yyyy); None when absent or malformed."""
    try:
        return datetime.strptime(str(text), "%d/%m/%Y").date() if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class CardAnswer:
    """The gateway's answer, mapped to our decision table (data/result_codes.csv)."""

    result_code: str
    decision: str
    action: str
    message_vi: str
    message_en: str
    source: str = "live"
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_response(cls, body: dict[str, Any]) -> CardAnswer:
        code = str(body.get("maKetQua", "")).strip() or "205"
        entry = tables.result_code(code)
        return cls(code, entry.decision, entry.action, entry.message_vi, entry.message_en,
                   raw=body)

    def field(self, name: str) -> str | None:
        value = self.raw.get(name)
        return str(value) if value not in (None, "") else None

    def date_field(self, name: str) -> date | None:
        return _ddmmyyyy(self.raw.get(name))


class CircuitBreaker:
    """Opens after N consecutive failures; lets one trial call through after a cool-down."""

    def __init__(self, failures: int, cooldown: float, clock: Any = time.monotonic) -> None:
        self.threshold, self.cooldown, self.clock = failures, cooldown, clock
        self.failures = 0
        self.opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self.opened_at >= self.cooldown else "open"

    def allow(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def release(self) -> None:
        """A call that said nothing about the gateway's health (e.g. our pool was busy)."""
        self._trial_running = False

    def success(self) -> None:
        self.failures, self.opened_at, self._trial_running = 0, None, False

    def failure(self) -> None:
        self.failures += 1
        if self._trial_running or self.failures >= self.threshold:
            self.opened_at = self.clock()
        self._trial_running = False


class SameDayCache:
    """Definitive answers keyed by (card, name, birth date, day); bounded, oldest out first."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[tuple, CardAnswer] = OrderedDict()

    def get(self, key: tuple) -> CardAnswer | None:
        return self._data.get(key)

    def put(self, key: tuple, answer: CardAnswer) -> None:
        self._data[key] = answer
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()


@dataclass
class _Token:
    access_token: str
    id_token: str
    expires_at: float


class PoolBusy(Exception):
    """Every connection of our own pool stayed busy for the whole timeout."""


class _Failure(Exception):
    """A transport-level failure (timeout, refused, HTTP 5xx, unreadable body)."""


def password_md5(password: str, case: str = "upper") -> str:
    """insurance.md §4.2: the gateway takes the MD5 hex of the password (uppercase [secondary])."""
    digest = hashlib.md5(password.encode()).hexdigest()  # noqa: S324 - mandated by the protocol
    return digest.upper() if case == "upper" else digest


class BhxhGateway:
    """One per process; safe for many concurrent callers on one event loop."""

    def __init__(self, settings: BhxhSettings | None = None, *,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings or get_bhxh_settings()
        self.breaker = CircuitBreaker(self.settings.breaker_failures,
                                      self.settings.breaker_cooldown_seconds)
        self.cache = SameDayCache(self.settings.cache_max_entries)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._token: _Token | None = None
        self._token_lock: asyncio.Lock | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.settings.base_url, transport=self._transport,
                timeout=httpx.Timeout(self.settings.timeout_seconds),
                limits=httpx.Limits(max_connections=self.settings.max_connections,
                                    max_keepalive_connections=self.settings.max_connections))
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _post(self, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        try:
            response = await self._http().post(path, **kwargs)
        except httpx.PoolTimeout as exc:
            raise PoolBusy() from exc
        except httpx.HTTPError as exc:
            raise _Failure(type(exc).__name__) from exc
        if response.status_code >= 500:
            raise _Failure(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise _Failure("unreadable body") from exc
        if not isinstance(body, dict):
            raise _Failure("unexpected body")
        return response.status_code, body

    def _password(self) -> str:
        return password_md5(self.settings.password, self.settings.password_md5_case)

    async def token(self, *, stale: _Token | None = None) -> _Token:
        """The cached token, fetched again when missing, expiring, or rejected (`stale`)."""
        if self._token_lock is None:
            self._token_lock = asyncio.Lock()
        async with self._token_lock:
            current = self._token
            if current is not None and current is not stale and \
                    current.expires_at > time.monotonic():
                return self._token
            status, body = await self._post(self.settings.token_path, data={
                "username": self.settings.username, "password": self._password()})
            key = body.get("APIKey") if isinstance(body.get("APIKey"), dict) else None
            if status == 401 or key is None or not key.get("access_token"):
                raise GatewayUnavailable(details={"token_result": body.get("maKetQua")})
            self._token = _Token(str(key["access_token"]), str(key.get("id_token", "")),
                                 time.monotonic() + self._lifetime(key.get("expires_in")))
            return self._token

    def _lifetime(self, expires_in: Any) -> float:
        try:
            seconds = float(expires_in)
        except (TypeError, ValueError):
            seconds = 1800.0  # format not documented; assume half an hour
        return max(seconds - self.settings.token_margin_seconds, 1.0)

    def _birth(self, value: date | str) -> str:
        return value.strftime(self.settings.date_format) if isinstance(value, date) else str(value)

    async def _call(self, path: str, query: CardQuery, token: _Token) -> tuple[int, dict]:
        params = {"token": token.access_token, "id_token": token.id_token,
                  "username": self.settings.username, "password": self._password()}
        body = {"maThe": query.card_code, "hoTen": query.full_name,
                "ngaySinh": self._birth(query.birth_date), "hoTenCb": query.staff_name,
                "cccdCb": query.staff_cccd}
        payload = {"json": body} if self.settings.body_format == "json" else {"data": body}
        return await self._post(path, params=params, **payload)

    async def _call_with_auth(self, path: str, query: CardQuery) -> dict[str, Any]:
        """One call; on an authentication error, refresh the token once and call again."""
        token = await self.token()
        status, body = await self._call(path, query, token)
        if status == 401 or str(body.get("maKetQua")) == AUTH_CODE:
            status, body = await self._call(path, query, await self.token(stale=token))
        return body

    async def _call_resilient(self, path: str, query: CardQuery) -> dict[str, Any]:
        """Retries, circuit breaker and an overall deadline around one logical call."""
        if not self.breaker.allow():
            raise GatewayUnavailable(details={"circuit": "open"})
        try:
            async with asyncio.timeout(self.settings.deadline_seconds):
                body = await self._attempts(path, query)
        except PoolBusy as exc:  # our own connection pool is saturated: not BHXH's fault
            self.breaker.release()
            raise GatewayUnavailable(details={"reason": "client busy"}) from exc
        except TimeoutError:  # the overall deadline passed
            self.breaker.failure()
            raise
        except BaseException:  # cancelled by the caller: says nothing about the gateway
            self.breaker.release()
            raise
        if "_failure" in body:
            self.breaker.failure()
            raise GatewayUnavailable(details={"reason": body["_failure"]})
        if str(body.get("maKetQua")) in RETRY_CODES:
            self.breaker.failure()
        else:
            self.breaker.success()
        return body

    async def _attempts(self, path: str, query: CardQuery) -> dict[str, Any]:
        """The call, retried for transport failures and retry-class result codes."""
        body: dict[str, Any] = {}
        for _attempt in range(1 + max(self.settings.retries, 0)):
            try:
                body = await self._call_with_auth(path, query)
            except (_Failure, GatewayUnavailable) as exc:
                body = {"_failure": str(exc)}
                continue
            if str(body.get("maKetQua")) not in RETRY_CODES:
                return body
        return body

    def cached(self, query: CardQuery, *, on: date) -> CardAnswer | None:
        """Today's definitive answer for the same card, name and birth date, if any."""
        if not self.settings.cache_enabled:
            return None
        hit = self.cache.get(query.cache_key(on))
        return replace(hit, source="cache") if hit else None

    async def check_card(self, query: CardQuery, *, on: date) -> CardAnswer:
        """KQNhanLichSuKCB2024; raises GatewayUnavailable when the gateway cannot answer."""
        hit = self.cached(query, on=on)
        if hit is not None:
            return hit
        try:
            body = await self._call_resilient(self.settings.card_check_path, query)
        except TimeoutError as exc:
            raise GatewayUnavailable(details={"reason": "deadline"}) from exc
        answer = CardAnswer.from_response(body)
        if self.settings.cache_enabled and answer.decision != "retry_later":
            self.cache.put(query.cache_key(on), answer)
        return answer

    async def visit_history(self, query: CardQuery) -> dict[str, Any]:
        """Lskcb2025 (insurance.md §4.4, Uncertain): the raw answer with dsLichSuKCB2025."""
        try:
            return await self._call_resilient(self.settings.history_path, query)
        except TimeoutError as exc:
            raise GatewayUnavailable(details={"reason": "deadline"}) from exc


_gateway: BhxhGateway | None = None


def get_gateway() -> BhxhGateway:
    global _gateway
    if _gateway is None:
        _gateway = BhxhGateway()
    return _gateway


def set_gateway(gateway: BhxhGateway | None) -> None:
    """Replace the process's gateway client (tests, benchmarks)."""
    global _gateway
    _gateway = gateway
