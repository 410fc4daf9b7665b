"""A crawler that reads every page, download and look-up a role can reach, looking for a marker.

It starts at the panel's home page and follows, breadth first, every link and every GET form
(submitted with its defaults) under the panel, as the role's browser would. Each answer is read
as a user reads it: HTML as text, CSV as text, XLSX cell by cell, PDF through its text layer.
Every select2 look-up a form offers is asked for the marker's prefix, and every list searched
for it: an answer that differs from a search for text nothing holds is an oracle on hidden data.
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

from openpyxl import load_workbook
from pypdf import PdfReader

HREF = re.compile(r'href="([^"]+)"')
LOOKUP_URL = re.compile(r'data-url="([^"]+/ajax/lookup/\?name=[^"]+)"')
GET_FORM = re.compile(r'<form[^>]*method="get"[^>]*action="([^"]*)"', re.IGNORECASE)
DETAILS_LINK = re.compile(r"details/\?id=(\d+)")
NO_MATCH = "qqqqnothingstartslikethis"
SKIPPED = ("/logout", "/static", "/admin/static", "/impersonate", "/view-as", "javascript:")
VARIANTS_PER_PATH = 6
"""Query-string variants fetched per path: enough to open several records of each kind."""


@dataclass
class CrawlReport:
    """What the crawl read, and where the marker showed."""

    pages: int = 0
    downloads: Counter = field(default_factory=Counter)
    lookups: int = 0
    searches: int = 0
    list_views: int = 0
    """Lists read through a saved view (`?view=<id>`)."""
    leaks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def readable_text(response) -> str:
    """The text a user would read in the answer, whatever its format."""
    kind = response.mimetype or ""
    body = response.get_data()
    if kind == "application/pdf":
        pages = PdfReader(io.BytesIO(body)).pages
        text = "\n".join(page.extract_text() or "" for page in pages)
        return text.replace("\u200b", "")  # the break hints inside e-mail addresses
    if "spreadsheetml" in kind:
        workbook = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            " ".join("" if value is None else str(value) for value in row)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    if kind == "image/png":
        return ""
    return html.unescape(body.decode("utf-8", errors="replace"))


def _format_of(response) -> str | None:
    kind = response.mimetype or ""
    for name, fragment in (("pdf", "pdf"), ("xlsx", "spreadsheetml"), ("csv", "csv")):
        if fragment in kind:
            return name
    return None


def crawl(panel, marker: str, max_pages: int = 400) -> CrawlReport:
    """Read what the panel's logged-in role can reach, recording each place `marker` shows."""
    report = CrawlReport()
    queue, seen, per_path = deque(["/admin/"]), set(), Counter()
    lookups_done: set[str] = set()
    while queue and report.pages < max_pages:
        url = queue.popleft()
        path = urlsplit(url).path
        if url in seen or per_path[path] >= VARIANTS_PER_PATH:
            continue
        seen.add(url)
        per_path[path] += 1
        response = panel.get(url)
        report.pages += 1
        report.list_views += "view=" in urlsplit(url).query
        if response.status_code >= 500:
            report.errors.append(f"{response.status_code} {url}")
            continue
        if response.status_code != 200:
            continue
        text = readable_text(response)
        if (at := text.lower().find(marker)) >= 0:
            report.leaks.append(f"{url}: ...{text[max(at - 80, 0) : at + 40]}...")
        if file_format := _format_of(response):
            report.downloads[file_format] += 1
            continue
        if response.mimetype != "text/html":
            continue
        for link in _links(text, url):
            if link not in seen:
                queue.append(link)
        for lookup in set(LOOKUP_URL.findall(text)) - lookups_done:
            lookups_done.add(lookup)
            report.lookups += 1
            _check_lookup(panel, lookup, marker, report)
        if _is_list_page(path) and "search" not in url:
            report.searches += 1
            _check_search(panel, path, marker, report)
    return report


def _links(page: str, base: str) -> list[str]:
    found = [*HREF.findall(page), *GET_FORM.findall(page)]
    links = []
    for raw in found:
        target = urldefrag(html.unescape(raw))[0]
        if not target or target.startswith("?"):
            target = urlsplit(base).path + target if target else ""
        if not target.startswith("/") or target.startswith(SKIPPED):
            continue
        if "/delete" in target or "/action/" in target:
            continue
        links.append(target)
    return links


def _is_list_page(path: str) -> bool:
    parts = [part for part in path.split("/") if part]
    return len(parts) == 2 and parts[0] == "admin" and parts[1] not in {"reports"}


def _check_lookup(panel, lookup: str, marker: str, report: CrawlReport) -> None:
    answer = panel.get(f"{html.unescape(lookup)}&query={marker}")
    if answer.status_code >= 500:
        report.errors.append(f"{answer.status_code} look-up {lookup}")
    elif marker in answer.get_data(as_text=True).lower() or answer.get_json(silent=True):
        report.leaks.append(f"look-up {lookup} answers {marker!r}")


def _check_search(panel, path: str, marker: str, report: CrawlReport) -> None:
    """Searching for the marker must find what searching for nothing-at-all finds."""
    hits = panel.get(f"{path}?search={marker}")
    misses = panel.get(f"{path}?search={NO_MATCH}")
    if hits.status_code >= 500:
        report.errors.append(f"{hits.status_code} search {path}")
        return
    found = set(DETAILS_LINK.findall(hits.get_data(as_text=True)))
    control = set(DETAILS_LINK.findall(misses.get_data(as_text=True)))
    if found != control:
        report.leaks.append(f"search {path} tells {marker!r} apart ({len(found)} rows)")
