"""The flat JSON record of an intent (the ``shopstream parse`` output line)."""

from __future__ import annotations

from typing import Any

from chat_commands.intents import Buy, Cancel, Intent, ModCommand, Question, Waitlist


def intent_record(intent: Intent) -> dict[str, Any]:
    """Flatten ``intent`` into the issue's record shape.

    Keys: ``intent`` (buy|question|cart|cancel|help|waitlist|none, or ``mod`` for a
    show-control command, which adds ``command`` and ``args``), ``product``, ``sku``,
    ``quantity``, ``missing``, ``question``, ``candidates``, ``confidence``.
    """
    product = getattr(intent, "product", None)
    record: dict[str, Any] = {
        "intent": intent.intent,
        "product": product,
        "sku": getattr(intent, "sku", None),
        "quantity": intent.quantity if isinstance(intent, Buy) else None,
        "missing": list(intent.missing) if isinstance(intent, Buy | Waitlist) else [],
        "question": intent.kind.value if isinstance(intent, Question) else None,
        "candidates": list(intent.candidates)
        if isinstance(intent, Buy | Question | Waitlist | Cancel)
        else [],
        "confidence": float(getattr(intent, "confidence", 1.0)),
    }
    if isinstance(intent, ModCommand):
        record["command"] = intent.name
        record["args"] = list(intent.args)
    return record
