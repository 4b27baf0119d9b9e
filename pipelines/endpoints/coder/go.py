"""What coderd's Go code does to a request, to the letter: its query-parameter parser,
UUIDs as google/uuid reads them, RFC 3339 times as time.Parse reads them (with Go's
error texts) and as Go writes them, and coderd's error body (codersdk.Response)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from pipelines.endpoints.base import Query, Refused

TIME_LAYOUT = "2006-01-02T15:04:05Z07:00"
MANY_INVALID = "Query parameters have invalid values."
ONE_INVALID = "Query parameter has invalid value."
RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})")
HEX = re.compile(r"[0-9a-fA-F]{32}")


def refused(message: str, detail: str = "", validations: list[dict] | None = None) -> Refused:
    """coderd's error body: message, then detail and validations when not empty."""
    body: dict = {"message": message}
    if detail:
        body["detail"] = detail
    if validations:
        body["validations"] = validations
    return Refused(400, body)


def validation(field_name: str, detail: str) -> dict:
    return {"field": field_name, "detail": detail}


def invalid_value(field_name: str, detail: str) -> Refused:
    """The refusal of one parameter's value, checked after the parser has finished."""
    return refused(ONE_INVALID, validations=[validation(field_name, detail)])


@dataclass
class QueryParser:
    """Coder's query-parameter parser: every problem is collected, then reported at once."""

    query: Query
    parsed: set[str] = field(default_factory=set)
    errors: list[dict] = field(default_factory=list)

    def string(self, name: str, required: bool = False) -> str:
        self.parsed.add(name)
        value = self.query.get(name) or ""
        if required and not value:
            self.errors.append(
                validation(name, f'Query param "{name}" is required and cannot be empty')
            )
        return value

    def strings(self, name: str, default: list[str]) -> list[str]:
        value = self.string(name)
        return [part.strip() for part in value.split(",")] if value else default

    def uuids(self, name: str) -> list[str]:
        parsed, problems = [], []
        for part in self.strings(name, []):
            try:
                parsed.append(parse_uuid(part))
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            self.errors.append(
                validation(name, f'Query param "{name}" has invalid values: ' + "\n".join(problems))
            )
        return sorted(set(parsed))

    def integer(self, name: str, default: int) -> int:
        """An integer as Go's strconv.Atoi reads it (64 bits), with its error texts."""
        value = self.string(name)
        if not value:
            return default
        problem = "invalid syntax"
        if re.fullmatch(r"[+-]?\d+", value):
            # Compared as text first: Python refuses to read integers of 4,300 digits.
            if len(value.lstrip("+-")) <= 19 and -(2**63) <= int(value) < 2**63:
                return int(value)
            problem = "value out of range"
        self.errors.append(
            validation(
                name,
                f'Query param "{name}" must be a valid integer: '
                f'strconv.Atoi: parsing "{value}": {problem}',
            )
        )
        return default

    def finish(self) -> None:
        """Unknown parameters are errors too; raise everything collected."""
        for name in dict.fromkeys(self.query.names()):
            if name not in self.parsed:
                self.errors.append(validation(name, f'"{name}" is not a valid query param'))
        if self.errors:
            raise refused(MANY_INVALID, validations=self.errors)


def parse_uuid(text: str) -> str:
    """A UUID as Go's google/uuid accepts it (with its error texts), in canonical form."""
    value = text
    if len(value) == 45:
        if value[:9].lower() != "urn:uuid:":
            raise ValueError(f'invalid urn prefix: "{value[:9]}"')
        value = value[9:]
    elif len(value) == 38:
        value = value[1:-1]
    elif len(value) == 32:
        if not HEX.fullmatch(value):
            raise ValueError("invalid UUID format")
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}".lower()
    elif len(value) != 36:
        raise ValueError(f"invalid UUID length: {len(text)}")
    if [value[8], value[13], value[18], value[23]] != ["-"] * 4 or not HEX.fullmatch(
        value.replace("-", "")
    ):
        raise ValueError("invalid UUID format")
    return value.lower()


def _go_parse_error(value: str) -> str:
    """The text of Go's time.Parse error for a value that is not RFC 3339 (best effort)."""
    layout_parts = ["2006", "-", "01", "-", "02", "T", "15", ":", "04", ":", "05", "Z07:00"]
    patterns = [r"\d{4}", "-", r"\d{2}", "-", r"\d{2}", "T", r"\d{2}", ":", r"\d{2}", ":", r"\d{2}"]
    rest = value
    for part, pattern in zip(layout_parts, patterns, strict=False):
        match = re.match(pattern, rest)
        if not match:
            return f'parsing time "{value}" as "{TIME_LAYOUT}": cannot parse "{rest}" as "{part}"'
        rest = rest[match.end() :]
    rest = re.sub(r"^\.\d+", "", rest)
    if not re.fullmatch(r"Z|[+-]\d{2}:\d{2}", rest):
        return f'parsing time "{value}" as "{TIME_LAYOUT}": cannot parse "{rest}" as "Z07:00"'
    return f'parsing time "{value}": day out of range'


def parse_time(name: str, value: str) -> datetime:
    match = RFC3339.fullmatch(value)
    detail = None
    if match:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            # Go checks the fields as it reads them; a day past the month's end comes last.
            month, day, hour, minute, second = (int(match.group(n)) for n in range(2, 7))
            problem = next(
                (
                    text
                    for bad, text in [
                        (not 1 <= month <= 12, "month out of range"),
                        (not 1 <= day <= 31, "day out of range"),
                        (hour > 23, "hour out of range"),
                        (minute > 59, "minute out of range"),
                        (second > 59, "second out of range"),
                    ]
                    if bad
                ),
                "day out of range",
            )
            detail = f'parsing time "{value}": {problem}'
    detail = detail or _go_parse_error(value)
    raise invalid_value(
        name, f'Query param "{name}" must be a valid date format ({TIME_LAYOUT}): {detail}'
    )


def format_time(moment: datetime, offset_of: datetime | None = None) -> str:
    """RFC 3339 as Go writes it: Z for a zero offset, else ±hh:mm; no zero fraction."""
    if offset_of is not None:
        moment = moment.astimezone(offset_of.tzinfo)
    text = (
        moment.replace(microsecond=0).isoformat() if not moment.microsecond else moment.isoformat()
    )
    return text[:-6] + "Z" if text.endswith("+00:00") else text
