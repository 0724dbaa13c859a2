"""`smarthealth bhxh-sim`: a BHXH-compatible gateway simulator for the demo and tests."""

import click


@click.command("bhxh-sim")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8088, type=int, show_default=True)
@click.option("--latency-ms", default=0.0, type=float, show_default=True,
              help="delay added to every gateway call")
@click.option("--error-rate", default=0.0, type=click.FloatRange(0, 1), show_default=True,
              help="share of calls answered with a server error")
@click.option("--outage", is_flag=True, help="answer every gateway call with HTTP 503")
@click.option("--preload", is_flag=True,
              help="read the card register into memory once (POST /_sim/reload re-reads it)")
def bhxh_sim(host: str, port: int, latency_ms: float, error_rate: float, outage: bool,
             preload: bool) -> None:
    """Serve the BHXH gateway protocol from the synthetic population.

    Switches can be changed at runtime: POST /_sim/config {"latency_ms": 300},
    POST /_sim/force {"card_code": "...", "result_code": "110"}.
    """
    import uvicorn

    from smarthealth.insurance.simulator import SimConfig, create_simulator_app

    app = create_simulator_app(SimConfig(latency_ms=latency_ms, error_rate=error_rate,
                                         outage=outage, preload=preload))
    click.echo(f"BHXH simulator on http://{host}:{port} (latency {latency_ms} ms, "
               f"error rate {error_rate}, outage {outage})")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
