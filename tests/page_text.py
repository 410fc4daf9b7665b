"""Reading a panel page as a person does: the text of a part of it, without the markup."""

from __future__ import annotations

import html as html_module
import re

TAGS = re.compile(r"<[^>]+>")
SPACES = re.compile(r"\s+")


def plain_text(fragment: str) -> str:
    return SPACES.sub(" ", html_module.unescape(TAGS.sub(" ", fragment))).strip()


def widget_texts(page: str, key: str) -> list[str]:
    """The text of each dashboard widget `key` on the page, in order."""
    pattern = re.compile(
        rf'<section class="card[^"]*" data-testid="widget-{key}">(.*?)</section>', re.S
    )
    return [plain_text(found) for found in pattern.findall(page)]


def widget_text(page: str, key: str) -> str:
    found = widget_texts(page, key)
    assert len(found) == 1, f"{len(found)} widgets {key} on the page"
    return found[0]


def flashed(page: str) -> str:
    return " ".join(
        plain_text(m) for m in re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S)
    )
