"""``python -m cartrial.cli`` runs the ``cartrial`` command."""

from cartrial.cli.main import main

main()
