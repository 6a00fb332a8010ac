"""``python -m open_interpreter.cli`` runs ``oi``."""

from open_interpreter.cli import main

main()
