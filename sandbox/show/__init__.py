"""Sandbox shows: the demo, the rehearsal and the benches' glue between the app and the emulators.

Nothing in the live path imports this package: the app reaches it only in sandbox mode (lazily,
from ``shopstream.operate``) and from the ``demo`` and ``rehearse`` commands.
"""
