"""The compiled English catalogues (.mo) say what their sources (.po) say.

The .mo files are committed so that `make run` needs no gettext tools; this test catches a .po
edited without running `cqs compilemessages`.
"""

import ast
import gettext
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "cqs"
CATALOGUES = sorted(SRC.glob("**/locale/en/LC_MESSAGES/django.po"))


def po_entries(path: Path) -> dict[str, str]:
    """Singular, context-free, non-fuzzy entries with a translation: msgid -> msgstr."""
    entries, current, field, fuzzy = {}, {}, None, False

    def flush():
        nonlocal current, fuzzy
        if (
            current.get("msgid")
            and current.get("msgstr")
            and "msgctxt" not in current
            and "msgid_plural" not in current
            and not fuzzy
        ):
            entries[current["msgid"]] = current["msgstr"]
        current, fuzzy = {}, False

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            flush()
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[field] += ast.literal_eval(line)
        else:
            field, _, value = line.partition(" ")
            if field in current and field == "msgid":
                flush()
            current[field] = ast.literal_eval(value)
    flush()
    return entries


def test_there_are_english_catalogues():
    assert CATALOGUES, "no locale/en/LC_MESSAGES/django.po found"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(SRC)))
def test_the_compiled_catalogue_matches_its_source(po):
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} missing: run cqs compilemessages"
    with mo.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    entries = po_entries(po)
    assert entries
    stale = {msgid: (msgstr, compiled.gettext(msgid)) for msgid, msgstr in entries.items()}
    stale = {k: v for k, v in stale.items() if v[0] != v[1]}
    assert not stale, f"{mo.name} is older than {po.name} for {len(stale)} strings: run cqs compilemessages"
