"""The app holds only what a live show runs: its live path imports nothing of the sandbox.

Issue 19: the demo and rehearsal glue lived in ``shopstream/`` and the live path imported a
sandbox module. The glue is now ``sandbox/show/``; the app reaches the sandbox only lazily, in
sandbox mode and from the demo commands.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = ("shopstream", "connectors", "shop_sync", "checkout_links", "chat_commands")


def _top_level_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in tree.body:  # module level only: a lazy import inside a function is allowed
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def test_no_app_module_imports_the_sandbox_at_module_level() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for package in APP_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in _top_level_imports(path)
        if name == "sandbox" or name.startswith("sandbox.")
    ]
    assert offenders == []


def test_loading_the_live_app_loads_no_sandbox_module() -> None:
    code = (
        "import sys\n"
        "import shopstream.cli, shopstream.operate, shopstream.core, shopstream.runtime.show\n"
        "from checkout_links.strategies import make_strategy\n"
        "import inspect\n"
        "assert inspect.signature(make_strategy).parameters['sandbox'].default is False\n"
        "print(sorted(m for m in sys.modules if m == 'sandbox' or m.startswith('sandbox.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
