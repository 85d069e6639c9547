"""The guest message's default wording, in the user's language."""

from __future__ import annotations

from .const import DEFAULT_MESSAGE_TEMPLATES


def default_message_template(language: str) -> str:
    """The template for Home Assistant's language: Portuguese for any `pt`, else English."""
    if language.lower().startswith("pt"):
        return DEFAULT_MESSAGE_TEMPLATES["pt-BR"]
    return DEFAULT_MESSAGE_TEMPLATES["en"]
