"""Graph ``fields`` parameter: parse ``id,message,from{id,name},parent{id}`` and project objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FieldSpec = dict[str, "FieldSpec | None"]


def parse_fields(text: str) -> FieldSpec:
    """Parse a fields expression into ``{name: nested spec or None}``; bad input yields {}."""
    spec: FieldSpec = {}
    pos = _parse_into(text.replace(" ", ""), 0, spec)
    return spec if pos >= 0 else {}


def _parse_into(text: str, pos: int, spec: FieldSpec) -> int:
    name = ""
    while pos < len(text):
        ch = text[pos]
        if ch == "{":
            nested: FieldSpec = {}
            pos = _parse_into(text, pos + 1, nested)
            if pos < 0 or not name:
                return -1
            spec[name] = nested
            name = ""
            continue
        if ch == "}":
            if name:
                spec[name] = None
            return pos + 1
        if ch == ",":
            if name:
                spec[name] = None
            name = ""
        elif ch.isalnum() or ch in "_.":
            name += ch
        pos += 1
    if name:
        spec[name] = None
    return pos


def project(obj: Mapping[str, Any], spec: FieldSpec | None) -> dict[str, Any]:
    """Keep the requested fields (nested specs narrow nested objects); ``id`` always stays."""
    if not spec:
        return dict(obj)
    out: dict[str, Any] = {}
    for name, nested in spec.items():
        if name not in obj:
            continue
        value = obj[name]
        if nested and isinstance(value, Mapping):
            value = project(value, nested)
        out[name] = value
    if "id" in obj:
        out.setdefault("id", obj["id"])
    return out
