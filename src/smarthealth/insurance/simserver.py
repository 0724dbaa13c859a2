"""Run the BHXH simulator with uvicorn in a background thread (tests, benchmarks).

    server = SimulatorServer(create_simulator_app(SimConfig(latency_ms=300))).start()
    ... BhxhSettings(base_url=server.url) ...; server.simulator.config.outage = True
    server.stop()

For throughput figures prefer a separate process (`smarthealth bhxh-sim --preload`): a thread
shares the interpreter lock with the client being measured.
"""

from __future__ import annotations

import socket
import threading
import time

from fastapi import FastAPI

from smarthealth.insurance.simulator import Simulator, create_simulator_app


class SimulatorServer:
    """Runs the simulator with uvicorn in a background thread (tests, benchmarks)."""

    def __init__(self, app: FastAPI | None = None, *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        import uvicorn

        self.app = app or create_simulator_app()
        self.host, self.port = host, port or free_port(host)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host=self.host, port=self.port,
                                                    log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="bhxh-sim")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def simulator(self) -> Simulator:
        return self.app.state.sim

    def start(self, timeout: float = 10.0) -> SimulatorServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the BHXH simulator did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
