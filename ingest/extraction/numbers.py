"""Numbers in text: ASCII, Arabic-Indic and Persian digits, number words in Arabic and
English, and Arabic singular/dual nouns that are themselves a count ("قتيلان" = 2).

All functions work on *folded* text (see ``folding``), where every digit is ASCII.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .folding import fold
from .lexicon import Matcher, load_yaml

# Equivalent to ``(?<![\d.,:/])(\d{1,3}(?:,\d{3})+|\d+)(?![\d:/]|[.,]\d)``, written to start with
# a digit (the regex engine then skips to digits quickly instead of trying every position).
_DIGITS_RE = re.compile(r"(\d(?<![\d.,:/]\d)(?:\d{0,2}(?:,\d{3})+|\d*))(?![\d:/]|[.,]\d)")


@dataclass(slots=True)
class Number:
    start: int
    end: int
    value: int | None  # None for words that give no exact number ("dozens", "عشرات")
    kind: str  # "digits", "word", "noun", "approximate"
    noun: str = ""  # for counted nouns, the noun itself ("قتيل")


@functools.lru_cache(maxsize=1)
def _matchers() -> tuple[Matcher, Matcher]:
    data = load_yaml("numbers.yaml")
    words = []
    for lang in ("ar", "en"):
        for value, terms in data[lang].items():
            words += [(t, int(value)) for t in terms]
    for t in data["approximate"]["ar"] + data["approximate"]["en"]:
        words.append((t, None))
    nouns = [(t, int(v)) for v, terms in data["counted_nouns"].items() for t in terms]
    return Matcher(words), Matcher(nouns)


def parse_number_word(word: str) -> int | None:
    """The value of a single number word or digit string, or None."""
    w = fold(word).strip()
    if w.replace(",", "").isdigit():
        return int(w.replace(",", ""))
    for hit in _matchers()[0].find(w):
        if hit.start == 0 and hit.end == len(w):
            return hit.payload
    return None


def find_numbers(text: str, start: int = 0, end: int | None = None, hits=None) -> list[Number]:
    """All numbers in folded ``text[start:end]``, in text order (``hits``: the number-word
    and counted-noun hits of a whole-text pass, if already found)."""
    end = len(text) if end is None else end
    out: list[Number] = []
    for m in _DIGITS_RE.finditer(text, start, end):
        out.append(Number(m.start(), m.end(), int(m.group(1).replace(",", "")), "digits"))
    words, nouns = _matchers()
    word_hits, noun_hits = hits if hits is not None else (words.find(text, start, end), nouns.find(text, start, end))
    taken = [(n.start, n.end) for n in out]
    for hit in word_hits:
        if any(hit.start < e and s < hit.end for s, e in taken):
            continue
        kind = "approximate" if hit.payload is None else "word"
        # "twenty-one", "واحد وعشرين": add a following unit/ten.
        out.append(Number(hit.start, hit.end, hit.payload, kind))
    for hit in noun_hits:
        if any(hit.start < e and s < hit.end for s, e in taken):
            continue
        out.append(Number(hit.start, hit.end, hit.payload, "noun", hit.term))
    out.sort(key=lambda n: n.start)
    return _combine(text, out)


_JOIN_RE = re.compile(r"^(?:\s*-\s*|\s+و|\s+and\s+|\s+)$")


def _combine(text: str, numbers: list[Number]) -> list[Number]:
    """Join compound number words: "twenty-one", "خمسة وعشرون", "three hundred"."""
    out: list[Number] = []
    for n in numbers:
        if out and n.kind == "word" and out[-1].kind == "word" and out[-1].value is not None and n.value is not None:
            prev = out[-1]
            between = text[prev.end:n.start]
            if _JOIN_RE.match(between):
                if n.value in (100, 1000) and prev.value < 100:
                    out[-1] = Number(prev.start, n.end, prev.value * n.value, "word")
                    continue
                if prev.value >= 20 and prev.value % 10 == 0 and n.value < 10:
                    out[-1] = Number(prev.start, n.end, prev.value + n.value, "word")
                    continue
                if prev.value < 10 and n.value >= 20 and n.value % 10 == 0:
                    out[-1] = Number(prev.start, n.end, prev.value + n.value, "word")
                    continue
        out.append(n)
    return out
