"""Validators shared by models, forms and serializers."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from qinfo.text import control_character_message, has_control_characters


@deconstructible
class SingleLineText:
    """Refuse control characters (tabs, line breaks, invisible codes) in a one-line field."""

    code = "control_characters"

    def __init__(self, label: str = "ข้อความ"):
        self.label = label

    def __call__(self, value) -> None:
        if isinstance(value, str) and has_control_characters(value):
            raise ValidationError(control_character_message(self.label), code=self.code)

    def __eq__(self, other) -> bool:
        return isinstance(other, SingleLineText) and other.label == self.label

    def __hash__(self) -> int:
        return hash(self.label)
