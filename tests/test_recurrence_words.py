"""scheduling.recurrence: a reception plan's RRULE in Vietnamese words (and English under /en/)."""

import pytest
from django.utils import translation

from scheduling.recurrence import describe, describe_or_raw


@pytest.mark.parametrize(("rule", "words"), [
    ("FREQ=MONTHLY;BYMONTHDAY=10,25", "Ngày 10 và 25 hằng tháng"),
    ("RRULE:FREQ=MONTHLY;BYMONTHDAY=25,10", "Ngày 10 và 25 hằng tháng"),
    ("freq=monthly;bymonthday=5,15,25", "Ngày 5, 15 và 25 hằng tháng"),
    ("FREQ=MONTHLY;BYMONTHDAY=15", "Ngày 15 hằng tháng"),
    ("FREQ=MONTHLY;BYMONTHDAY=-1", "Ngày cuối cùng của mỗi tháng"),
    ("FREQ=MONTHLY;BYMONTHDAY=15,-1", "Ngày 15 và ngày cuối cùng của mỗi tháng"),
    ("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=1", "Ngày 1, 2 tháng một lần"),
    ("FREQ=WEEKLY;BYDAY=TH", "Thứ Năm hằng tuần"),
    ("FREQ=WEEKLY;BYDAY=TH,MO", "Thứ Hai và Thứ Năm hằng tuần"),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "Thứ Hai, Thứ Ba, Thứ Tư, Thứ Năm và Thứ Sáu hằng tuần"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", "Thứ Tư, 2 tuần một lần"),
    ("FREQ=MONTHLY;BYDAY=1MO", "Thứ Hai đầu tiên hằng tháng"),
    ("FREQ=MONTHLY;BYDAY=-1FR", "Thứ Sáu cuối cùng hằng tháng"),
    ("FREQ=MONTHLY;BYDAY=2TU,4TU", "Thứ Ba tuần thứ 2 và Thứ Ba tuần thứ 4 hằng tháng"),
    ("FREQ=DAILY", "Hằng ngày"),
    ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1", "Ngày 1 tháng 3 hằng năm"),
])
def test_rules_in_vietnamese_words(rule, words):
    with translation.override("vi"):
        assert describe(rule) == words


@pytest.mark.parametrize("rule", ["", "nonsense", "FREQ=MONTHLY;BYSETPOS=1;BYDAY=MO", "FREQ=MONTHLY;BYMONTHDAY=40",
                                  "FREQ=MONTHLY;BYDAY=5MO", "FREQ=WEEKLY;COUNT=3;BYDAY=MO", "FREQ=WEEKLY;BYMONTH=2"])
def test_rules_without_words_give_none_and_the_admin_sees_the_rule(rule):
    assert describe(rule) is None
    assert describe_or_raw(rule) == rule


def test_english_words_under_en():
    with translation.override("en"):
        assert describe("FREQ=MONTHLY;BYMONTHDAY=10,25") == "Day 10 and 25 of every month"
        assert describe("FREQ=WEEKLY;BYDAY=TH") == "Every Thursday"
