"""``python -m summitsim``."""

from .cli import main

main()
