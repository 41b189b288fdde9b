"""Working days in mainland China: weekends and public holidays excluded, adjusted
working days (调休) included, from the chinese-calendar package."""

from __future__ import annotations

import functools
from datetime import date, timedelta

import chinese_calendar


@functools.lru_cache(maxsize=8192)
def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the calendar does not cover yet: weekdays only
        return day.weekday() < 5


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start).

    A document signed on Friday and published the next Monday took 1 working day.
    """
    if end <= start:
        return 0
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_workday(day)
    return count
