"""Which days of a fact (or of a versioned staging model, or of a snapshot kind's records)
share one Parquet file.

A fact is partitioned by day, but a file per day makes every read of a long window open
one file per day: the cost a report pays grows with the history it spans. So a fact's
settled days are packed: a whole month in one file, and in the month not yet settled,
its settled days so far in one, written again each night a day joins it; the recent days
keep a file each. A day is settled once it is more than the fact's window plus
SETTLE_DAYS older than the fact's newest day: new data arriving in order rebuilds only the
days within the window of its own, so a night writes day files and that one month-to-date
file, and a whole month's file is written once, when its last day settles (or again when
late data reaches it). The catalog keeps one entry per day, several days naming the same
file.

Rewriting the month so far each night suits a fact of a few rows per day and entity. A
model too large for that (`-- pack: blocks`: minute grain, event records) and a versioned
staging model (read as of now: its current and recent files only) pack each settled
block of seven days (the 1st-7th, 8th-14th, ... of the month) in one instead, written
once.

A versioned staging model is partitioned by the day its versions' validity ended; its
days settle likewise (window 0: new versions close ranges on their own day), and its
current versions (9999-12-31) keep a file of their own.

A snapshot kind's records (users, rooms, ...) pack whole settled months only (window 0),
as they land (extract/land.py): a first collect holds versions of hundreds of days, a
night's versions fall on its own days. A month that has a packed file takes its later
versions in it; a month's day files pack when versions land in it after it has settled.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

# Late data (a collect's overlap, an app session that ends days later) reaches back a few
# days; a week past the window it has settled.
SETTLE_DAYS = 7
BLOCK_DAYS = 7


def storage_unit(day: date, newest: date, window_days: int, blocks: bool) -> tuple[date, date]:
    """The first and last day of the file that holds `day`: its month, its month's settled
    days so far (or with `blocks`, its block of the month), or itself."""
    settled = newest - timedelta(days=window_days + SETTLE_DAYS)
    first = day.replace(day=1)
    last = first.replace(day=calendar.monthrange(day.year, day.month)[1])
    if last <= settled:
        return first, last
    if not blocks and day <= settled:
        return first, settled
    block_first = first + timedelta(days=BLOCK_DAYS * ((day.day - 1) // BLOCK_DAYS))
    block_last = min(block_first + timedelta(days=BLOCK_DAYS - 1), last)
    if block_last <= settled:
        return block_first, block_last
    return day, day
