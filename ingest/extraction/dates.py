"""Date expressions in Arabic and English news, resolved against the publication date.

Handles (the words themselves are in ``lexicons/dates.yaml``):
- explicit dates in both Arabic month systems, written alone or together
  ("تشرين الأول/أكتوبر"), with ordinals ("في الـ 23 من"), and English ("Aug. 6",
  "October 21, 2023", "6 August"); numeric dates (2020-04-15, 19/4/2022);
- Hijri dates ("5 رمضان 1445 هـ"), converted with ``hijridate``;
- weekdays (the latest such day on or before publication), with parts of the day
  ("فجر", "ليل الخميس" is Thursday night, "late Monday"), and "اليوم الجمعة" style pairs;
- relative days (اليوم، أمس، أول أمس، today, yesterday, overnight), "N days ago",
  "قبل ثلاثة أيام";
- vaguer spans (this week, last week, last month, بداية العام) with a coarser
  ``precision`` (2 = within a week, 3 = the month).
A date without a year takes the publication year, or the previous one when that would
put it after publication. Everything works on *folded* text (see ``folding``).

dateparser is not used: measured here it reads neither the Levantine month names nor the
paired forms ("23 تشرين الأول", "في الـ 23 من تشرين الأول/أكتوبر", "يوم أمس السبت 13
تشرين الثاني/ نوفمبر 2021", "ليل الأربعاء", "late Monday night", "بداية العام" all give
None) and costs about 1 ms a call, a fifth of the whole per-article budget.
"""
from __future__ import annotations

import bisect

import functools
import re
from dataclasses import dataclass
from datetime import date, timedelta

from .folding import fold
from .lexicon import is_arabic, load_yaml
from .numbers import parse_number_word


@dataclass(slots=True)
class DateMention:
    start: int  # folded offsets
    end: int
    date: date | None
    precision: int  # 1 day, 2 week / few days, 3 month; 4 a year only (background)
    kind: str  # explicit, weekday, relative, ago, vague, hijri, numeric, year, month


def _alt(terms) -> str:
    keys = sorted({fold(t) for t in terms if t}, key=len, reverse=True)
    return "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in keys)


@functools.lru_cache(maxsize=1)
def _patterns():
    data = load_yaml("dates.yaml")
    month_of: dict[str, int] = {}
    for num, names in data["months"].items():
        for t in names["ar"] + names["en"]:
            month_of[fold(t)] = int(num)
    weekday_of: dict[str, int] = {}
    for num, names in data["weekdays"].items():
        for t in names["ar"] + names["en"]:
            weekday_of[fold(t)] = int(num)
    hijri_of: dict[str, int] = {}
    for num, names in data["hijri_months"].items():
        for t in names:
            hijri_of[fold(t)] = int(num)
    relative: dict[str, int] = {}
    for group in data["relative_days"]:
        for t in group["ar"] + group["en"]:
            relative[fold(t)] = int(group["offset"])
    vague: dict[str, dict] = {}
    for group in data["vague"]:
        for t in group["ar"] + group["en"]:
            vague[fold(t)] = group

    month = _alt(month_of)
    # Arabic month names may carry the prefixes ب / ل / و ("بتشرين", "وآب").
    m_one = rf"(?:شهر\s+)?(?:[وبل](?=[^\s\d]))?(?P<M>{month})\.?"
    m_pair = rf"{m_one}(?:\s*[/\-(]\s*(?:[وبل](?=[^\s\d]))?(?P<M2>{month})\)?)?"
    year = r"(?:,?\s*(?:من\s+)?(?:العام|عام|سنه|لعام)?\s*(?P<Y>(?:19|20)\d\d))?"
    day = r"(?P<D>[0-3]?\d)(?:st|nd|rd|th)?"
    wb = r"(?<![\w])"
    we = r"(?![\w])"
    dm = re.compile(wb + rf"[وف]?(?:(?:في\s+)?ال\s*)?{day}\s*(?:من\s+|of\s+)?{m_pair}{year}" + we)
    md = re.compile(wb + rf"(?P<M>{month})\.?\s+{day}{we}(?:,?\s*(?P<Y>(?:19|20)\d\d))?" + we)
    my = re.compile(wb + rf"(?:(?:شهر|in|during|خلال)\s+)?{m_pair}\s*(?:(?P<Y>(?:19|20)\d\d)|(?P<PAST>الماضي|المنصرم|الفائت))" + we)
    dcur = re.compile(wb + r"[وف]?(?:(?:في\s+)?ال\s*)?(?P<D>[0-3]?\d)\s+(?:من\s+)?(?:هذا\s+)?(?:ال)?شهر\s+(?P<W>الجاري|الحالي|الماضي|المنصرم)" + we)
    iso = re.compile(r"(?<!\d)(?P<Y>(?:19|20)\d\d)-(?P<M>[01]?\d)-(?P<D>[0-3]?\d)(?!\d)")
    dmy = re.compile(r"(?<![\d/])(?P<D>[0-3]?\d)/(?P<M>[01]?\d)/(?P<Y>(?:19|20)\d\d)(?!\d)")
    hijri = re.compile(wb + rf"(?P<D>[0-3]?\d)\s+(?:من\s+)?(?P<HM>{_alt(hijri_of)})\s+(?:(?:العام|عام|سنه)\s+)?(?P<Y>1[34]\d\d)\s*ه" + we + "?")

    # Weekdays: the forms with the article stand alone; bare forms need a lead word.
    wd_article = [k for k in weekday_of if k.startswith("ال") or re.match(r"[a-z]", k)]
    wd_bare = [k for k in weekday_of if k not in wd_article]
    # After each lead word: spaces, or spaces, "(" and spaces. Not ``\s*\(?\s*``: with no "("
    # the two ``\s*`` could split the same spaces in many ways, and a run of lead words not
    # followed by a weekday backtracked exponentially (1.6 kB of "يوم  يوم ..." took minutes).
    lead_ar = r"(?:(?:و|ف)?(?:يوم|فجر|صباح|ظهر|عصر|مساء|ليل|ليله|نهار|منتصف\s+ليل|اليوم|امس|يوم\s+امس)\s*(?:\(\s*)?)"
    weekday = re.compile(
        wb
        + rf"(?P<LEAD>{lead_ar}+)?(?:[وفب](?=ال))?"
        + rf"(?P<W>{_alt(wd_article)}|(?<=يوم\s)(?:{_alt(wd_bare)})(?!\w))\)?(?P<POSS>'s)?"
        + we
    )
    rel = re.compile(wb + rf"(?:[وف])?(?:يوم\s+)?(?P<R>{_alt(relative)})" + we)
    ago = re.compile(
        wb
        + r"(?:(?P<N>\w+)\s+(?P<U>days?|weeks?)\s+ago|قبل\s+(?:(?P<N2>\w+)\s+)?(?P<U2>ايام|يوما|يوم|يومين|اسبوع|اسبوعين|اسابيع))"
        + we
    )
    vag = re.compile(wb + rf"[وف]?(?:في\s+|خلال\s+|منذ\s+)?(?P<V>{_alt(vague)})" + we)
    yr = re.compile(wb + r"(?:(?:in|عام|العام|سنه|في|منذ|since|by)\s+(?:(?:early|late|mid)[\s-])?|(?:early|late|mid)-|(?:مطلع|اواخر|منتصف|بدايه)\s+(?:عام\s+)?)(?P<Y>(?:19|20)\d\d)" + we)
    return {
        "month_of": month_of, "weekday_of": weekday_of, "hijri_of": hijri_of, "relative": relative,
        "vague": vague, "dm": dm, "md": md, "dcur": dcur, "my": my, "iso": iso, "dmy": dmy, "hijri": hijri,
        "weekday": weekday, "rel": rel, "ago": ago, "vag": vag, "yr": yr,
    }


# Which anchor words each pattern needs: the patterns run only in windows around them.
_ANCHOR_OF = {
    "dm": "month", "md": "month", "my": "month", "hijri": "hijri", "weekday": "weekday", "rel": "rel",
    "vag": "vag", "ago": "ago", "dcur": "shahr", "iso": "year", "dmy": "year", "yr": "year",
}
_BEFORE, _AFTER = 60, 90


@functools.lru_cache(maxsize=1)
def _anchors():
    import ahocorasick

    P = _patterns()
    auto = ahocorasick.Automaton()
    groups: dict[str, set[str]] = {}

    def add(word: str, group: str):
        # A phrase is anchored on its longest word ("خلال الأيام الماضية" on "الايام",
        # "last week" on "week"): common short words would open windows everywhere.
        word = max(word.split(), key=len) if group in ("rel", "vag") else word
        groups.setdefault(word, set()).add(group)

    for k in P["month_of"]:
        add(k.split()[0], "month")
    for k in P["hijri_of"]:
        add(k.split()[0], "hijri")
    for k in P["weekday_of"]:
        add(k, "weekday")
    for k in P["relative"]:
        add(k, "rel")
    for k in P["vague"]:
        add(k, "vag")
    for w in ("ago", "قبل"):
        add(w, "ago")
    add("شهر", "shahr")
    for word, gs in groups.items():
        auto.add_word(word, (word, frozenset(gs)))
    auto.make_automaton()
    return auto


_YEAR_RE = re.compile(r"(?:19|20)\d\d")


def _windows(text: str, start: int, end: int) -> dict[str, list[tuple[int, int]]]:
    """Merged search windows around the anchor words of each pattern family."""
    points: dict[str, list[int]] = {}
    n = len(text)
    for last, (word, gs) in _anchors().iter(text, start, end):
        # Whole words only (Arabic words may carry clitics in front; Latin ones may not).
        if last + 1 < n and text[last + 1].isalnum() and not word[-1].isdigit():
            continue
        first = last - len(word) + 1
        if first > 0 and text[first - 1].isalnum() and not is_arabic(word[0]):
            continue
        for g in gs:
            points.setdefault(g, []).append(last)
    points["year"] = [m.start() for m in _YEAR_RE.finditer(text, start, end)]
    out: dict[str, list[tuple[int, int]]] = {}
    for g, ps in points.items():
        merged: list[list[int]] = []
        for p in sorted(ps):
            lo, hi = max(start, p - _BEFORE), min(end, p + _AFTER)
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        # Extend each window to word boundaries so a match is never cut mid-word.
        wins = []
        for lo, hi in merged:
            while lo > start and not text[lo - 1].isspace():
                lo -= 1
            while hi < end and not text[hi].isspace():
                hi += 1
            wins.append((lo, hi))
        out[g] = wins
    return out


def _key(s: str) -> str:
    return re.sub(r"\s+", " ", s)


def _year_for(month: int, day: int, published: date) -> date | None:
    """The date with the publication year, or the year before if that is after publication."""
    for y in (published.year, published.year - 1):
        try:
            d = date(y, month, day)
        except ValueError:
            continue
        if d <= published + timedelta(days=1):
            return d
    return None


def latest_weekday(weekday: int, published: date) -> date:
    """The latest ``weekday`` (Monday = 0) on or before ``published``."""
    return published - timedelta(days=(published.weekday() - weekday) % 7)


def _shift_month(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


def find_dates(text: str, published: date, start: int = 0, end: int | None = None) -> list[DateMention]:
    """Date expressions in folded ``text[start:end]``, resolved, in text order.

    Adjacent expressions that name the same day ("أمس السبت 13 تشرين الثاني") are joined
    into one mention carrying the most precise reading.
    """
    P = _patterns()
    end = len(text) if end is None else end
    found: list[DateMention] = []
    windows = _windows(text, start, end)

    def _iter(name: str):
        """Matches of pattern ``name``, searched only around its anchor words (speed)."""
        rx = P[name]
        seen = set()
        for lo, hi in windows.get(_ANCHOR_OF[name], ()):
            for m in rx.finditer(text, lo, hi):
                if m.span() not in seen:
                    seen.add(m.span())
                    yield m

    def add(m, d, precision, kind):
        found.append(DateMention(m.start(), m.end(), d, precision, kind))

    for m in _iter("hijri"):
        try:
            from hijridate import Hijri

            g = Hijri(int(m["Y"]), P["hijri_of"][_key(m["HM"])], int(m["D"])).to_gregorian()
            add(m, date(g.year, g.month, g.day), 1, "hijri")
        except (ValueError, KeyError, OverflowError):
            pass
    for rx in ("dm", "md"):
        for m in _iter(rx):
            month = P["month_of"].get(_key(m["M"]))
            dd = int(m["D"])
            if not month or not 1 <= dd <= 31:
                continue
            if m["Y"]:
                try:
                    d = date(int(m["Y"]), month, dd)
                except ValueError:
                    continue
            else:
                d = _year_for(month, dd, published)
                if d is None:
                    continue
            add(m, d, 1, "explicit")
    for m in _iter("dcur"):
        base = published if m["W"] in ("الجاري", "الحالي") else _shift_month(published, -1)
        try:
            d = base.replace(day=int(m["D"]))
        except ValueError:
            continue
        if d <= published:
            add(m, d, 1, "explicit")
    for rx in ("iso", "dmy"):
        for m in _iter(rx):
            try:
                add(m, date(int(m["Y"]), int(m["M"]), int(m["D"])), 1, "numeric")
            except ValueError:
                pass
    for m in _iter("my"):
        month = P["month_of"].get(_key(m["M"]))
        if not month:
            continue
        if m["Y"]:
            d = date(int(m["Y"]), month, 1)
        else:  # "حزيران الماضي": the last such month before publication
            y = published.year if month < published.month else published.year - 1
            d = date(y, month, 1)
        add(m, d, 3, "month")
    for m in _iter("weekday"):
        wd = P["weekday_of"].get(_key(m["W"]))
        if wd is None:
            continue
        d = latest_weekday(wd, published)
        lead = m["LEAD"] or ""
        # "ليلة الجمعة" in Arabic is the night before Friday only in some usages; the
        # annotation (and ACLED practice) codes the day the text names.
        if re.search(r"امس", lead) and (published - timedelta(days=1)).weekday() == wd:
            d = published - timedelta(days=1)
        add(m, d, 1, "weekday")
    for m in _iter("rel"):
        off = P["relative"].get(_key(m["R"]))
        if off is None:
            continue
        add(m, published + timedelta(days=off), 1, "relative")
    for m in _iter("ago"):
        unit = m["U"] or m["U2"] or ""
        word = m["N"] or m["N2"]
        if word:
            n = parse_number_word(word)
        elif unit in ("يومين", "اسبوعين"):
            n = 2
        else:
            n = 1
        if n is None:
            continue
        if unit in ("يومين", "اسبوعين"):
            n = 2 if not word else n
        weeks = unit.startswith("week") or unit.startswith("اسبوع") or unit == "اسابيع"
        days = n * 7 if weeks else n
        add(m, published - timedelta(days=days), 2 if weeks else 1, "ago")
    for m in _iter("vag"):
        g = P["vague"].get(_key(m["V"]))
        if g is None:
            continue
        if "days" in g:
            d = published + timedelta(days=int(g["days"]))
        elif "month_offset" in g:
            d = _shift_month(published, int(g["month_offset"])).replace(day=int(g.get("day", 1)))
        else:
            d = date(published.year + int(g.get("year_offset", 0)), int(g["year_month"]), int(g.get("day", 1)))
        add(m, d, int(g["precision"]), "vague")
    for m in _iter("yr"):
        add(m, date(int(m["Y"]), 1, 1), 4, "year")
    return _join(text, _dedupe(found))


_RANK = {"hijri": 0, "explicit": 0, "numeric": 0, "weekday": 2, "relative": 3, "ago": 3, "month": 4, "vague": 5, "year": 6}


def _dedupe(found: list[DateMention]) -> list[DateMention]:
    """Drop mentions inside a longer or more precise overlapping one."""
    found.sort(key=lambda m: (_RANK[m.kind], -(m.end - m.start)))
    out: list[DateMention] = []
    # The kept spans never overlap one another, so sorted by start their ends are sorted
    # too, and a new span overlaps one of them iff it overlaps the last one starting before
    # its end: a bisection instead of a scan (a text with thousands of dates took seconds).
    kept: list[tuple[int, int]] = []  # (start, end) of ``out``, sorted
    ends: list[int] = []
    for m in found:
        k = bisect.bisect_left(kept, (m.end, -1))  # the kept spans that start before m ends
        if k and ends[k - 1] > m.start:
            continue
        kept.insert(k, (m.start, m.end))
        ends.insert(k, m.end)
        out.append(m)
    out.sort(key=lambda m: m.start)
    return out


_GAP_RE = re.compile(r"^[\s,،()\-]*(?:يوم\s*)?$")


def _join(text: str, found: list[DateMention]) -> list[DateMention]:
    """Join a relative/weekday mention with an adjacent one naming the same day."""
    out: list[DateMention] = []
    for m in found:
        if out and _GAP_RE.match(text[out[-1].end:m.start]):
            prev = out[-1]
            kinds = {prev.kind, m.kind}
            if kinds & {"weekday", "relative"} and prev.precision == 1 and m.precision == 1:
                best = min((prev, m), key=lambda x: _RANK[x.kind])
                other = m if best is prev else prev
                d = best.date
                # An explicit date without a year is checked against the weekday.
                if best.kind == "explicit" and other.kind == "weekday" and d and other.date and d.weekday() != other.date.weekday():
                    for y in (d.year - 1, d.year + 1):
                        try:
                            alt = d.replace(year=y)
                        except ValueError:
                            continue
                        if alt.weekday() == other.date.weekday():
                            d = alt
                            break
                out[-1] = DateMention(prev.start, m.end, d, 1, best.kind)
                continue
        out.append(m)
    return out
