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
import re
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
        self.entries = [(str(t), p) for t, p in entries]  # kept for MultiMatcher
        count = 0
        for term, payload in self.entries:
            star = term.endswith("*")
            key = fold(term.rstrip("*")).strip()
            if not key:
                continue
            # Keep the first payload registered for a key (lexicon order is priority order).
            if key in self._auto:
                existing = self._auto.get(key)
                if len(existing) == 3 and existing[1] == star:
                    continue
            self._auto.add_word(key, (key, star, payload))
            count += 1
            # "للقوات" is ل + القوات with the alef of the article dropped.
            if allow_prefix and key.startswith("ال") and len(key) > 3:
                lam = "ل" + key[2:]
                if lam not in self._auto:
                    self._auto.add_word(lam, (key, star, payload, "lam"))
        if count:
            self._auto.make_automaton()
        self.size = count

    def find(self, text: str, start: int = 0, end: int | None = None) -> list[Hit]:
        if not self.size:
            return []
        end = len(text) if end is None else end
        hits: list[Hit] = []
        for last, value in self._auto.iter(text, start, end):
            key, star, payload = value[0], value[1], value[2]
            got = _accept(text, last, key, star, len(value) > 3, self._allow_prefix)
            if got is not None:
                hits.append(Hit(got[0], got[1], key, payload, got[2]))
        return _longest(hits)


def _accept(text: str, last: int, key: str, star: bool, lam: bool, allow_prefix: bool) -> tuple[int, int, str] | None:
    """(start, end, clitic prefix) of a whole-word match ending at ``last``, or None."""
    klen = len(key) - 1 if lam else len(key)
    s = last - klen + 1
    e = last + 1
    n = len(text)
    # Right boundary.
    if e < n and text[e].isalnum() and key[-1].isalnum():
        if not (star and is_arabic(key[-1])):
            return None
        while e < n and text[e].isalnum():
            e += 1
    # Left boundary, allowing Arabic clitics.
    p = s
    while p > 0 and text[p - 1].isalnum():
        p -= 1
    prefix = text[p:s]
    if lam:
        if prefix not in ("ل", "ول", "فل"):
            return None
    elif prefix:
        if not (allow_prefix and is_arabic(key[0])):
            return None
        allowed = _ARTICLE_PREFIXES if key.startswith("ال") else ARABIC_PREFIXES
        if prefix not in allowed:
            return None
    return s, e, prefix


_SEP_RE = re.compile(r"[\W_]")
_SEP_NOT_SPACE_RE = re.compile(r"[^\w ]")  # _SEP_RE without the space and "_" (far fewer matches)


def _match_key(key: str, star: bool) -> tuple[str, int]:
    """The automaton key for ``key`` on a spaced text, and how many characters it adds."""
    mk = _SEP_RE.sub(" ", key)
    if star or mk.endswith(" "):
        return mk, 0
    return mk + " ", 1


class MultiMatcher:
    """Several lexicons in one automaton: one pass over a text finds the hits of every
    group (each group then resolved longest-first on its own, as ``Matcher`` does)."""

    def __init__(self, groups: dict[str, Iterable[tuple[str, Any]]]):
        self._auto = ahocorasick.Automaton()
        table: dict[str, list] = {}
        seen: set = set()
        for group, entries in groups.items():
            for term, payload in entries:
                term = str(term)
                star = term.endswith("*")
                key = fold(term.rstrip("*")).strip()
                if not key or (group, key, star) in seen:
                    continue
                seen.add((group, key, star))
                mk, pad = _match_key(key, star)
                table.setdefault(mk, []).append((group, key, star, payload, False, pad))
                if key.startswith("ال") and len(key) > 3:
                    lam = "ل" + key[2:]
                    if (group, lam, "lam") not in seen:
                        seen.add((group, lam, "lam"))
                        mk, pad = _match_key(lam, star)
                        table.setdefault(mk, []).append((group, key, star, payload, True, pad))
        for k, v in table.items():
            self._auto.add_word(k, tuple(v))
        if table:
            self._auto.make_automaton()
        self.groups = tuple(groups)
        self._empty = not table

    def find_all(self, text: str) -> dict[str, list[Hit]]:
        out: dict[str, list[Hit]] = {g: [] for g in self.groups}
        if self._empty:
            return out
        # Matched on a copy where every non-letter is a space, with keys that end in a space:
        # a key then only matches at the end of a word (far fewer hits to check).
        spaced = _SEP_NOT_SPACE_RE.sub(" ", text.replace("_", " ")) + " "  # = _SEP_RE.sub(" ", text) + " "
        for last, values in self._auto.iter(spaced):
            for group, key, star, payload, lam, pad in values:
                if pad and not lam:
                    # A key matched with its trailing space ends at a word end; with no
                    # letter glued before it, it is a whole word (``_accept``'s common case).
                    s = last - pad - len(key) + 1
                    if s == 0 or not text[s - 1].isalnum():
                        out[group].append(Hit(s, last - pad + 1, key, payload, ""))
                        continue
                got = _accept(text, last - pad, key, star, lam, True)
                if got is not None:
                    out[group].append(Hit(got[0], got[1], key, payload, got[2]))
        return {g: _longest(h) for g, h in out.items()}


def _longest(hits: list[Hit]) -> list[Hit]:
    """Non-overlapping hits, the longest of each overlapping group kept."""
    if len(hits) < 2:
        return hits
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    out: list[Hit] = []
    for h in hits:
        while out and h.start < out[-1].end:
            last = out[-1]
            if (h.end - h.start) > (last.end - last.start):
                out.pop()  # h is longer: it replaces the shorter overlapping hit
                continue
            break  # h is not longer than the hit it overlaps: drop h
        else:
            out.append(h)
    return out
