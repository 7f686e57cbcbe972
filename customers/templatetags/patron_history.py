"""Template filters of the change history pages (templates/simple_history)."""

from django import template

from config.history import history_reason_label

register = template.Library()


@register.filter
def history_source(reason: str | None) -> str:
    """A history row's source in the staff member's language (config.history)."""
    return history_reason_label(reason)
