"""Date expressions resolved against the publication date (dates.py, lexicons/dates.yaml)."""
from datetime import date

import pytest

from ingest.extraction.dates import find_dates, latest_weekday
from ingest.extraction.folding import Folded

PUB = date(2024, 3, 14)  # a Thursday


def dates_in(text, published=PUB):
    f = Folded.of(text)
    return [(f.text[m.start:m.end], m.date, m.precision) for m in find_dates(f.text, published)]


def only(text, published=PUB):
    found = dates_in(text, published)
    assert len(found) == 1, found
    return found[0][1], found[0][2]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("شنت الطائرات غارات اليوم الخميس على المنطقة", date(2024, 3, 14)),
        ("قصفت المدفعية القرية أمس", date(2024, 3, 13)),
        ("وقع الانفجار أول أمس في السوق", date(2024, 3, 12)),
        ("استهدفت مسيرة سيارة فجر اليوم", date(2024, 3, 14)),
        ("اندلعت اشتباكات ليل الثلاثاء", date(2024, 3, 12)),
        ("أعلنت الفصائل الإثنين استهداف القاعدة", date(2024, 3, 11)),
        ("the strike hit the town yesterday", date(2024, 3, 13)),
        ("rockets landed on Sunday evening", date(2024, 3, 10)),
        ("clashes broke out late Monday night", date(2024, 3, 11)),
        ("a drone struck the car on Thursday", date(2024, 3, 14)),
    ],
)
def test_relative_days_and_weekdays(text, expected):
    assert only(text)[0] == expected


def test_weekday_is_latest_on_or_before_publication():
    assert latest_weekday(3, PUB) == PUB  # Thursday itself
    assert latest_weekday(4, PUB) == date(2024, 3, 8)  # the Friday before


@pytest.mark.parametrize(
    "text, expected",
    [
        ("في الـ 5 من آذار/مارس استهدفت المقاومة القاعدة", date(2024, 3, 5)),
        ("يوم 2 شباط الماضي", date(2024, 2, 2)),
        ("في 9 تشرين الأول/أكتوبر 2023", date(2023, 10, 9)),
        ("بتاريخ ٧ كانون الثاني ٢٠٢٤", date(2024, 1, 7)),
        ("On Feb. 20, gunmen attacked", date(2024, 2, 20)),
        ("on 3 March 2024 the base was hit", date(2024, 3, 3)),
        ("the report dated 2024-01-30", date(2024, 1, 30)),
        ("في 14 الشهر الجاري", date(2024, 3, 14)),
    ],
)
def test_explicit_dates_both_month_systems(text, expected):
    assert only(text) == (expected, 1)


def test_date_without_year_in_the_future_takes_previous_year():
    # 20 December, read in March 2024, is December 2023.
    assert only("في 20 كانون الأول قصفت المدفعية البلدة")[0] == date(2023, 12, 20)
    assert only("on December 20 a drone hit the car")[0] == date(2023, 12, 20)


def test_weekday_and_explicit_date_joined():
    found = dates_in("قال المصدر إن الهجوم وقع أمس الأربعاء 13 آذار/مارس")
    assert [(d, p) for _, d, p in found] == [(date(2024, 3, 13), 1)]


def test_hijri_date_converted():
    # 1 Ramadan 1445 AH = 11 March 2024.
    assert only("في 1 رمضان 1445 هـ") == (date(2024, 3, 11), 1)


@pytest.mark.parametrize(
    "text, expected, precision",
    [
        ("خلال الأيام الأخيرة تعرضت المنطقة لقصف", date(2024, 3, 14), 2),
        ("last week a convoy was ambushed", date(2024, 3, 7), 2),
        ("منتصف الشهر الماضي", date(2024, 2, 1), 3),
        ("late last month", date(2024, 2, 1), 3),
        ("تعرضت لغارات بداية العام", date(2024, 1, 15), 3),
        ("eight days ago", date(2024, 3, 6), 1),
        ("قبل ثلاثة أيام", date(2024, 3, 11), 1),
    ],
)
def test_vague_spans_have_coarser_precision(text, expected, precision):
    assert only(text) == (expected, precision)


def test_year_alone_is_marked_as_background():
    found = dates_in("In mid-2014 the group overran the city")
    assert found and found[0][2] == 4


def test_ordinal_day_count_is_not_a_date():
    assert dates_in("المعركة المستمرة لليوم الـ20 على التوالي") == []
    assert dates_in("at around 7:00 pm local time") == []


def test_offsets_point_into_the_original_text():
    text = "وفي الـ 23 من تشرينَ الأول/أكتوبر، استهدفت"
    f = Folded.of(text)
    m = find_dates(f.text, PUB)[0]
    s, e = f.span(m.start, m.end)
    assert text[s:e].endswith("أكتوبر")
    assert "23" in text[s:e]
