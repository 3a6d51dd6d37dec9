"""The per-site part of a crawl's summary: counters from the spiders, lines for the report.

A spider counts what its pages looked like in the crawler's statistics under
``zhengce/<site>/…`` (``api_pages``, ``window_splits``, ``window_capped``, ``empty_body``,
``duplicated_body``, ``furniture_lines``, ``js_redirects``, ``failed/<kind>`` …); the storage
pipeline and the distributed workers hand them to the writer as ``counters``, and the writer
adds the attachments it stored by format and extraction status. :func:`site_lines` turns one
run's summary into a line per site: documents, empty or duplicated bodies, selector misses (the
declared selector missed while a fallback found the text, or nothing found it) and attachments.
"""

from __future__ import annotations

from typing import Any

DECLARED_MISS = "(declared)"


def site_counters(stats: dict[str, Any], site: str) -> dict[str, int]:
    """``zhengce/<site>/name`` statistics as ``{name: value}``."""
    prefix = f"zhengce/{site}/"
    return {key[len(prefix):]: value for key, value in stats.items()
            if key.startswith(prefix) and isinstance(value, (int, float))}


def merge_counters(into: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    for name, value in more.items():
        into[name] = into.get(name, 0) + value
    return into


def _misses(labels: dict[str, int]) -> tuple[int, int]:
    """(declared selector missed but a fallback hit, nothing found)."""
    declared = sum(n for label, n in labels.items() if DECLARED_MISS in label.split(":")[0])
    return declared, sum(labels.values()) - declared


def site_lines(data: dict[str, Any]) -> list[str]:
    """One line per site of a run's summary (see the module docstring)."""
    crawl = data.get("crawl") or {}
    sites = data.get("sites") or {}
    kinds = data.get("attachment_kinds") or {}
    lines = []
    for site in sorted(set(crawl) | set(sites)):
        counts = sites.get(site, {})
        counters = (crawl.get(site) or {}).get("counters") or {}
        declared, lost = _misses((crawl.get(site) or {}).get("misses") or {})
        parts = [f"{counts.get('stored', 0)} documents stored"
                 + (f" ({counts['duplicates']} duplicates)" if counts.get("duplicates") else ""),
                 f"{counters.get('empty_body', 0)} empty bodies",
                 f"{counters.get('duplicated_body', 0)} doubled bodies cut",
                 f"{counters.get('furniture_lines', 0)} furniture lines dropped",
                 f"selector misses: {declared} declared (a fallback found it), {lost} found nothing"]
        if counters.get("api_pages"):
            parts.append(f"{counters['api_pages']} API pages, "
                         f"{counters.get('window_splits', 0)} window splits, "
                         f"{counters.get('window_capped', 0)} windows capped")
        if kinds.get(site):
            parts.append("attachments " + ", ".join(
                f"{kind} ×{n}" for kind, n in sorted(kinds[site].items())))
        lines.append(f"  site {site}: " + "; ".join(parts))
    return lines
