"""Twitch connector: EventSub WebSocket or IRC to read chat, Helix or IRC to answer."""
