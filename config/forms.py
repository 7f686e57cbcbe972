"""Form fields shared by the apps' admins."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext_lazy as _
from rest_framework.utils.json import strict_constant

from config import values

INVALID_JSON = _("Enter a valid JSON.")
# A JSON box grows with its text up to this many lines, then scrolls.
JSON_MAX_ROWS = 20


class PrettyJSONWidget(forms.Textarea):
    """A monospace box sized to its JSON, which StorableJSONField writes indented."""

    def __init__(self, attrs=None):
        super().__init__({"class": "patron-json", "spellcheck": "false", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        lines = (value or "").count("\n") + 1
        context["widget"]["attrs"]["rows"] = max(2, min(lines + 1, JSON_MAX_ROWS))
        return context


class StorableJSONField(forms.JSONField):
    """Django's JSON form field, refusing what a database cannot store or Python cannot read
    back (config.values): NUL, lone surrogates, NaN and infinite numbers (1e309), and nesting
    deeper than MAX_JSON_DEPTH. Django's own field takes NaN, lets 5,000 levels of nesting
    exhaust the stack and echoes a lone surrogate into the page, each a 500.

    Values are shown indented, two spaces a level, in a box sized to them (PrettyJSONWidget).
    """

    widget = PrettyJSONWidget

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, cls=self.encoder, indent=2)

    def _parse(self, text: str):
        return json.loads(text, cls=self.decoder, parse_constant=strict_constant)

    def to_python(self, value):
        if self.disabled or not isinstance(value, str) or value in self.empty_values:
            converted = super().to_python(value)
        else:
            try:
                converted = self._parse(value)
            except RecursionError:
                raise ValidationError(values.JSON_TOO_DEEP, code="invalid") from None
            except ValueError:
                raise ValidationError(INVALID_JSON, code="invalid") from None
            if isinstance(converted, str):
                converted = forms.fields.JSONString(converted)
        try:
            return values.json_check(converted)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from None

    def bound_data(self, data, initial):
        """The submitted text as typed when it is not a storable value, so the page shows it
        back (a parsed lone surrogate could not be written into the page)."""
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            parsed = self._parse(data)
        except (RecursionError, ValueError):
            return InvalidJSONInput(data)
        return InvalidJSONInput(data) if values.json_problem(parsed) else parsed


# For an admin's `formfield_overrides`: every JSON model field edited with StorableJSONField.
JSON_FORMFIELD_OVERRIDES = {models.JSONField: {"form_class": StorableJSONField}}
