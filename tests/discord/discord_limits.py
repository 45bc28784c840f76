"""Discord's documented message limits, checked the way Discord's API does (it answers 400)."""

from __future__ import annotations

from typing import Any

LIMITS = {
    "content": 2000,
    "embeds": 10,
    "title": 256,
    "description": 4096,
    "fields": 25,
    "field_name": 256,
    "field_value": 1024,
    "footer": 2048,
    "author": 256,
    "embed_total": 6000,
    "rows": 5,
    "row_items": 5,
    "label": 80,
    "custom_id": 100,
}


def embed_chars(embed: dict[str, Any]) -> int:
    """Characters Discord counts against the 6000 total for one embed."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for field in embed.get("fields") or []:
        total += len(field.get("name") or "") + len(field.get("value") or "")
    return total


def _embed_problems(i: int, embed: dict[str, Any]) -> list[str]:
    out = []
    for key in ("title", "description"):
        if len(embed.get(key) or "") > LIMITS[key]:
            out.append(f"embed {i} {key} {len(embed[key])} > {LIMITS[key]}")
    if len((embed.get("footer") or {}).get("text") or "") > LIMITS["footer"]:
        out.append(f"embed {i} footer too long")
    fields = embed.get("fields") or []
    if len(fields) > LIMITS["fields"]:
        out.append(f"embed {i} has {len(fields)} fields")
    for f in fields:
        if not f.get("name") or not f.get("value"):
            out.append(f"embed {i} has an empty field name or value")
        if len(f.get("name") or "") > LIMITS["field_name"]:
            out.append(f"embed {i} field name {len(f['name'])}")
        if len(f.get("value") or "") > LIMITS["field_value"]:
            out.append(f"embed {i} field value {len(f['value'])}")
    return out


def _component_problems(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    if len(rows) > LIMITS["rows"]:
        out.append(f"{len(rows)} component rows")
    for row in rows:
        items = row.get("components") or []
        if len(items) > LIMITS["row_items"]:
            out.append(f"{len(items)} items in a row")
        for item in items:
            if len(item.get("label") or "") > LIMITS["label"]:
                out.append(f"button label {len(item['label'])}")
            if len(item.get("custom_id") or "") > LIMITS["custom_id"]:
                out.append("custom_id too long")
            if item.get("style") == 5 and not str(item.get("url", "")).startswith("http"):
                out.append("link button without an http(s) url")
    return out


def message_problems(payload: dict[str, Any]) -> list[str]:
    """Every limit a message payload breaks (empty list when Discord would accept it)."""
    out = []
    content = payload.get("content") or ""
    if len(content) > LIMITS["content"]:
        out.append(f"content {len(content)} > 2000")
    embeds = payload.get("embeds") or []
    if len(embeds) > LIMITS["embeds"]:
        out.append(f"{len(embeds)} embeds > 10")
    for i, embed in enumerate(embeds):
        out.extend(_embed_problems(i, embed))
    total = sum(embed_chars(e) for e in embeds)
    if total > LIMITS["embed_total"]:
        out.append(f"embeds total {total} > 6000")
    out.extend(_component_problems(payload.get("components") or []))
    if not content and not embeds and "components" not in payload and "flags" not in payload:
        out.append("empty message")
    return out
