"""`smarthealth catalogue load` argument checks (the loads themselves are tested directly)."""

from __future__ import annotations

from click.testing import CliRunner

from smarthealth.cli import main


def test_services_need_a_facility() -> None:
    result = CliRunner().invoke(main, ["catalogue", "load", "services"])
    assert result.exit_code == 2 and "--facility" in result.output


def test_all_refuses_a_file() -> None:
    result = CliRunner().invoke(main, ["catalogue", "load", "all", "--file", "x.csv"])
    assert result.exit_code == 2
