"""YouTube live chat: quota-planned polling through google-api-python-client."""

from __future__ import annotations
