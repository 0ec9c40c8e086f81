"""Tests of the YouTube connector, its quota planner and its emulator."""
