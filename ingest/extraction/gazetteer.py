"""Place names in text -> points, offline, with ACLED's geo_precision.

Pure Python, no Django: the extractor calls it per sentence; ``ingest.geocoding`` builds one
from the Place and Site tables, ``Gazetteer.bundled()`` from ``data/gazetteer``.

How it works
- Every name of every entry is reduced to a key (``normalise.key``) and put in one
  Aho-Corasick automaton. ``mentions`` normalises the text once, runs the automaton once,
  keeps matches that start at a word (or after Arabic clitics: وبالميادين) and end at a
  word, drops English matches that are not capitalised, then keeps the longest
  non-overlapping matches. Stop phrases (``stopnames.txt``) take part in the longest-match
  choice and are then dropped, so "بايدن" hides "ايدن" (Aydın).
- ``locate`` reads the words around each mention with the cue lists of
  ``data/gazetteer/cues.csv``: a site noun before the name (قاعدة، مطار، حقل...; or "air
  base" after it) prefers sites, محافظة / "province" prefers governorates, ريف / بادية /
  near / outskirts / a direction give precision 2, "20 km south of X" moves the point.
  Candidates are scored with the country and governorate named in the same span (the
  sentence), then the article's other places (``Context``), then population and kind.
- A governorate or country right after a place ("X، بريف دير الزور شرقي سوريا", "X in
  Syria") only qualifies it: it is folded into the place's phrase, not returned alone.
  "X - Y" naming the same entry ("مطار أبو حجر - خراب الجير") is one location.

Matching rules live in data files a researcher can read and extend: ``cues.csv`` (cue
words), ``stopnames.txt`` (never a place), ``latin_spellings.csv``, ``regions.csv`` and
``sites.csv`` (names).
"""
from __future__ import annotations

import csv
import functools
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import ahocorasick

from .gazetteer_data import (
    ADMIN_KINDS,
    CUES_CSV,
    SITE_KINDS,
    Entry,
    bundled_entries,
    haversine_km,
    offset_point,
    read_stopnames,
)
from .normalise import HARD_BREAK, LATIN_ARTICLES, Normalised, fold, is_arabic, key, normalise, strip_clitics, valid_prefix

__all__ = ["Entry", "Mention", "Location", "Context", "Gazetteer", "SITE_KINDS", "ADMIN_KINDS", "prior"]

MIN_ARABIC_KEY = 3  # letters, spaces excluded
MIN_LATIN_KEY = 4
MIN_LATIN_PRIMARY_KEY = 3  # an entry's own name may be short (Kut, Hit, Van)
# Lowercase words allowed inside a capitalised English name ("Strait of Hormuz", "Deir ez-Zor").
LATIN_LOWER_OK = frozenset({"of", "the", "bin", "ibn", "bint", "de", "and", "abu", "umm", "bani", "beni"}) | LATIN_ARTICLES
# Leading nouns of curated Arabic site names: "حقل كونيكو" is also registered as "كونيكو",
# but that bare form only counts when a site noun is next to it ("حقل غاز "كونيكو"").
SITE_NOUN_PREFIXES = ("قاعده ", "مطار ", "حقل ", "معبر ", "منفذ ", "ميناء ", "مرفا ", "سد ", "معمل غاز ", "معمل ")
# Places in these countries have Persian/Ottoman Arabic-script names and many small ones
# have Latin alternate names that are ordinary words or given names elsewhere.
NON_ARABIC_COUNTRIES = frozenset({"IR", "TR", "CY"})
# Flags on a (key, entry) pair: conditions for the key to name that entry.
CUE_REQUIRED = 1  # a site noun must be next to it
ARTICLE_DROPPED = 2  # an Arabic name without its ال: only after لل ("للميادين")
UPPER_ONLY = 4  # a code (EBL, T4): only when written in capitals
# A short (three-letter) name of a small town or village ("نوى"): such words are often
# ordinary words too, so only right after a place noun ("بلدة نوى", "بلدتي نوى وجاسم").
PLACE_NOUN_REQUIRED = 8
# A place this small, in a country nobody names in the article, is more likely a word
# that happens to be a village name somewhere else.
FOREIGN_VILLAGE_MAX_POPULATION = 20_000


@dataclass(frozen=True, slots=True)
class Mention:
    """A place name found in text."""

    start: int  # offsets in the ORIGINAL text
    end: int
    text: str
    key: str
    candidates: tuple[Entry, ...]  # best-first without context


@dataclass(frozen=True, slots=True)
class Location:
    """A resolved place."""

    entry: Entry
    lat: float  # may be offset from the entry ("20 km south of X")
    lon: float
    geo_precision: int  # ACLED 1..3
    name: str  # for ACLED's "location" column
    country: str
    admin1: str
    start: int  # span of the whole place phrase in the original text (evidence)
    end: int
    text: str
    head_start: int  # span of the matched name itself
    head_end: int
    relation: str = ""  # "", near, countryside, desert, admin, direction, offset
    score: float = 0.0  # how sure the resolution is (higher is better)

    @property
    def is_site(self) -> bool:
        return self.entry.is_site


@dataclass(frozen=True, slots=True)
class Context:
    """What an article names: countries, governorates and unambiguous places (with points).

    Counts let a mention discount its own contribution: a village must not vouch for its
    own country.
    """

    countries: frozenset[str] = frozenset()
    admin1: frozenset[tuple[str, str]] = frozenset()  # (country, admin1 English name)
    points: tuple[tuple[float, float], ...] = ()
    entry_ids: frozenset[str] = frozenset()
    parts: tuple["_Part", ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def of(cls, parts: Iterable["_Part"]) -> "Context":
        parts = tuple(parts)
        countries: set[str] = set()
        admin1: set[tuple[str, str]] = set()
        points: list[tuple[float, float]] = []
        ids: set[str] = set()
        for p in parts:
            countries |= p.countries
            admin1 |= p.admin1
            if p.point:
                points.append(p.point)
            if p.entry_id:
                ids.add(p.entry_id)
        return cls(frozenset(countries), frozenset(admin1), tuple(points), frozenset(ids), parts)


@dataclass(frozen=True, slots=True)
class _Part:
    """What one mention tells about the article."""

    countries: frozenset[str] = frozenset()
    admin1: frozenset[tuple[str, str]] = frozenset()
    point: tuple[float, float] | None = None
    entry_id: str = ""
    key: str = ""  # the name's key: two mentions of one name are one piece of evidence


# --- cue lists ------------------------------------------------------------------------

@dataclass(slots=True)
class Cues:
    """cues.csv as lookup tables: cue type -> {token tuple: value}."""

    left: dict[str, dict[tuple[str, ...], str]] = field(default_factory=dict)
    right: dict[str, dict[tuple[str, ...], str]] = field(default_factory=dict)
    units: dict[str, float] = field(default_factory=dict)
    max_len: int = 1
    # kind -> last word of a left cue -> the cue lengths ending with it (longest first)
    by_last: dict[str, dict[str, tuple[int, ...]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path=CUES_CSV) -> "Cues":
        cues = cls()
        with open(path, encoding="utf-8") as fh:
            rows = csv.DictReader(line for line in fh if line.strip() and not line.startswith("#"))
            for row in rows:
                kind, phrase, value = row["type"], row["phrase"], row["value"] or ""
                tokens = tuple(key(phrase).split())
                if not tokens:
                    continue
                if kind == "unit":
                    cues.units[" ".join(tokens)] = float(value)
                    continue
                table = cues.right if kind.endswith("_after") else cues.left
                table.setdefault(kind.removesuffix("_after"), {})[tokens] = value
                cues.max_len = max(cues.max_len, len(tokens))
        for kind, table in cues.left.items():
            index: dict[str, set[int]] = {}
            for tokens in table:
                index.setdefault(tokens[-1], set()).add(len(tokens))
            cues.by_last[kind] = {w: tuple(sorted(ns, reverse=True)) for w, ns in index.items()}
        return cues

    def match_left(self, kind: str, tokens: list[str], end: int) -> tuple[int, str] | None:
        """Longest cue of ``kind`` ending right before token ``end``: (tokens used, value).

        Only the first word of a cue may carry Arabic clitics (بريف، لقاعدة، وبالقرب). A
        direction never takes the article: "الشرقي" after a name describes that name
        ("ريف حلب الشرقي"), it does not point at the next one.
        """
        table = self.left.get(kind)
        if not table or end <= 0:
            return None
        index = self.by_last[kind]
        last = tokens[end - 1].lstrip(HARD_BREAK)
        lengths = index.get(last, ())
        if 1 not in lengths:
            # a one-word cue may carry clitics (بريف)
            if any(1 in index.get(form, ()) for form in _forms(last)[1:]):
                lengths = (*lengths, 1)
        for n in lengths:
            if n > end:
                continue
            words = tokens[end - n:end]
            if n > 1 and any(w[0] == HARD_BREAK for w in words[1:]):
                continue
            first = words[0].lstrip(HARD_BREAK)
            if kind == "direction" and first.startswith(("ال", "وال", "فال")):
                continue
            rest = tuple(words[1:])
            for form in _forms(first):
                value = table.get((form, *rest))
                if value is not None:
                    return n, value
        return None

    def match_right(self, kind: str, tokens: list[str], start: int) -> tuple[int, str] | None:
        table = self.right.get(kind)
        if not table:
            return None
        for n in range(min(self.max_len, len(tokens) - start), 0, -1):
            value = table.get(tuple(tokens[start:start + n]))
            if value is not None:
                return n, value
        return None


# --- scoring --------------------------------------------------------------------------

# A bare name shared by a town and its governorate ("Marib", "حلب") is the town: ACLED codes
# the named town; the governorate needs a cue (محافظة، "province").
KIND_PRIOR = {"country": 4.0, "admin1": 1.2, "region": 2.0, "area": 1.0, "city": 0.6, "town": 0.3, "district": 0.2}


def prior(entry: Entry) -> float:
    """Score without context: bigger places and curated sites first."""
    score = math.log10(entry.population + 10) / 2 + KIND_PRIOR.get(entry.kind, 0.0)
    if entry.id.startswith("site:"):
        score += 1.5 if entry.kind in SITE_KINDS else 1.0
    elif entry.kind in SITE_KINDS:
        score += 0.7
    if entry.lat is None:
        score -= 1.0
    return score


@dataclass(slots=True)
class _Cue:
    """The cue words found around one mention."""

    start_tok: int  # first token of the phrase (cues included)
    end_tok: int  # last token + 1 (right cues included)
    site_kinds: tuple[str, ...] = ()
    admin: str = ""
    relation: str = ""
    bearing: float | None = None
    distance_km: float | None = None


@dataclass(slots=True)
class _Scan:
    """One text's normalisation and mentions, shared by mentions / context_for / locate."""

    text: str
    nz: Normalised
    mentions: list[Mention]
    spans: list[tuple[int, int]]  # token range of each mention
    tokens: list[str] | None
    parts: list["_Part"]


@dataclass(slots=True)
class _Payload:
    key: str
    arabic: bool
    has_article: bool
    candidates: tuple[Entry, ...]
    flags: tuple[int, ...]
    any_flags: int
    cued_only: bool


@functools.lru_cache(maxsize=1)
def _aliases() -> dict[str, list[str]]:
    from .gazetteer_data import read_aliases

    return read_aliases()


class Gazetteer:
    """Names -> entries, one automaton for every name. Build once, share freely.

    Instances are read-only after construction except for a one-article cache of the last
    scan, so ``context_for``, ``mentions`` and each sentence's ``locate`` on the same text
    share one normalisation and one automaton pass. Each call takes its own reference to
    the scan it uses, so threads working on different texts only lose the cache.
    """

    _bundled: "Gazetteer | None" = None
    _bundled_lock = threading.Lock()

    def __init__(self, entries: Iterable[Entry], *, stopnames: Iterable[str] | None = None, cues: Cues | None = None):
        self.entries: list[Entry] = []
        self.by_id: dict[str, Entry] = {}
        self.by_slug: dict[str, Entry] = {}
        self.cues = cues or Cues.load()
        lines = list(stopnames) if stopnames is not None else read_stopnames()
        self.stopnames = frozenset(key(s) for s in lines if not s.startswith("?")) - {""}
        self._cued_only = frozenset(key(s[1:]) for s in lines if s.startswith("?")) - {""}
        self._prior: dict[str, float] = {}
        self._sites: list[Entry] = []
        table: dict[str, dict[int, int]] = {}  # key -> {entry index: flags}
        for entry in entries:
            if entry.id in self.by_id:
                continue
            idx = len(self.entries)
            self.entries.append(entry)
            self.by_id[entry.id] = entry
            if entry.slug:
                self.by_slug[entry.slug] = entry
            if entry.kind in SITE_KINDS and entry.lat is not None:
                self._sites.append(entry)
            self._prior[entry.id] = prior(entry)
            for k, flags in self._entry_keys(entry):
                slot = table.setdefault(k, {})
                # A key names the entry under the least restrictive of its names' conditions.
                slot[idx] = slot[idx] & flags if idx in slot else flags
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        self._by_key: dict[str, _Payload] = {}
        for k, slot in table.items():
            if any(not f & PLACE_NOUN_REQUIRED for f in slot.values()):
                # A short small-place name only counts when no larger place owns the word.
                slot = {i: f for i, f in slot.items() if not f & PLACE_NOUN_REQUIRED}
            ordered = sorted(slot.items(), key=lambda item: (item[1] != 0, -self._prior[self.entries[item[0]].id]))
            arabic = is_arabic(k)
            flags = tuple(f for _, f in ordered)
            any_flags = 0
            for f in flags:
                any_flags |= f
            payload = _Payload(
                k, arabic, arabic and k.startswith("ال"), tuple(self.entries[i] for i, _ in ordered),
                flags, any_flags, k in self._cued_only,
            )
            self._by_key[k] = payload
            self._automaton.add_word(_anchored(k, arabic), payload)
        # Stop phrases compete with names for the longest match, then are thrown away.
        for k in self.stopnames:
            if k not in table:
                arabic = is_arabic(k)
                self._automaton.add_word(_anchored(k, arabic), _Payload(k, arabic, arabic and k.startswith("ال"), (), (), 0, False))
        self._automaton.make_automaton()
        self._last: _Scan | None = None
        self._part_cache: dict[str, _Part] = {}  # payload key -> _part of its full candidate list

    # -- building ------------------------------------------------------------------

    def _entry_keys(self, entry: Entry) -> Iterable[tuple[str, int]]:
        curated = not entry.id.startswith("geonames:")
        primary = {key(entry.name)}
        # The usual Arabic name has the article ("الرقة"): its article-less forms are derived ones,
        # unless aliases.csv lists the bare form as a name in use ("صور" for Tyre).
        k_ar = key(entry.name_ar or "")
        article_less = {k_ar[2:]} if k_ar.startswith("ال") and " " not in k_ar[:4] else set()
        if article_less:
            article_less -= {key(a) for a in _aliases().get(entry.id, ())}
        for name in entry.names:
            k = key(name)
            code = curated and name.replace("-", "").isalnum() and name.isupper() and not is_arabic(name)
            if not curated and not is_arabic(name) and entry.country in NON_ARABIC_COUNTRIES \
                    and k not in primary and entry.population < 10_000:
                continue
            variants = list(self._variants(k, entry))
            if code and " " in k:
                variants.append((k.replace(" ", ""), 0))  # "T-4" is also written "T4"
            for variant, flags in variants:
                if code:
                    flags |= UPPER_ONLY
                if not curated and variant in article_less:
                    # GeoNames also lists "رقه" for "الرقة": the article-less form is the
                    # derived one, only after لل (else "فرقه" / "ورقة" would be Raqqa).
                    flags |= ARTICLE_DROPPED
                if self._acceptable(variant, entry, primary_name=curated or k in primary, code=code):
                    yield variant, flags
                elif self._short_name(variant, entry):
                    yield variant, flags | PLACE_NOUN_REQUIRED

    def _variants(self, k: str, entry: Entry) -> Iterable[tuple[str, int]]:
        """A name's key plus the forms a text may use: without the article, without the site noun."""
        yield k, 0
        if k.startswith("al ") and len(k) >= 7:
            yield k[3:], 0
        elif k.startswith("ال") and len(k) >= 5 and " " not in k[:4]:
            yield k[2:], ARTICLE_DROPPED
        if entry.kind in SITE_KINDS:
            for prefix in SITE_NOUN_PREFIXES:
                if k.startswith(prefix) and len(k) > len(prefix) + 2:
                    bare = k[len(prefix):]
                    yield bare, CUE_REQUIRED
                    if bare.startswith("ال") and len(bare) >= 5:
                        yield bare[2:], CUE_REQUIRED | ARTICLE_DROPPED
        if entry.kind in ("admin1", "region"):
            for prefix in ("محافظه ", "ولايه ", "لواء ", "اقليم "):
                if k.startswith(prefix):
                    yield k[len(prefix):], 0
            for suffix in (" governorate", " province", " district", " region"):
                if k.endswith(suffix):
                    yield k[: -len(suffix)], 0

    def _acceptable(self, k: str, entry: Entry, *, primary_name: bool, code: bool = False) -> bool:
        """Length and stop-list rules for one key of one entry.

        Short Arabic words are often ordinary words too (عبر، جوي), so a three-letter
        single-word key is kept only for curated entries and towns of 20,000 people or more.
        Arabic-script names of places in Iran and Turkey are Persian or Ottoman forms and
        collide with Arabic words (عسكري، لافت): kept only for cities or multi-word names.
        """
        if not k or k in self.stopnames or HARD_BREAK in k:
            return False
        letters = len(k.replace(" ", ""))
        if is_arabic(k):
            if letters < MIN_ARABIC_KEY:
                return False
            if not entry.id.startswith("geonames:"):
                return True
            if " " not in k and letters <= 3 and entry.population < 20_000:
                return False
            if entry.country in NON_ARABIC_COUNTRIES and " " not in k and entry.population < 50_000:
                return False
            return True
        if code:
            return letters >= 2
        return letters >= (MIN_LATIN_PRIMARY_KEY if primary_name else MIN_LATIN_KEY)

    def _short_name(self, k: str, entry: Entry) -> bool:
        """A three-letter one-word Arabic name of a small town or village in an Arabic-speaking
        country, kept only right after a place noun (``PLACE_NOUN_REQUIRED``)."""
        return (
            bool(k) and is_arabic(k) and " " not in k and len(k) == MIN_ARABIC_KEY
            and entry.id.startswith("geonames:") and entry.kind in ("town", "village", "city")
            and entry.country not in NON_ARABIC_COUNTRIES and k not in self.stopnames and HARD_BREAK not in k
        )

    @classmethod
    def bundled(cls) -> "Gazetteer":
        """The gazetteer of the bundled data files, built once per process."""
        if cls._bundled is None:
            with cls._bundled_lock:
                if cls._bundled is None:
                    cls._bundled = cls(bundled_entries())
        return cls._bundled

    def __len__(self) -> int:
        return len(self.entries)

    def prior(self, entry: Entry) -> float:
        return self._prior.get(entry.id) or prior(entry)

    def lookup(self, name: str) -> list[Entry]:
        """Entries with exactly this name (any script, any spelling that normalises alike)."""
        k = key(name)
        payload = self._by_key.get(k)
        return list(payload.candidates) if payload else []

    # -- finding names ------------------------------------------------------------

    def mentions(self, text: str) -> list[Mention]:
        """All place names in ``text``: longest first, non-overlapping, in text order."""
        return list(self._scan(text).mentions)

    def _scan(self, text: str) -> "_Scan":
        """Mentions plus their token ranges; the last text's result is kept (one article at a time)."""
        last = self._last
        if last is not None and (last.text is text or last.text == text):
            return last
        nz = normalise(text)
        kt = nz.key
        n = len(kt)
        tokens: list[str] | None = None
        raw: list[tuple[int, int, _Payload, tuple[Entry, ...]]] = []
        # Keys are stored with the spaces that anchor them (see ``_anchored``) and the text is
        # searched padded with a space at each end, so the automaton itself only reports
        # matches that end at a word end (and, for Latin names, start at a word start).
        # Offsets in the padded text minus one are offsets in ``kt``.
        for end_idx, p in self._automaton.iter(f" {kt} "):
            ke = end_idx - 1
            ks = ke - len(p.key)
            prefix = ""
            if ks > 0 and kt[ks - 1] != " ":
                prefix = kt[kt.rfind(" ", 0, ks) + 1:ks]
                if not valid_prefix(prefix, p.has_article):
                    continue
            cands = p.candidates
            if p.any_flags or p.cued_only:
                if tokens is None:
                    tokens = self._tokens(nz)
                cands = self._admissible(p, prefix, nz, tokens, ks, ke)
                if cands is None:
                    continue
            raw.append((ks, ke, p, cands))
        # Longest first, then leftmost; keep non-overlapping.
        raw.sort(key=lambda r: (r[0] - r[1], r[0]))
        taken: list[tuple[int, int, _Payload, tuple[Entry, ...]]] = []
        occupied = bytearray(n)
        for r in raw:
            ks, ke = r[0], r[1]
            if occupied.find(1, ks, ke) != -1:
                continue
            if r[3] and not r[2].arabic and not self._capitalised(nz, ks, ke):  # stop phrases block in any case
                continue
            occupied[ks:ke] = b"\x01" * (ke - ks)
            taken.append(r)
        taken.sort(key=lambda r: r[0])
        mentions: list[Mention] = []
        spans: list[tuple[int, int]] = []
        parts: list[_Part] = []
        part_cache = self._part_cache
        for ks, ke, p, cands in taken:
            if not cands:
                continue  # a stop phrase
            start, end = nz.to_original(ks, ke)
            m = Mention(start, end, text[start:end], p.key, cands)
            mentions.append(m)
            spans.append((nz.token_at(ks), nz.token_at(ke - 1) + 1))
            if cands is p.candidates:
                # _part depends only on the key and the candidates: once per name.
                part = part_cache.get(p.key)
                if part is None:
                    part = part_cache[p.key] = _part(m)
            else:
                part = _part(m)
            parts.append(part)
        scan = _Scan(text, nz, mentions, spans, tokens, parts)
        self._last = scan
        return scan

    def _admissible(self, p: _Payload, prefix: str, nz: Normalised, tokens: list[str], ks: int, ke: int) -> tuple[Entry, ...] | None:
        """The candidates whose conditions (flags) hold here; None when none does."""
        ti, tj = nz.token_at(ks), nz.token_at(ke - 1)
        site_cue: bool | None = None
        if p.cued_only:
            site_cue = bool(self._site_cue(tokens, ti, tj))
            if not (site_cue or self._place_cue(tokens, ti)):
                return None
        if not p.any_flags:
            return p.candidates
        out = []
        for entry, flags in zip(p.candidates, p.flags):
            if flags & ARTICLE_DROPPED and prefix not in ("لل", "ولل", "فلل"):
                continue
            if flags & PLACE_NOUN_REQUIRED and not (_open_left(tokens, ti) and self.cues.match_left("filler", tokens, ti)):
                continue
            if flags & UPPER_ONLY:
                s, e = nz.to_original(ks, ke)
                if not nz.original[s:e].isupper():
                    continue
            if flags & CUE_REQUIRED:
                if site_cue is None:
                    site_cue = bool(self._site_cue(tokens, ti, tj))
                if not site_cue:
                    continue
            out.append(entry)
        return tuple(out) if out else None

    def _capitalised(self, nz: Normalised, ks: int, ke: int) -> bool:
        """English names must be written as names: each word capitalised (articles aside)."""
        ti, tj = nz.token_at(ks), nz.token_at(ke - 1)
        any_cap = False
        for t in range(ti, tj + 1):
            word = nz.original[nz.orig_starts[t]:nz.orig_ends[t]]
            first = word[:1]
            if first.isupper() or first.isdigit():
                any_cap = True
            elif fold(word) not in LATIN_LOWER_OK:
                return False
        return any_cap

    @staticmethod
    def _tokens(nz: Normalised) -> list[str]:
        """Token keys, aligned with nz's tokens; a token after hard punctuation starts with '|'."""
        kt = nz.key
        # The key is the token keys joined by " " or " | ": one split, when no key holds a
        # space or a bar (checked by the count; else the token-by-token walk below).
        if HARD_BREAK not in kt:
            out = kt.split(" ")
        else:
            out = kt.replace(f" {HARD_BREAK} ", f" {HARD_BREAK}").split(" ")
        if len(out) == len(nz.key_starts) and (not kt or len(kt) == nz.key_ends[-1]) \
                and (HARD_BREAK not in kt or kt.count(HARD_BREAK) == kt.count(f" {HARD_BREAK} ")):
            return out
        out = []
        prev_end = None
        for s, e in zip(nz.key_starts, nz.key_ends):
            if prev_end is not None and HARD_BREAK in kt[prev_end:s]:
                out.append(HARD_BREAK + kt[s:e])
            else:
                out.append(kt[s:e])
            prev_end = e
        return out

    def _site_cue(self, tokens: list[str], ti: int, tj: int) -> tuple[str, ...]:
        hit = self.cues.match_left("site", tokens, ti) if _open_left(tokens, ti) else None
        if hit:
            return tuple(hit[1].split())
        hit = self.cues.match_right("site", _right(tokens, tj + 1), 0)
        return tuple(hit[1].split()) if hit else ()

    def _place_cue(self, tokens: list[str], ti: int) -> bool:
        if not _open_left(tokens, ti):
            return False
        return any(self.cues.match_left(kind, tokens, ti) for kind in
                   ("filler", "near", "countryside", "desert", "admin", "direction"))

    # -- resolving ----------------------------------------------------------------

    def context_for(self, text: str) -> Context:
        """Article-level context: countries, governorates and unambiguous places named."""
        return Context.of(self._scan(text).parts)

    def locate(self, text: str, start: int = 0, end: int | None = None, *, context: Context | None = None) -> list[Location]:
        """Places named within ``text[start:end]``, resolved, in text order.

        ``context`` is the article's (``context_for(text)``); the countries, governorates
        and places named in the same span weigh more. Qualifiers (a governorate or country
        right after a place) are folded into that place's phrase instead of being
        returned alone.
        """
        end = len(text) if end is None else end
        scan = self._scan(text)
        nz = scan.nz
        idx = [i for i, m in enumerate(scan.mentions) if m.start >= start and m.end <= end]
        if not idx:
            return []
        if scan.tokens is None:
            scan.tokens = self._tokens(nz)
        tokens = scan.tokens
        chosen = [(scan.mentions[i], scan.spans[i]) for i in idx]
        parts = [scan.parts[i] for i in idx]
        local = _Evidence(parts)
        article = _Evidence(context.parts) if context is not None else _EMPTY
        locations: list[Location] = []
        for i, (m, sp) in enumerate(chosen):
            cue = self._read_cues(tokens, sp[0], sp[1])
            pick = self._resolve(m, cue, local, article, parts[i])
            if pick is None:
                continue
            entry, score = pick
            loc = self._location(text, nz, m, sp, cue, entry, score, start, end)
            if loc is not None:
                locations.append(loc)
        return self._fold(text, locations)

    def _read_cues(self, tokens: list[str], ti: int, tj: int) -> _Cue:
        """The cue words around the name at tokens [ti, tj)."""
        cue = _Cue(start_tok=ti, end_tok=tj)
        pos = ti
        seen: set[str] = set()
        while _open_left(tokens, pos):
            hit = None
            for kind in ("filler", "site", "admin", "countryside", "desert", "near", "direction", "distance"):
                if kind in seen and kind != "filler":
                    continue
                hit = self._distance(tokens, pos) if kind == "distance" else self.cues.match_left(kind, tokens, pos)
                if hit:
                    n, value = hit
                    seen.add(kind)
                    pos -= n
                    if kind == "site":
                        cue.site_kinds = tuple(value.split())
                    elif kind == "admin":
                        cue.admin = value
                    elif kind == "direction":
                        cue.bearing = float(value)
                        cue.relation = cue.relation or "direction"
                    elif kind == "distance":
                        cue.distance_km = float(value)
                    elif kind in ("countryside", "desert", "near"):
                        cue.relation = kind if cue.relation in ("", "near", "direction") else cue.relation
                    break
            if not hit:
                break
        cue.start_tok = pos
        right = _right(tokens, tj)
        used = 0
        for kind in ("part", "site", "admin", "countryside", "desert"):
            hit = self.cues.match_right(kind, right, used)
            if hit:
                n, value = hit
                used += n
                if kind == "site" and not cue.site_kinds:
                    cue.site_kinds = tuple(value.split())
                elif kind == "admin":
                    cue.admin = cue.admin or value
                elif kind != "part":
                    cue.relation = cue.relation or kind
        cue.end_tok = tj + used
        return cue

    def _distance(self, tokens: list[str], pos: int) -> tuple[int, str] | None:
        """"20 km", "20 km (12 miles)" (parentheses are soft), "على بعد 20 كم من" before token ``pos``."""
        lo = max(0, pos - 6)
        words = [""] * lo + [t.lstrip(HARD_BREAK) for t in tokens[lo:pos]]
        p = pos
        if p and words[p - 1] in ("من", "of", "from"):
            p -= 1
        for unit_len in (2, 1):
            u = p - unit_len
            if u < 1 or any(t.startswith(HARD_BREAK) for t in tokens[u:p]):
                continue
            unit = " ".join(words[u:p])
            if unit in self.cues.units and _is_number(words[u - 1]):
                start = u - 1
                km = float(words[u - 1]) * self.cues.units[unit]
                if start >= 2 and words[start - 2:start] == [key("على"), key("بعد")]:
                    start -= 2
                elif start >= 1 and words[start - 1] in ("about", "some", "nearly", "around", "approximately", "حوالي", "نحو"):
                    start -= 1
                return pos - start, str(km)
        return None

    def _resolve(self, m: Mention, cue: _Cue, local: "_Evidence", article: "_Evidence", own: _Part) -> tuple[Entry, float] | None:
        local_countries = local.countries_without(own)
        article_countries = article.countries_without(own)
        best: tuple[Entry, float] | None = None
        for entry in m.candidates:
            s = self._score(entry, cue, local, article, own, local_countries, article_countries)
            if best is None or s > best[1]:
                best = (entry, s)
        if best is None:
            return None
        entry = best[0]
        named = local_countries | article_countries
        if named and entry.country not in named and entry.kind not in ADMIN_KINDS and entry.kind not in SITE_KINDS \
                and entry.id.startswith("geonames:") \
                and (entry.population < FOREIGN_VILLAGE_MAX_POPULATION or cue.site_kinds):
            return None
        if cue.site_kinds and entry.kind not in cue.site_kinds:
            site = self._site_near(entry, cue.site_kinds)
            if site is not None:
                return site, best[1]
        return best

    def _site_near(self, entry: Entry, kinds: tuple[str, ...]) -> Entry | None:
        """The site of one of ``kinds`` at or next to ``entry`` ("Hama air base" -> the air base).

        A facility coded at its field (al-Omar base at the al-Omar field) is within a few km;
        an air base named after its town can be ~25 km out.
        """
        if entry.lat is None:
            return None
        limit = 6.0 if entry.kind in SITE_KINDS else 25.0
        best = None
        for site in self._sites:
            if site.kind not in kinds or site.id == entry.id:
                continue
            d = haversine_km(entry.lat, entry.lon, site.lat, site.lon)
            if d <= limit and (best is None or d < best[0] or (d == best[0] and site.id.startswith("site:"))):
                best = (d, site)
        return best[1] if best else None

    def _score(self, entry: Entry, cue: _Cue, local: "_Evidence", article: "_Evidence", own: _Part,
               local_countries: frozenset[str], article_countries: frozenset[str]) -> float:
        """Prior + cues + what the span (local) and the article say about this candidate."""
        s = self._prior.get(entry.id, 0.0)
        if cue.site_kinds:
            if entry.kind in cue.site_kinds:
                s += 5.0
            elif entry.kind in SITE_KINDS:
                s += 3.0
        if cue.admin:
            if entry.kind == cue.admin or (cue.admin == "admin1" and entry.kind in ("admin1", "region")):
                s += 5.0
            elif entry.kind in ("admin1", "region", "district"):
                s += 2.0
        if cue.relation in ("countryside", "desert") and entry.kind in SITE_KINDS:
            s -= 2.0
        if entry.kind == "country":
            return s
        if entry.country in local_countries:
            s += 3.0
        elif entry.country in article_countries:
            s += 1.5
        elif local_countries or article_countries:
            s -= 1.0
        if entry.admin1:
            a1 = (entry.country, entry.admin1)
            if local.has_admin1(a1, own):
                s += 2.0
            elif article.has_admin1(a1, own):
                s += 1.0
        if entry.lat is not None:
            if local.near(entry.lat, entry.lon, own):
                s += 1.5
            elif article.near(entry.lat, entry.lon, own):
                s += 1.0
        return s

    def _location(self, text: str, nz: Normalised, m: Mention, span: tuple[int, int], cue: _Cue, entry: Entry,
                  score: float, lo: int, hi: int) -> Location | None:
        lat, lon = entry.lat, entry.lon
        if lat is None or lon is None:
            return None
        relation = cue.relation
        if cue.distance_km is not None:
            relation = "offset" if cue.bearing is not None else "near"
        elif cue.admin and entry.kind in ADMIN_KINDS:
            relation = relation or "admin"
        big = entry.kind in ADMIN_KINDS
        if relation == "offset":
            lat, lon = offset_point(lat, lon, cue.distance_km or 0.0, cue.bearing or 0.0)
            precision = 3 if big else 2
        elif relation in ("near", "countryside", "desert", "direction"):
            precision = 3 if big else 2
        elif relation == "admin" or big:
            precision = 3
        elif entry.kind == "area" or (entry.kind == "district" and entry.feature_code.startswith("ADM")):
            precision = 2  # a small named area ("جبل الزاوية") coded to its central town
        else:
            precision = 1
        ps = nz.orig_starts[cue.start_tok] if cue.start_tok < span[0] else m.start
        pe = nz.orig_ends[cue.end_tok - 1] if cue.end_tok > span[1] else m.end
        ps, pe = max(ps, lo), min(pe, hi)
        return Location(
            entry=entry, lat=lat, lon=lon, geo_precision=precision, name=entry.name,
            country=entry.country, admin1=entry.admin1 or (entry.name if entry.kind == "admin1" else ""),
            start=ps, end=pe, text=text[ps:pe], head_start=m.start, head_end=m.end,
            relation=relation, score=round(score, 3),
        )

    def _fold(self, text: str, locations: list[Location]) -> list[Location]:
        """Join "X - Y" naming one entry; fold qualifiers ("X، بريف Y"، "X in Syria") into X."""
        out: list[Location] = []
        for loc in locations:
            if out:
                prev = out[-1]
                gap = text[prev.end:loc.start]
                if prev.entry.id == loc.entry.id and _only_soft(gap):
                    out[-1] = replace(prev, end=loc.end, text=text[prev.start:loc.end])
                    continue
                if _qualifies(loc, prev) and _connector_gap(gap) and not _coordinated(text, loc):
                    out[-1] = replace(prev, end=loc.end, text=text[prev.start:loc.end])
                    continue
                if prev.entry.kind == "country" and loc.entry.kind in ("admin1", "region") \
                        and loc.entry.country == prev.entry.country and _connector_gap(gap):
                    out[-1] = replace(loc, start=prev.start, text=text[prev.start:loc.end])
                    continue
            out.append(loc)
        return out


# --- helpers --------------------------------------------------------------------------

def _part(m: Mention) -> _Part:
    """What a mention says about the article, when it says it unambiguously."""
    cands = [c for c in m.candidates if c.lat is not None] or list(m.candidates)
    if not cands:
        return _Part(key=m.key)
    top = cands[0]
    if top.kind == "country":
        return _Part(countries=frozenset({top.country}), key=m.key)
    countries = frozenset({top.country}) if len({c.country for c in cands}) == 1 else frozenset()
    if top.lat is not None and all(c.lat is None or haversine_km(top.lat, top.lon, c.lat, c.lon) < 50 for c in cands):
        return _Part(
            countries=countries,
            admin1=frozenset({(top.country, top.admin1)}) if top.admin1 else frozenset(),
            point=None if top.kind in ADMIN_KINDS else (top.lat, top.lon),
            entry_id=top.id,
            key=m.key,
        )
    return _Part(countries=countries, key=m.key)


NEAR_KM = 60.0  # another named place this close supports a candidate
_GRID = 0.5  # degrees per grid cell (~55 km) for the nearby-place look-up


class _Evidence:
    """What the other mentions of a span or an article say, for scoring a candidate.

    Built once per ``locate`` call. Evidence is counted per distinct name: a mention never
    vouches for itself, nor does a second mention of the same name ("الزاوية ... الزاوية").
    """

    __slots__ = ("countries", "admin1", "grid")

    def __init__(self, parts: Iterable[_Part]):
        self.countries: dict[str, set[str]] = {}
        self.admin1: dict[tuple[str, str], set[str]] = {}
        # A set per cell: a name mentioned a thousand times is one point to compare with, not
        # a thousand (``near`` would otherwise take time quadratic in the number of mentions).
        self.grid: dict[tuple[int, int], set[tuple[float, float, str]]] = {}
        for p in parts:
            for c in p.countries:
                self.countries.setdefault(c, set()).add(p.key)
            for a in p.admin1:
                self.admin1.setdefault(a, set()).add(p.key)
            if p.point:
                cell = (int(p.point[0] // _GRID), int(p.point[1] // _GRID))
                self.grid.setdefault(cell, set()).add((p.point[0], p.point[1], p.key))

    def countries_without(self, own: _Part) -> frozenset[str]:
        return frozenset(c for c, keys in self.countries.items() if len(keys) > (own.key in keys))

    def has_admin1(self, a1: tuple[str, str], own: _Part) -> bool:
        keys = self.admin1.get(a1)
        return bool(keys) and len(keys) > (own.key in keys)

    def near(self, lat: float, lon: float, own: _Part) -> bool:
        """Is a place named under another name 0.5-60 km from (lat, lon)?"""
        if not self.grid:
            return False
        ci, cj = int(lat // _GRID), int(lon // _GRID)
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for plat, plon, k in self.grid.get((ci + di, cj + dj), ()):
                    if k == own.key:
                        continue
                    if 0.5 < _fast_km(lat, lon, plat, plon) < NEAR_KM:
                        return True
        return False


_EMPTY = _Evidence(())


def _anchored(k: str, arabic: bool) -> str:
    """The automaton's form of a key: a trailing space (a name ends at a word end); Latin
    names also start at a word start, Arabic ones may follow clitics (وبالميادين)."""
    return f"{k} " if arabic else f" {k} "


def _fast_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance: exact enough below a few hundred km, and cheap."""
    x = (lon2 - lon1) * 111.32 * math.cos(math.radians((lat1 + lat2) / 2))
    y = (lat2 - lat1) * 110.57
    return math.hypot(x, y)


_FORMS: dict[str, tuple[str, ...]] = {}


def _forms(word: str) -> tuple[str, ...]:
    """A token and, for Arabic, its forms without clitics (cached: words repeat)."""
    forms = _FORMS.get(word)
    if forms is None:
        forms = tuple(strip_clitics(word)) if is_arabic(word) else (word,)
        if len(_FORMS) < 100_000:
            _FORMS[word] = forms
    return forms


def _open_left(tokens: list[str], pos: int) -> bool:
    """Can a cue end right before token ``pos``? Not at the start, nor across hard punctuation."""
    return 0 < pos <= len(tokens) and not (pos < len(tokens) and tokens[pos].startswith(HARD_BREAK))


def _right(tokens: list[str], start: int) -> list[str]:
    """Up to four tokens from ``start``, stopping at hard punctuation."""
    out = []
    for t in tokens[start:start + 4]:
        if t.startswith(HARD_BREAK):
            break
        out.append(t)
    return out


def _is_number(token: str) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return False


_SOFT = set(" -–—/()\"'«»“”\u200f\u200e")


def _only_soft(gap: str) -> bool:
    return len(gap) <= 6 and all(ch in _SOFT for ch in gap)


_CONNECTORS = frozenset({"في", "ب", "من", "in", "of", "the", "s", "at", "داخل", "within"})
_SENTENCE_END = set(".!?؟\n;؛")


def _connector_gap(gap: str) -> bool:
    """Only a comma, a preposition or a possessive between a place and its qualifier."""
    if len(gap) > 25 or any(ch in _SENTENCE_END for ch in gap):
        return False
    return all(w in _CONNECTORS for w in key(gap).split() if w != HARD_BREAK)


def _coordinated(text: str, loc: Location) -> bool:
    """"X وبادية Y" / "X and Y": a second place, not a qualifier of the first."""
    phrase = text[loc.start:loc.end]
    before = text[max(0, loc.start - 5):loc.start].split()
    return (phrase.startswith("و") and not phrase.startswith("وادي")) or (bool(before) and before[-1].lower() == "and")


def _qualifies(loc: Location, prev: Location) -> bool:
    """Is ``loc`` only saying where ``prev`` is (its governorate, country, countryside)?"""
    e, p = loc.entry, prev.entry
    if e.kind == "country":
        return p.country == e.country and p.kind != "country"
    if e.kind in ("admin1", "region") or loc.relation in ("countryside", "desert", "admin"):
        if p.kind == "country":
            return False
        if p.country and e.country and p.country != e.country:
            return False
        return haversine_km(prev.lat, prev.lon, loc.lat, loc.lon) < 250
    return False
