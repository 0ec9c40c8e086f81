"""The bot under drill, in a process of its own: the real Core and ShowRunner.

    python -m bench.drill.bot CONFIG.json

``CONFIG.json`` (written by the drill) holds where the emulators listen
(:func:`shopstream.sandbox_platforms.emulator_endpoints`), the store's access, the database
URL and the web port. The production connectors are built by
:func:`shopstream.sandbox_platforms.connectors_for`, as ``shopstream run`` builds them in
sandbox mode; only the emulators live elsewhere (in the drill's process), so the drill can
``kill -9`` this process and start it again. SIGTERM ends the show cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from bench.drill.show import drill_settings
from shopstream.core import StoreAccess, build_core
from shopstream.runtime.show import ShowRunner
from shopstream.sandbox_platforms import connectors_for


async def run(config: dict[str, Any]) -> None:
    settings = drill_settings(int(config["web_port"]))
    access = StoreAccess(**config["store"])
    core = await asyncio.to_thread(
        build_core, settings, access, database_url=config["database_url"]
    )
    try:
        await asyncio.to_thread(core.sync)
        connectors = connectors_for(config["endpoints"], settings, core.records, planned_minutes=60)
        runner = ShowRunner(core, connectors, drain_timeout=5)
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, runner.stop)
        loop.add_signal_handler(signal.SIGINT, runner.stop)
        await runner.run()
    finally:
        core.close()


def main() -> None:
    config = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(config))


if __name__ == "__main__":
    main()
