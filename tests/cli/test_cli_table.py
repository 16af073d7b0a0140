"""The lazy command table of ``cartrial`` matches what the command modules register."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from cartrial.cli.main import COMMANDS, app, load_group


def test_table_matches_the_registered_commands() -> None:
    modules = {module for module, _ in COMMANDS.values()}
    registered = {
        name: module for module in sorted(modules) for name in load_group(module).commands
    }
    assert registered == {name: module for name, (module, _) in COMMANDS.items()}


def test_help_lists_every_command_without_importing_them() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from cartrial.cli.main import app;"
        "r = CliRunner().invoke(app, ['--help']); print(r.output);"
        "print('LOADED', sorted(m for m in sys.modules if m.startswith('cartrial.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    for name in COMMANDS:
        assert f"  {name} " in out.stdout
    loaded = out.stdout.split("LOADED", 1)[1]
    for heavy in ("cartrial.ingest", "cartrial.vocab", "cartrial.web", "cartrial.calculators"):
        assert heavy not in loaded


def test_unknown_command_is_an_error() -> None:
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_read_only_commands_are_commands() -> None:
    """The commands that skip the final collection at exit (``main``) are in the table."""
    from cartrial.cli.main import READ_ONLY

    assert READ_ONLY and READ_ONLY.issubset(COMMANDS)
