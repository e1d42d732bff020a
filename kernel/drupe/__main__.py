"""``python -m drupe`` is the ``drupe`` command."""

from drupe.console import main

main()
