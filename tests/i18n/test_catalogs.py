"""The translation files: complete, and compiled where GNU gettext is installed."""

import ast
import importlib
import pkgutil
import re

import pytest
from django.utils.functional import Promise

from tests.i18n.conftest import MSGFMT, PO_FILES, catalogs_compiled

LANGUAGE_DIRS = {"pt_BR", "es"}


def po_entries(path):
    """(flags, msgid, [msgstr, ...]) of each entry of a .po file, the header left out."""
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        flags, fields, key = set(), {}, None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(","))
            elif match := re.match(r"^(msgid|msgid_plural|msgstr(?:\[\d\])?) (\".*\")$", line):
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            strs = [value for name, value in fields.items() if name.startswith("msgstr")]
            entries.append((flags, fields["msgid"], strs))
    return entries


def test_every_language_has_a_catalog():
    assert {path.parts[-3] for path in PO_FILES} == LANGUAGE_DIRS


@pytest.mark.parametrize("path", PO_FILES, ids=lambda path: path.parts[-3])
def test_every_message_is_translated_and_none_is_fuzzy(path):
    entries = po_entries(path)

    untranslated = [msgid for _, msgid, strs in entries if not all(strs)]
    fuzzy = [msgid for flags, msgid, _ in entries if "fuzzy" in flags]

    assert len(entries) > 100
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("path", PO_FILES, ids=lambda path: path.parts[-3])
def test_translations_keep_the_placeholders(path):
    """A translation names the same {placeholders} and %(names)s as its English text."""
    pattern = re.compile(r"\{\w*\}|%\(\w+\)s")
    wrong = [
        msgid
        for _, msgid, strs in po_entries(path)
        if any(sorted(pattern.findall(text)) != sorted(pattern.findall(msgid)) for text in strs)
    ]
    assert wrong == []


@pytest.mark.skipif(MSGFMT is None, reason="GNU gettext (msgfmt) is not installed")
def test_catalogs_compiled_where_msgfmt_is():
    assert catalogs_compiled(), "run `make messages`"


PATRON_PACKAGES = (
    "accounts", "config", "customers", "groups", "orders", "idempotency", "events", "jobs",
    "compat", "webhooks", "merges", "duplicates",
)  # fmt: skip


def _msgid(message) -> str:
    """The English text a lazy message translates (of a format_lazy: its template's)."""
    first = message._args[0]
    return _msgid(first) if isinstance(first, Promise) else first


def lazy_message_constants() -> dict[str, str]:
    """{module.NAME: msgid} of every module-level lazy message of Patron's packages."""
    found = {}
    for package_name in PATRON_PACKAGES:
        package = importlib.import_module(package_name)
        for module_info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if ".migrations" in module_info.name or module_info.name.endswith(".wsgi"):
                continue
            module = importlib.import_module(module_info.name)
            for name, value in vars(module).items():
                if name.isupper() and isinstance(value, Promise) and hasattr(value, "_args"):
                    found[f"{module_info.name}.{name}"] = _msgid(value)
    return found


@pytest.mark.parametrize("path", PO_FILES, ids=lambda path: path.parts[-3])
def test_every_message_constant_is_in_the_catalog(path):
    """A message wrapped in gettext_lazy but missing here needs `make makemessages`."""
    msgids = {msgid for _, msgid, _ in po_entries(path)}
    constants = lazy_message_constants()

    missing = {name: msgid for name, msgid in constants.items() if msgid not in msgids}

    assert len(constants) > 100
    assert missing == {}
