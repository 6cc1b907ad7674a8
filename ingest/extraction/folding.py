"""Fold article text for matching, keeping a map back to the original offsets.

Matching runs on a *folded* copy of the text:
- Arabic diacritics, tatweel (ـ) and zero-width marks are removed;
- أ إ آ ٱ are written ا, ى is written ي, ة is written ه, Persian ی ک are written ي ك;
- Arabic-Indic and Persian digits become ASCII digits;
- Latin letters are lower-cased, typographic quotes and dashes become ASCII ones.

Every replacement is one character for one character, so only the removals shift
offsets; ``Folded.orig(i)`` maps a folded offset back into the original string. Lexicon
terms are folded the same way, so a researcher writes them in their ordinary spelling.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

_REMOVE = "\u0640\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0653\u0654\u0655\u0670\u200b\u200c\u200d\u200e\u200f\u061c\ufeff\u00ad"
_REMOVE_RE = re.compile("[" + _REMOVE + "]")

_MAP_FROM = "أإآٱىةیکٮ" + "٠١٢٣٤٥٦٧٨٩" + "۰۱۲۳۴۵۶۷۸۹" + "’‘‛`“”„«»–—−‐‑" + "\u00a0\u202f"
_MAP_TO = "اااايهيكب" + "0123456789" + "0123456789" + "''''\"\"\"\"\"" + "-----" + "  "
_TABLE = str.maketrans(_MAP_FROM, _MAP_TO)
# Lower-case ASCII letters one for one (str.lower() may change the length of some letters).
_TABLE.update({ord(c): ord(c.lower()) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
# Latin letters with accents that appear in transliterated names.
_TABLE.update({ord(a): ord(b) for a, b in zip("ÀÁÂÄàáâäÈÉÊËèéêëÎÏîïÔÖôöÛÜûüÇç", "aaaaaaaaeeeeeeeeiiiioooouuuucc")})


def fold(text: str) -> str:
    """The folded form of ``text`` (used for lexicon terms and keys)."""
    return _REMOVE_RE.sub("", text).translate(_TABLE)


@dataclass(slots=True)
class Folded:
    """A folded copy of a text with the map back to the original offsets."""

    original: str
    text: str
    _shift_at: list[int]  # folded positions at which one more removed character lies before
    _removed: list[int]  # original positions of the removed characters

    @classmethod
    def of(cls, original: str) -> "Folded":
        removed = [m.start() for m in _REMOVE_RE.finditer(original)]
        if removed:
            stripped = _REMOVE_RE.sub("", original)
            # The i-th removed character sits before folded position removed[i] - i.
            shift_at = [pos - i for i, pos in enumerate(removed)]
        else:
            stripped = original
            shift_at = []
        return cls(original, stripped.translate(_TABLE), shift_at, removed)

    def orig(self, i: int) -> int:
        """Original offset of folded offset ``i`` (for a start offset)."""
        if not self._shift_at:
            return i
        return i + bisect_right(self._shift_at, i)

    def orig_end(self, i: int) -> int:
        """Original offset just after folded character ``i - 1`` (for an end offset)."""
        if i <= 0:
            return 0
        return self.orig(i - 1) + 1

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.orig(start), self.orig_end(end)

    def folded_offset(self, orig: int) -> int:
        """Folded offset of an original offset (the first folded char at or after it)."""
        if not self._removed:
            return orig
        # Every removed character before ``orig`` shifts it one to the left.
        return orig - bisect_left(self._removed, orig)
