"""Reply templates per locale (merchant-editable) and money formatting."""

from __future__ import annotations

from shopstream.replies.money import format_price
from shopstream.replies.templates import LOCALES, VARIABLES, TemplateError, Templates

__all__ = ["LOCALES", "VARIABLES", "TemplateError", "Templates", "format_price"]
