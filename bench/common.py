"""Pieces shared by the benchmarks: ports, waiting for servers, percentiles, the CCCD QR text."""

from __future__ import annotations

import socket
import sys
import time

import httpx

CLI = [sys.executable, "-m", "smarthealth.cli"]
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SEX_VI = {"male": "Nam", "female": "Nữ"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 90.0) -> None:
    """Poll until the URL answers below 500."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def qr_text(cccd: str, name: str, birth: str, sex: str, address: str = "Hà Nội") -> str:
    """The CCCD card QR: cccd|old id|name|ddmmyyyy|sex|address|issue date (ddmmyyyy)."""
    y, m, d = birth.split("-")
    return f"{cccd}||{name}|{d}{m}{y}|{SEX_VI.get(sex, 'Nam')}|{address}|01012022"


def psql(sql: str) -> None:
    """Run one statement on the local PostgreSQL test database."""
    import subprocess

    subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c", sql],
                   check=False)


def stop(procs: list, schema: str = "") -> None:
    """Terminate the benchmark's subprocesses and drop its PostgreSQL schema, if any."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(timeout=20)
    if schema:
        psql(f'DROP SCHEMA "{schema}" CASCADE')
