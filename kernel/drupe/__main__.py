"""``python -m drupe`` is the ``drupe`` command."""

from drupe.cli.main import main

main()
