"""Fatalities and injured from a sentence.

A casualty word (``lexicons/casualties.yaml``) takes the nearest exact number within a few
words after it ("killing two soldiers", "مقتل 8 عناصر"), else before it ("Four soldiers
were killed", "13 عنصراً ... قُتلوا"); a counted noun is its own number ("قتيلان" = 2);
"no casualties" / "دون وقوع إصابات" gives 0. Numbers that are times, years or ages are
skipped; words like "dozens" / "عشرات" give no number.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .lexicon import Matcher, load_yaml
from .numbers import Number, find_numbers


@dataclass(slots=True)
class Count:
    value: int
    start: int  # folded span of the evidence
    end: int


@functools.lru_cache(maxsize=1)
def _matchers():
    data = load_yaml("casualties.yaml")
    words = [(t, "killed") for lang in ("ar", "en") for t in data["killed"][lang]]
    words += [(t, "injured") for lang in ("ar", "en") for t in data["injured"][lang]]
    none = [(t, "none") for lang in ("ar", "en") for t in data["none"][lang]]
    return Matcher(words), Matcher(none)


@functools.lru_cache(maxsize=1)
def _person_stems() -> tuple[str, ...]:
    from .folding import fold

    return tuple(fold(w) for w in load_yaml("casualties.yaml").get("person_nouns", {}).get("ar", []))


_NOUN_KIND = {"قتيل": "killed", "شهيد": "killed", "جريح": "injured", "مصاب": "injured", "جثت": "killed"}
_WORD_RE = re.compile(r"\S+")
# A number does not count casualties across a comma or a conjunction ("killed, and five wounded").
_BREAK_RE = re.compile(r"[,،;؛.]|\band\b|(?<!\S)و(?=\S)|\bwhile\b|\bفيما\b")


def _usable(text: str, n: Number) -> bool:
    if n.value is None:
        return False
    if n.kind == "digits":
        before = text[max(0, n.start - 1):n.start]
        after = text[n.end:n.end + 4]
        if before in (":", "(") or after.startswith(":") or after.startswith(")") or after.startswith(" pm") or after.startswith(" am"):
            return False
        if 1900 <= n.value <= 2100 or n.value > 100000:
            return False
        if re.match(r"\s*(?:km|كم|كيلو|م\b|meters|metres|kilomet|%|ساعه|hours|days|ايام|years|عام)", after):
            return False
    return True


def _words_between(text: str, a: int, b: int) -> int:
    return len(_WORD_RE.findall(text[a:b]))


class TextCasualties:
    """Casualty words, no-casualty phrases and numbers of a whole text, found once;
    ``in_span(start, end, exclude)`` then answers as ``find_casualties`` does."""

    def __init__(self, text: str, hits: dict | None = None):
        words, none = _matchers()
        self.text = text
        if hits is not None:  # precomputed by a MultiMatcher pass
            self.words, self.none = hits["cas_words"], hits["cas_none"]
            self.numbers = find_numbers(text, hits=(hits["num_words"], hits["num_nouns"]))
        else:
            self.words, self.none = words.find(text), none.find(text)
            self.numbers = find_numbers(text)

    def in_span(self, start: int, end: int, exclude=()) -> tuple[Count | None, Count | None]:
        def inside(items):
            return [x for x in items if x.start >= start and x.end <= end]

        return _casualties(self.text, inside(self.words), inside(self.none), inside(self.numbers), exclude)


def find_casualties(text: str, start: int, end: int, exclude: list[tuple[int, int]] = ()) -> tuple[Count | None, Count | None]:
    """(fatalities, injured) reported in folded ``text[start:end]``; numbers inside the
    ``exclude`` spans (dates) are not counts."""
    words, none = _matchers()
    return _casualties(text, words.find(text, start, end), none.find(text, start, end), find_numbers(text, start, end), exclude)


def _casualties(text, word_hits, none_hits, all_numbers, exclude) -> tuple[Count | None, Count | None]:
    killed = injured = None
    none_spans = []
    for h in none_hits:
        killed = killed or Count(0, h.start, h.end)
        injured = injured or Count(0, h.start, h.end)
        none_spans.append((h.start, h.end))
    numbers = [
        n for n in all_numbers
        if _usable(text, n) and not any(s <= n.start and n.end <= e for s, e in list(exclude) + none_spans)
    ]
    for n in numbers:
        if n.kind == "noun":
            kind = next((k for stem, k in _NOUN_KIND.items() if n.noun.startswith(stem)), None)
            if kind == "killed" and (killed is None or killed.value == 0):
                killed = Count(n.value, n.start, n.end)
            elif kind == "injured" and (injured is None or injured.value == 0):
                injured = Count(n.value, n.start, n.end)
    persons = _person_stems()
    used: set[int] = set()
    plain = [n for n in numbers if n.kind != "noun" or (n.noun and n.noun.startswith(persons))]
    for h in word_hits:
        if any(s <= h.start < e for s, e in none_spans):
            continue
        kind = h.payload
        current = killed if kind == "killed" else injured
        if current is not None and current.value:
            continue
        best = None
        for n in plain:
            if n.start in used:
                continue
            if n.start >= h.end and _words_between(text, h.end, n.start) <= 3 and not _BREAK_RE.search(text, h.end, n.start):
                best = n
                break
        if best is None:
            for n in reversed(plain):
                if n.start in used:
                    continue
                if n.end <= h.start and _words_between(text, n.end, h.start) <= 4 and not _BREAK_RE.search(text, n.end, h.start):
                    best = n
                    break
        if best is None:
            continue
        used.add(best.start)  # one number counts one kind: "استشهد طفل وأصيب آخرون" is 1 killed, not 1 injured too
        count = Count(best.value, min(best.start, h.start), max(best.end, h.end))
        if kind == "killed":
            killed = count
        else:
            injured = count
    return killed, injured
