"""``python -m streamkit.cli`` runs the ``streamkit`` command."""

from streamkit.cli.main import main

main()
