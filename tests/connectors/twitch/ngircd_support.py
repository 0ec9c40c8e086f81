"""The real IRC server harness the tests use (it lives in :mod:`sandbox.ngircd`, where the
benchmarks reach it too)."""

from sandbox.ngircd import NGIRCD, SERVER_NAME, TIMEOUT, Ngircd, RawClient, free_port

__all__ = ["NGIRCD", "SERVER_NAME", "TIMEOUT", "Ngircd", "RawClient", "free_port"]
