"""Load the lexicons in ``lexicons/`` and find their terms in folded text.

A lexicon is a list of (term, payload). Terms are folded (see ``folding``) and matched
with Aho-Corasick on whole words:
- an Arabic term may carry the attached clitics و ف ب ل ك and the article ال
  (وال، بال، لل...), unless the entry says ``prefix: false``;
- an Arabic term ending in ``*`` also matches any longer word that starts with it
  (pronoun suffixes, plurals); other terms must end at a word boundary;
- a Latin-script term matches whole words only (case is folded).
Overlapping matches are resolved longest first.
"""
from __future__ import annotations

import functools
import pathlib
from dataclasses import dataclass
from typing import Any, Iterable

import ahocorasick
import yaml

from .folding import fold

LEXICON_DIR = pathlib.Path(__file__).with_name("lexicons")

# Clitics that may be glued to the front of an Arabic word: conjunction, preposition, article.
ARABIC_PREFIXES = frozenset(
    {
        "", "و", "ف", "ب", "ل", "ك", "ال", "وال", "فال", "بال", "كال", "لل", "ولل", "فلل",
        "وب", "فب", "ول", "فل", "وك", "فك", "وبال", "فبال", "وكال", "س", "وس", "فس",
    }
)
# Prefixes allowed before a term that already starts with the article ال.
_ARTICLE_PREFIXES = frozenset({"", "و", "ف", "ب", "ك", "وب", "فب", "وك", "فك"})


def is_arabic(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\ufb50" <= ch <= "\ufefc"


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


@functools.lru_cache(maxsize=None)
def load_yaml(name: str) -> Any:
    with open(LEXICON_DIR / name, encoding="utf-8") as f:
        return yaml.safe_load(f)


@dataclass(slots=True)
class Hit:
    start: int  # folded offsets, clitic prefix excluded
    end: int
    term: str
    payload: Any
    prefix: str = ""


class Matcher:
    """Whole-word Aho-Corasick matcher for folded text."""

    def __init__(self, entries: Iterable[tuple[str, Any]], *, allow_prefix: bool = True):
        self._auto = ahocorasick.Automaton()
        self._allow_prefix = allow_prefix
        count = 0
        for term, payload in entries:
            star = term.endswith("*")
            key = fold(term.rstrip("*")).strip()
            if not key:
                continue
            # Keep the first payload registered for a key (lexicon order is priority order).
            if key in self._auto:
                existing = self._auto.get(key)
                if existing[1] == star:
                    continue
            self._auto.add_word(key, (key, star, payload))
            count += 1
        if count:
            self._auto.make_automaton()
        self.size = count

    def find(self, text: str, start: int = 0, end: int | None = None) -> list[Hit]:
        if not self.size:
            return []
        end = len(text) if end is None else end
        hits: list[Hit] = []
        for last, (key, star, payload) in self._auto.iter(text, start, end):
            s = last - len(key) + 1
            e = last + 1
            # Right boundary.
            if e < len(text) and _is_word_char(text[e]) and _is_word_char(key[-1]):
                if not (star and is_arabic(key[-1])):
                    continue
                if star:
                    while e < len(text) and _is_word_char(text[e]):
                        e += 1
            # Left boundary, allowing Arabic clitics.
            p = s
            while p > 0 and _is_word_char(text[p - 1]):
                p -= 1
            prefix = text[p:s]
            if prefix:
                if not (self._allow_prefix and is_arabic(key[0])):
                    continue
                allowed = _ARTICLE_PREFIXES if key.startswith("ال") else ARABIC_PREFIXES
                if prefix not in allowed:
                    continue
            hits.append(Hit(s, e, key, payload, prefix))
        return _longest(hits)


def _longest(hits: list[Hit]) -> list[Hit]:
    if len(hits) < 2:
        return hits
    hits.sort(key=lambda h: (h.start - len(h.prefix), -(h.end - h.start)))
    out: list[Hit] = []
    for h in sorted(hits, key=lambda h: (-(h.end - h.start), h.start)):
        if any(h.start < o.end and o.start < h.end for o in out):
            continue
        out.append(h)
    out.sort(key=lambda h: h.start)
    return out
