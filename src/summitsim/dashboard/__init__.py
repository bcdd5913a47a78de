"""The Dash dashboard. ``create_app`` lives in :mod:`.app`; pages register in :mod:`.pages`.

Importing this package is light: Dash is imported only by :mod:`.app` and the page modules."""
