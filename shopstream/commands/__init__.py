"""CLI command functions the application registers on its typer app."""
