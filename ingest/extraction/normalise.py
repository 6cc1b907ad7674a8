"""Normalised keys for matching names in Arabic and Latin script, with a way back to the text.

Place names are written many ways: with or without diacritics and tatweel, with أ/ا/إ, ة/ه,
ى/ي, Persian ی/ک, attached clitics (وبالميادين), Arabic-Indic digits; in Latin script with
accents, any case, and the article as al-/el-/ash-/ad-/as-/az-... ("Deir ez-Zor", "Dayr az
Zawr"). Matching compares *keys*: the text and every gazetteer name are reduced the same way,
so one automaton pass finds them.

``normalise(text)`` returns the key string of a whole text together with the offsets of its
tokens in the original, so a match found in the key string maps back to exact original
offsets (evidence spans must point at the text the user sees).

Rules, in order:
- the text is cut into word tokens; spaces, hyphens, quotes, slashes, parentheses and #
  separate tokens (one space in the key), line breaks and other punctuation (. , ، ؛ :
  ...) are a *hard* break written as
  ``|`` so that a multi-word name never matches across it;
- each token is mapped character by character (``_TABLE``): diacritics, tatweel, Latin
  combining accents and apostrophes/ayn signs removed, Latin case folded, alef forms to ا,
  ى and Persian ی to ي, ة to ه, Persian ک to ك, Arabic-Indic and Persian digits to ASCII;
- Latin words are written in one canonical spelling (``latin_spellings.csv``: Tell/Tall/Tel
  -> tal, Dayr -> deir, Jebel -> jabal), ee as i, ou/oo as u, doubled letters once
  (Rifaat = Rifat, Makhmour = Makhmur);
- Latin article tokens (al, el, ad, ash, az, ez...) become ``al`` when they are used as an
  article: joined by a hyphen to the next word, or written ``al``/``el``, or before a
  capitalised word when they are capitalised themselves or follow one ("Ar Raqqah",
  "Dayr az Zawr"). English "as", "at", "an" in ordinary lowercase prose are left alone.
Arabic clitics are not stripped from the text (that would break names like بغداد); the
gazetteer accepts a match that starts after a valid clitic prefix instead
(``valid_prefix``).
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from itertools import accumulate
from dataclasses import dataclass
from pathlib import Path

HARD_BREAK = "|"

# Arabic and Persian letter forms -> the key's letter ("" = removed).
_ARABIC = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ى": "ي", "ی": "ي", "ې": "ي", "ۍ": "ي", "ے": "ي", "ئ": "ي",
    "ؤ": "و",
    "ة": "ه", "ۀ": "ه", "ە": "ه", "ھ": "ه", "ہ": "ه",
    "ک": "ك", "ڪ": "ك", "گ": "ك",
    "ـ": "",  # tatweel
}
# Removed wherever they appear: Arabic diacritics and Quranic marks, apostrophes and ayn /
# hamza signs used in Latin transliteration, zero-width characters.
_REMOVED = (
    [chr(c) for c in range(0x0610, 0x061B)]
    + [chr(c) for c in range(0x064B, 0x0660)]
    + ["\u0670"]
    + [chr(c) for c in range(0x06D6, 0x06EE)]
    + ["'", "’", "‘", "`", "´", "ʿ", "ʾ", "ʼ", "ʻ", "ʹ", "′", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u00ad"]
)
_DIGITS = {chr(0x0660 + i): str(i) for i in range(10)} | {chr(0x06F0 + i): str(i) for i in range(10)}
_LATIN_SPECIAL = {"ı": "i", "İ": "i", "ß": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d",
                  "ł": "l", "Ł": "l", "ŀ": "l", "œ": "oe", "Œ": "oe", "þ": "th", "ð": "d", "ħ": "h", "Ħ": "h"}


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for ch, repl in (_ARABIC | _DIGITS | _LATIN_SPECIAL).items():
        table[ord(ch)] = repl
    for ch in _REMOVED:
        table[ord(ch)] = ""
    # Latin letters with accents: decompose, drop the marks, fold case.
    for code in list(range(0x41, 0x5B)) + list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(code)
        if ord(ch) in table:
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).casefold()
        if base != ch:
            table[code] = base
    for code in range(0x0300, 0x0370):  # free combining marks
        table[code] = ""
    return table


_TABLE = _build_table()

# A token: letters, digits and marks, with inner apostrophes (Ma'rib) but not the English
# possessive ("Iraq's" -> "Iraq" + "s").
_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u00ad\u200c\u200d"
_APOS = "'’‘`´ʼ"
TOKEN_RE = re.compile(rf"(?:[^\W_]|[{_MARKS}]|[{_APOS}](?![sS]\b)(?=[^\W_]))+")
# Separators that keep a multi-word name together; anything else is a hard break.
_SOFT_SEPARATOR_RE = re.compile(r"[ \t\u00a0\-‐‑‒–—_/()\"'«»“”„‘’`´ʼ#\u200c\u200d\u200e\u200f]*")

LATIN_ARTICLES = frozenset(
    "al el ul il ad ed ud ar er ur as es us ash esh ush at et ut az ez uz an en un ath adh ed dh".split()
)
_FREE_ARTICLES = frozenset({"al", "el"})

_ARABIC_LETTER_RE = re.compile(r"[\u0600-\u06ff]")


def fold(token: str) -> str:
    """The character-level key of one token (no article handling)."""
    return token.translate(_TABLE).lower()


_SPELLINGS_CSV = Path(__file__).resolve().parents[2] / "data" / "gazetteer" / "latin_spellings.csv"
_DOUBLED_RE = re.compile(r"([a-z])\1+")


def _read_spellings(path: Path = _SPELLINGS_CSV) -> dict[str, str]:
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        rows = [line.strip().split(",") for line in fh if line.strip() and not line.startswith("#")]
    return {fold(v): fold(c) for v, c, *_ in rows[1:] if v and c}


LATIN_SPELLINGS = _read_spellings()


def latin_word(k: str) -> str:
    """A folded Latin word in its canonical spelling: "Tall"/"Tell" -> "tal", "Rifaat" -> "rifat".

    English and French transliterations write one Arabic vowel several ways: ee = i
    (Tishreen, Tishrin), ou / oo = u (Makhmour, Makhmur); doubled letters are written once.
    """
    if not k.isascii():
        return k
    k = _DOUBLED_RE.sub(r"\1", k.replace("ee", "i").replace("oo", "u").replace("ou", "u"))
    return LATIN_SPELLINGS.get(k, k)


def is_arabic(s: str) -> bool:
    return bool(_ARABIC_LETTER_RE.search(s))


@dataclass(frozen=True, slots=True)
class Normalised:
    """A text's key string and the map back to the original.

    ``key`` is the tokens' keys joined by one space (``|`` between tokens separated by hard
    punctuation). ``key_starts[i]`` / ``orig_starts[i]`` / ``orig_ends[i]`` give token i's
    position in the key and in the original text.
    """

    original: str
    key: str
    key_starts: tuple[int, ...]
    key_ends: tuple[int, ...]
    orig_starts: tuple[int, ...]
    orig_ends: tuple[int, ...]

    def token_at(self, key_pos: int) -> int:
        """Index of the token whose key contains ``key_pos`` (or the one before a gap)."""
        return bisect_right(self.key_starts, key_pos) - 1

    def to_original(self, key_start: int, key_end: int) -> tuple[int, int]:
        """Original offsets of the key span ``[key_start, key_end)``.

        Spans that start or end inside a token (after a clitic prefix) are mapped character
        by character within that token.
        """
        i = self.token_at(key_start)
        j = self.token_at(key_end - 1)
        start = self._inner(i, key_start - self.key_starts[i], start=True)
        end = self._inner(j, key_end - self.key_starts[j], start=False)
        return start, end

    def _inner(self, i: int, offset: int, *, start: bool) -> int:
        ks, ke = self.key_starts[i], self.key_ends[i]
        os_, oe = self.orig_starts[i], self.orig_ends[i]
        if start and offset <= 0:
            return os_
        if not start and offset >= ke - ks:
            return oe
        token = self.original[os_:oe]
        if len(fold(token)) == len(token) and ke - ks == len(token):
            return os_ + offset
        # Walk the token, counting the key characters each original character produces.
        produced = 0
        for pos, ch in enumerate(token):
            width = len(fold(ch))
            if start and width and produced >= offset:
                return os_ + pos
            produced += width
            if not start and produced >= offset:
                return os_ + pos + 1
        return oe


# The whole text is translated in one call with a length-preserving table (removed
# characters become NUL and are dropped per token); the few characters that expand (ß, æ)
# send their tokens through ``fold``.
_DELETED = "\x00"
_TABLE1 = {c: (r if len(r) == 1 else _DELETED) for c, r in _TABLE.items() if len(r) <= 1}
_EXPANDING_RE = re.compile("[" + "".join(re.escape(chr(c)) for c, r in _TABLE.items() if len(r) > 1) + "]")
_LATIN_CACHE: dict[str, str] = {}


def _latin(k: str) -> str:
    cached = _LATIN_CACHE.get(k)
    if cached is None:
        cached = latin_word(k)
        if len(_LATIN_CACHE) < 200_000:
            _LATIN_CACHE[k] = cached
    return cached


_LATIN_ARTICLE_SET = frozenset(LATIN_ARTICLES)
_RUN_RE = re.compile(rf"[\w{_MARKS}{_APOS}]+")  # one character class: a fast scan
_SPECIAL_RE = re.compile(rf"[_{_APOS}]")


def _token_spans(text: str) -> list[tuple[int, int]]:
    """``TOKEN_RE``'s matches, found with a one-class scan; only the runs holding an underscore
    or an apostrophe (rare) go through ``TOKEN_RE`` itself."""
    spans = [m.span() for m in _RUN_RE.finditer(text)]
    special = [m.start() for m in _SPECIAL_RE.finditer(text)]
    if not special:
        return spans
    out: list[tuple[int, int]] = []
    for s, e in spans:
        i = bisect_left(special, s)
        if i < len(special) and special[i] < e:
            out.extend(m.span() for m in TOKEN_RE.finditer(text, s, e))
        else:
            out.append((s, e))
    return out


_RUN_SPLIT_RE = re.compile(rf"([\w{_MARKS}{_APOS}]+)")  # _RUN_RE, capturing: runs and the gaps between
_HARD_SEP = f" {HARD_BREAK} "
_GAP_SEPS: dict[str, str] = {}


def _gap_sep(gap: str) -> str:
    """The key separator for the text between two tokens: one space, or a hard break."""
    sep = _GAP_SEPS.get(gap)
    if sep is None:
        sep = " " if gap == " " or _SOFT_SEPARATOR_RE.fullmatch(gap) else _HARD_SEP
        if len(_GAP_SEPS) < 20_000:
            _GAP_SEPS[gap] = sep
    return sep


def normalise(text: str) -> Normalised:
    """Key string of ``text`` with the offsets of every token (see the module docstring)."""
    folded = text.translate(_TABLE1).lower()
    gaps: list[str] | None = None
    if _SPECIAL_RE.search(text) is None:
        # One split gives the tokens and the gaps between them; offsets by accumulating lengths.
        pieces = _RUN_SPLIT_RE.split(text)
        offs = list(accumulate(map(len, pieces), initial=0))
        starts = offs[1:-1:2]
        ends = offs[2::2]
        gaps = pieces[2:-1:2]
    else:
        spans = _token_spans(text)
        starts = [s for s, _ in spans]
        ends = [e for _, e in spans]
    keys = list(map(folded.__getitem__, map(slice, starts, ends)))
    if _DELETED in folded:
        keys = [k.replace(_DELETED, "") if _DELETED in k else k for k in keys]
    if _EXPANDING_RE.search(text) is not None:
        keys = [fold(text[s:e]) if _EXPANDING_RE.search(text, s, e) else k for k, s, e in zip(keys, starts, ends)]
    if not all(keys):
        kept = [i for i, k in enumerate(keys) if k]
        keys = [keys[i] for i in kept]
        starts = [starts[i] for i in kept]
        ends = [ends[i] for i in kept]
        gaps = None
    # Latin tokens: the article forms (al-, el, ad-...) and transliteration variants.
    last = len(starts) - 1
    cache = _LATIN_CACHE
    articles = _LATIN_ARTICLE_SET
    # Most Latin tokens are in the cache: one comprehension; the article forms are read below.
    article_at = [i for i, k in enumerate(keys) if k in articles]
    keys = [(cache[k] if k in cache else _latin(k)) if k.isascii() and k not in articles else k for k in keys]
    for n in article_at:
        k = keys[n]
        s, e = starts[n], ends[n]
        if n < last:
            ns = starts[n + 1]
            gap = text[e:ns]
            if gap in ("-", "‑") or (
                gap == " "
                and (k in _FREE_ARTICLES or (text[ns].isupper()
                                             and ((n > 0 and text[starts[n - 1]].isupper()) or text[s].isupper())))
            ):
                keys[n] = "al"
                continue
        cached = cache.get(k)
        keys[n] = cached if cached is not None else _latin(k)
    if not keys:
        return Normalised(text, "", (), (), (), ())
    # Separators: one space, or a hard break where the gap is more than soft punctuation.
    if gaps is None:
        gaps = [text[e0:s1] for e0, s1 in zip(ends, starts[1:])]
    seps_of = _GAP_SEPS
    seps = [" " if g == " " else (seps_of[g] if g in seps_of else _gap_sep(g)) for g in gaps]
    parts = [""] * (2 * len(keys) - 1)
    parts[0::2] = keys
    parts[1::2] = seps
    offs = list(accumulate(map(len, parts), initial=0))
    return Normalised(text, "".join(parts), tuple(offs[0:-1:2]), tuple(offs[1::2]), tuple(starts), tuple(ends))


def key(name: str) -> str:
    """The matching key of a name: the same reduction as for text, without hard breaks."""
    return normalise(name).key.replace(f" {HARD_BREAK} ", " ")


# --- Arabic clitics -------------------------------------------------------------------
# Letters that may be glued before a name: conjunctions و ف, prepositions ب ل ك, and the
# article. A match is accepted when the part of its token before it is one of these.
_CONJ = ("", "و", "ف")
_PREP = ("", "ب", "ل", "ك")
PREFIXES_BEFORE_NAME: frozenset[str] = frozenset(c + p for c in _CONJ for p in _PREP)
# Before a name given without its article: the article itself, or ل + ال written لل.
PREFIXES_WITH_ARTICLE: frozenset[str] = frozenset(
    {c + p + "ال" for c in _CONJ for p in ("", "ب", "ك")} | {c + "لل" for c in _CONJ}
)


def valid_prefix(prefix: str, key_has_article: bool) -> bool:
    """Is ``prefix`` (the key characters between a token's start and a match) a clitic chain?"""
    if prefix in PREFIXES_BEFORE_NAME:
        return True
    return not key_has_article and prefix in PREFIXES_WITH_ARTICLE


def strip_clitics(token_key: str) -> list[str]:
    """The possible bare forms of an Arabic token key (itself first), for cue words.

    "وبالقرب" -> ["وبالقرب", "بالقرب", "القرب", "قرب", ...]; used to recognise cue words such as
    قاعدة / ريف in "لقاعدة" or "بريف" without listing every prefixed form.
    """
    forms = [token_key]
    for p in sorted(PREFIXES_BEFORE_NAME | PREFIXES_WITH_ARTICLE, key=len, reverse=True):
        if p and token_key.startswith(p) and len(token_key) - len(p) >= 2:
            rest = token_key[len(p):]
            forms.append(rest)
            if p.endswith("ال") or p.endswith("لل"):
                forms.append("ال" + rest)
    return list(dict.fromkeys(forms))
