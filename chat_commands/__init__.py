"""Chat command parsing: text + catalog index + show state -> one Intent (pure, no I/O)."""
