"""Turn the kit editor's posted fields into kit data; the domain model does the validating.

Inputs are named by their path in the kit (``voice.banned[2].phrase``), so a problem the
domain reports for a path lands beside the input of the same name. Rows left blank are
dropped. Numbers that don't parse are passed on as text so the domain names the field.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

ROW = re.compile(r"^(?P<list>[a-z_.]+)\[(?P<index>\d+)\]\.(?P<field>[a-z_]+)$")
SEVERITIES = ("warn", "block")


def _rows(form: MultiDict, prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for key in form:
        match = ROW.match(key)
        if match and match["list"] == prefix and match["field"] in fields:
            rows.setdefault(int(match["index"]), {})[match["field"]] = form.get(key, "").strip()
    return [rows[i] for i in sorted(rows)]


def _number(raw: str) -> int | float | str | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        try:
            return float(raw)
        except ValueError:
            return raw


def _split(raw: str) -> list[str]:
    return [part for part in re.split(r"[\s,]+", raw.strip()) if part]


def _lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.splitlines() if line.strip()]


def _table(raw: str, what: str) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for line in _lines(raw):
        key, sep, value = line.partition(":") if ":" in line else line.partition("=")
        table[key.strip()] = _number(value) if what == "number" else value.strip()
        if not sep:
            table[key.strip()] = ""
    return table


def palette_from_form(form: MultiDict) -> list[dict[str, str]]:
    """Read the palette rows."""
    rows = _rows(form, "palette", ("name", "hex", "role"))
    return [r for r in rows if r.get("name") or r.get("hex")]


def _severity(form: MultiDict, key: str) -> str:
    value = form.get(key, "warn")
    return value if value in SEVERITIES else value or "warn"


def voice_from_form(form: MultiDict) -> dict[str, Any]:
    """Read the voice editor."""
    voice: dict[str, Any] = {
        "tone": form.get("voice.tone", "").strip(),
        "do_examples": _lines(form.get("voice.do_examples", "")),
        "dont_examples": _lines(form.get("voice.dont_examples", "")),
    }
    banned = []
    for row in _rows(form, "voice.banned", ("phrase", "suggestion", "severity", "inflections")):
        if not row.get("phrase") and not row.get("suggestion"):
            continue
        item: dict[str, Any] = {
            "phrase": row.get("phrase", ""),
            "severity": row.get("severity") or "warn",
        }
        if row.get("suggestion"):
            item["suggestion"] = row["suggestion"]
        item["inflections"] = row.get("inflections") == "on"
        banned.append(item)
    voice["banned"] = banned
    voice["brand_terms"] = [
        {"term": r.get("term", ""), "severity": r.get("severity") or "warn"}
        for r in _rows(form, "voice.brand_terms", ("term", "severity"))
        if r.get("term")
    ]
    required = []
    for row in _rows(form, "voice.required", ("phrase", "platforms", "tags", "severity")):
        if not row.get("phrase"):
            continue
        required.append(
            {
                "phrase": row["phrase"],
                "platforms": _split(row.get("platforms", "")),
                "tags": _split(row.get("tags", "")),
                "severity": row.get("severity") or "warn",
            }
        )
    voice["required"] = required

    if form.get("voice.hashtags.enabled"):
        hashtags: dict[str, Any] = {
            "required": _split(form.get("voice.hashtags.required", "")),
            "banned": _split(form.get("voice.hashtags.banned", "")),
            "max_per_platform": _table(form.get("voice.hashtags.max_per_platform", ""), "number"),
            "severity": _severity(form, "voice.hashtags.severity"),
        }
        if (count := _number(form.get("voice.hashtags.max_count", ""))) is not None:
            hashtags["max_count"] = count
        voice["hashtags"] = hashtags
    if form.get("voice.emoji.enabled"):
        emoji: dict[str, Any] = {
            "allowed": form.get("voice.emoji.allowed") == "on",
            "severity": _severity(form, "voice.emoji.severity"),
        }
        if (count := _number(form.get("voice.emoji.max_count", ""))) is not None:
            emoji["max_count"] = count
        voice["emoji"] = emoji
    if form.get("voice.exclamations.enabled"):
        voice["exclamations"] = {
            "max_count": _number(form.get("voice.exclamations.max_count", "")),
            "severity": _severity(form, "voice.exclamations.severity"),
        }
    if form.get("voice.all_caps.enabled"):
        voice["all_caps"] = {
            "max_count": _number(form.get("voice.all_caps.max_count", "")),
            "allow": _split(form.get("voice.all_caps.allow", "")),
            "severity": _severity(form, "voice.all_caps.severity"),
        }
    if form.get("voice.reading.enabled"):
        reading: dict[str, Any] = {"severity": _severity(form, "voice.reading.severity")}
        for key in ("max_grade", "max_sentence_words"):
            if (value := _number(form.get(f"voice.reading.{key}", ""))) is not None:
                reading[key] = value
        voice["reading"] = reading
    if form.get("voice.links.enabled"):
        voice["links"] = {
            "allowed_domains": _split(form.get("voice.links.allowed_domains", "")),
            "own_domains": _split(form.get("voice.links.own_domains", "")),
            "utm_required": form.getlist("voice.links.utm_required"),
            "utm_defaults": _table(form.get("voice.links.utm_defaults", ""), "text"),
            "severity": _severity(form, "voice.links.severity"),
            "utm_severity": _severity(form, "voice.links.utm_severity"),
        }
    # None values would read as "wrong type"; a missing number is simply left out.
    for rule in ("exclamations", "all_caps"):
        if rule in voice and voice[rule]["max_count"] is None:
            voice[rule].pop("max_count")
    return {k: v for k, v in voice.items() if v not in ("", [], None)}
