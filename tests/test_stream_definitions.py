"""A stream's cursor and paging style are closed sets, checked when the stream is defined: a typo
would otherwise make every pass full, or page a method the wrong way, without a word."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from b24metrics.extract import STREAMS
from b24metrics.extract.plan import plan_pass
from b24metrics.warehouse import Bookmark

LEADS, CALLS, CATEGORIES = STREAMS["leads"], STREAMS["calls"], STREAMS["deal_categories"]


@pytest.mark.parametrize("change, complaint", [
    ({"style": "crm_v2"}, "style 'crm_v2'"),
    ({"cursor": "date"}, "cursor 'date'"),
    ({"cursor": "id"}, "modified_field goes with"),              # an ID cursor and a modified date
    ({"modified_field": None}, "modified_field goes with"),     # a "modified" cursor without its field
])
def test_a_stream_defined_wrong_is_refused(change, complaint):
    with pytest.raises(ValueError, match=complaint):
        replace(LEADS, **change)


def test_a_single_call_stream_has_no_cursor():
    with pytest.raises(ValueError, match="single call"):
        replace(CALLS, style="single")
    assert CATEGORIES.style == "single" and CATEGORIES.cursor == "none"


def test_each_cursor_plans_its_own_incremental_pass():
    watermark, overlap = datetime(2024, 1, 2, tzinfo=timezone.utc), timedelta(minutes=5)

    def after_a_complete_pass(stream):
        done = Bookmark(stream.name, 500, complete=True, since=watermark)
        return plan_pass(stream, done, full=False, since=None, overlap=overlap)

    by_date, by_id, whole = after_a_complete_pass(LEADS), after_a_complete_pass(CALLS), after_a_complete_pass(CATEGORIES)
    assert (by_date.mode, by_date.pass_since, by_date.cursor_id) == ("incremental", watermark - overlap, 0)
    assert (by_id.mode, by_id.pass_since, by_id.cursor_id) == ("incremental", None, 500)
    assert (whole.mode, whole.cursor_id) == ("full", 0)
