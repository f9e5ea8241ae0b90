"""`routing.time_intervals` values, checked as Alertmanager's config loader checks them
(config/timeinterval.go): the schema holds the syntax, this the meaning. A reversed range, a day
of month past 31 or a time zone the system does not know would make Alertmanager refuse the whole
alertmanager.yml, which a `--no-validate` run would otherwise write."""

from __future__ import annotations

from typing import Any

from mongen.errors import YamlPath
from mongen.spec.issues import SpecIssues

_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def check_time_interval(issues: SpecIssues, path: YamlPath, entry: dict[str, Any]) -> None:
    for j, t in enumerate(entry.get("times", [])):
        if _minutes(t["start_time"]) >= _minutes(t["end_time"]):
            issues.fail(
                (*path, "times", j, "start_time"),
                f"`{t['start_time']}` is not before end_time `{t['end_time']}`; Alertmanager refuses the range. "
                "A range across midnight is two ranges: start..24:00 and 00:00..end",
            )
    _ranges(issues, (*path, "weekdays"), entry.get("weekdays", []), _weekday, "weekday")
    _ranges(issues, (*path, "months"), entry.get("months", []), _month, "month")
    _ranges(issues, (*path, "years"), entry.get("years", []), int, "year")
    for j, text in enumerate(entry.get("days_of_month", [])):
        _day_range(issues, (*path, "days_of_month", j), text)
    location = entry.get("location")
    if isinstance(location, str) and not _known_zone(location):
        issues.fail(
            (*path, "location"),
            f"`{location}` is not a time zone this system's tz database knows, so Alertmanager could not load it; "
            "use an IANA name such as Asia/Shanghai or UTC",
        )


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _weekday(text: str) -> int:
    return _WEEKDAYS.index(text)


def _month(text: str) -> int:
    return int(text) if text.isdigit() else _MONTHS.index(text) + 1


def _ranges(issues: SpecIssues, path: YamlPath, values: list[str], number: Any, what: str) -> None:
    for j, text in enumerate(values):
        start, _, end = text.partition(":")
        if end and number(start) > number(end):
            issues.fail(
                (*path, j),
                f"`{text}` runs backwards ({what} `{start}` comes after `{end}`); Alertmanager refuses it. "
                f"Write the range from the earlier {what}, or as two ranges",
            )


def _day_range(issues: SpecIssues, path: YamlPath, text: str) -> None:
    start_text, _, end_text = text.partition(":")
    start, end = int(start_text), int(end_text or start_text)
    for day in (start, end):
        if not 1 <= abs(day) <= 31:
            issues.fail(path, f"day `{day}` is outside 1..31 (or -31..-1, counted from the month's end)")
            return
    # Alertmanager compares negative days as if the month had 30 days (timeinterval.go).
    if (start if start > 0 else 30 + start) > (end if end > 0 else 30 + end):
        issues.fail(path, f"`{text}` runs backwards (its first day comes after its last); Alertmanager refuses it")


def _known_zone(name: str) -> bool:
    if name in ("UTC", "Local"):  # Go's time.LoadLocation knows both without the tz database
        return True
    import zoneinfo  # here: its import reads the tz search path, and most specs name no zone

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
