"""Test doubles shared by the whole suite: one fake clock, one connector reader."""
