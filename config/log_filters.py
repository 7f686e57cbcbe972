"""Logging filters that keep secrets out of log lines."""

import logging
import re

_QUERY = re.compile(r"\?[^\s\"]*")


class QueryStringFilter(logging.Filter):
    """Drop query strings from request lines (runserver's `django.server` log): a
    set-password link's token, or filters holding e-mail addresses, ride there."""

    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY.sub("", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        record.msg = _QUERY.sub("", str(record.msg))
        return True
