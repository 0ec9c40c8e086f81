"""Command functions the CLI registers (one module per command)."""
