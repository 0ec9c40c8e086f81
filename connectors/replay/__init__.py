"""Replay connector: plays a JSONL chat log through the same pipeline as a real platform."""
