"""Split article text into sentences and clauses, keeping offsets.

A sentence ends at . ! ? ؟ followed by space (not after an abbreviation, an initial or a
number like "1.5"), at a line break, or at a paragraph break. Clauses are the pieces of a
sentence between commas, Arabic commas and semicolons.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_ABBREV = frozenset(
    "mr mrs ms dr st gen col lt maj capt sgt cpl pvt adm brig sen rep gov pres jan feb mar apr jun jul aug sep sept "
    "oct nov dec no vs etc inc co corp ltd jr sr u.s u.k u.n a.m p.m e.g i.e mt ft km".split()
)
# A match starts where a run of . ! ? ؟ starts ((?<!...)): otherwise every position of a long
# run ("......" with no space after it) would rescan the rest of the run, in quadratic time.
# Written to start with one character class (the regex engine then skips to candidate
# characters quickly); the same matches as ``(?<![.!?؟])[.!?؟]+["'”’»)\]]*(?=\s)|\n+``.
_END_RE = re.compile(r"[\n.!?؟](?:(?<=\n)\n*|(?<=[.!?؟])(?<![.!?؟][.!?؟])[.!?؟]*[\"'”’»)\]]*(?=\s))")
_CLAUSE_RE = re.compile(r"[,،;؛]|\s[-–—]\s")


@dataclass(slots=True)
class Span:
    start: int
    end: int


def split_sentences(text: str) -> list[Span]:
    out: list[Span] = []
    start = 0
    for m in _END_RE.finditer(text):
        if m.group().startswith(".") and not m.group().startswith("\n"):
            # Abbreviations and initials: "U.S. forces", "Aug. 6", "p.m. local".
            j = m.start()
            k = j
            while k > start and (text[k - 1].isalpha() or text[k - 1] == "."):
                k -= 1
            word = text[k:j].lower()
            if word in _ABBREV or (len(word) == 1 and word.isalpha()):
                continue
            nxt = text[m.end():m.end() + 2].lstrip()
            if nxt[:1].islower():
                continue
        end = m.end() if not m.group().startswith("\n") else m.start()
        if text[start:end].strip():
            out.append(_trim(text, start, end))
        start = m.end()
    if text[start:].strip():
        out.append(_trim(text, start, len(text)))
    return out


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


def clause_bounds(text: str, start: int, end: int) -> list[Span]:
    """Clauses of ``text[start:end]`` (works on original or folded text alike)."""
    out: list[Span] = []
    s = start
    for m in _CLAUSE_RE.finditer(text, start, end):
        # Keep thousands separators ("1,593") inside a clause.
        if m.group() == "," and 0 < m.start() and text[m.start() - 1].isdigit() and text[m.end():m.end() + 1].isdigit():
            continue
        out.append(Span(s, m.start()))
        s = m.end()
    out.append(Span(s, end))
    return [c for c in out if c.end > c.start]


def paragraph_index(text: str, sentences: list[Span]) -> list[int]:
    """The paragraph number of each sentence (paragraphs are separated by blank lines)."""
    out = []
    para = 0
    last_end = 0
    for s in sentences:
        if "\n\n" in text[last_end:s.start] or ("\n" in text[last_end:s.start] and last_end):
            para += 1
        out.append(para)
        last_end = s.end
    return out
