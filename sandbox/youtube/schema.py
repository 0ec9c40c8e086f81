"""Check JSON values against the schemas of the library's bundled ``youtube.v3.json``.

A small walker over the discovery document's ``schemas`` (``$ref``, ``object`` properties,
``additionalProperties``, ``array`` items, scalar types and formats, ``enum``): tests use it to
prove the emulator answers in the real shapes, and a drift check can run it on live payloads.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from googleapiclient import discovery_cache

_STRING_INTS = frozenset({"int64", "uint64"})


@functools.lru_cache(maxsize=1)
def discovery_document() -> Mapping[str, Any]:
    """Return the bundled YouTube Data API v3 discovery document (read once, offline)."""
    text = discovery_cache.get_static_doc("youtube", "v3")
    if text is None:
        raise LookupError("google-api-python-client has no bundled youtube.v3.json")
    doc: Mapping[str, Any] = json.loads(text)
    return doc


def validate(value: Any, schema_name: str) -> list[str]:
    """Return every way ``value`` breaks the discovery schema ``schema_name`` (empty if none)."""
    schemas = discovery_document()["schemas"]
    errors: list[str] = []
    _walk(value, {"$ref": schema_name}, schemas, schema_name, errors)
    return errors


def _walk(
    value: Any, schema: Mapping[str, Any], schemas: Mapping[str, Any], path: str, errors: list[str]
) -> None:
    ref = schema.get("$ref")
    if ref is not None:
        if ref not in schemas:
            errors.append(f"{path}: unknown schema {ref}")
            return
        schema = schemas[ref]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        _walk_object(value, schema, schemas, path, errors)
    elif kind == "array":
        if not isinstance(value, list):
            errors.append(f"{path}: expected array, got {type(value).__name__}")
            return
        for index, item in enumerate(value):
            _walk(item, schema.get("items", {}), schemas, f"{path}[{index}]", errors)
    elif kind is not None and kind != "any":
        _check_scalar(value, kind, schema, path, errors)


def _walk_object(
    value: Any, schema: Mapping[str, Any], schemas: Mapping[str, Any], path: str, errors: list[str]
) -> None:
    if not isinstance(value, Mapping):
        errors.append(f"{path}: expected object, got {type(value).__name__}")
        return
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        if key in properties:
            _walk(item, properties[key], schemas, f"{path}.{key}", errors)
        elif extra is not None:
            _walk(item, extra, schemas, f"{path}.{key}", errors)
        else:
            errors.append(f"{path}: unknown field {key!r}")


def _check_scalar(
    value: Any, kind: str, schema: Mapping[str, Any], path: str, errors: list[str]
) -> None:
    fmt = schema.get("format")
    if kind == "string":
        if not isinstance(value, str):
            errors.append(f"{path}: expected string, got {type(value).__name__}")
            return
        if fmt in _STRING_INTS and not value.lstrip("-").isdigit():
            errors.append(f"{path}: {fmt} string is not a number: {value!r}")
        if fmt == "date-time" and not _is_datetime(value):
            errors.append(f"{path}: not an RFC 3339 date-time: {value!r}")
        enum = schema.get("enum")
        if enum is not None and value not in enum:
            errors.append(f"{path}: {value!r} not in enum")
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{path}: expected integer, got {type(value).__name__}")
        elif fmt and fmt.startswith("uint") and value < 0:
            errors.append(f"{path}: negative {fmt}")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors.append(f"{path}: expected number, got {type(value).__name__}")
    elif kind == "boolean" and not isinstance(value, bool):
        errors.append(f"{path}: expected boolean, got {type(value).__name__}")


def _is_datetime(text: str) -> bool:
    candidate = text[:-1] + "+00:00" if text.endswith("Z") else text
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return False
    return parsed.tzinfo is not None
