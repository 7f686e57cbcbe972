import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
PO_FILES = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/django.po"))


def catalogs_compiled() -> bool:
    """Every .po has a .mo at least as new (`make messages`)."""
    return all(
        po.with_suffix(".mo").exists()
        and po.with_suffix(".mo").stat().st_mtime >= po.stat().st_mtime
        for po in PO_FILES
    )


# Without GNU gettext (`make messages` then leaves Patron in English) the translated answers
# cannot be checked; CI installs it, and test_catalogs_compiled_where_msgfmt_is fails there
# if the catalogs were not built.
needs_catalogs = pytest.mark.skipif(
    not catalogs_compiled(),
    reason="translations not compiled: install GNU gettext (msgfmt) and run `make messages`",
)
MSGFMT = shutil.which("msgfmt")


@pytest.fixture(autouse=True)
def _english_afterwards():
    """A request's Accept-Language stays active in the thread: later tests expect English."""
    yield
    translation.deactivate()
