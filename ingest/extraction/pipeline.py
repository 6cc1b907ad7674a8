"""The extractor: an article in, the events and sites an ACLED coder would write down out.

Steps (each in its own module, each driven by the lexicons in ``lexicons/``):
1. fold the text for matching (``folding``), split it into sentences and clauses
   (``sentences``);
2. find triggers, weapons, reporting words, dates, actors over the whole text once;
3. find places with the gazetteer (``Gazetteer.locate``) over the whole text once;
4. per sentence: drop triggers under a denial / threat / intention / hypothetical cue or
   in a trend / tally clause; keep the places that are where an attack happened (not the
   reporter's place, the origin of a launch, a landmark that only locates another place,
   a country or a region when a finer place is named); one event per attack place, typed
   by its nearest trigger; date = the date in the trigger's clause or sentence, else the
   narrative date carried from earlier sentences, else publication (within a week);
5. merge events of the same class, place and day (title and lead restating one event);
6. sites: every base, airfield, field or crossing the gazetteer finds in the text.
Every field carries Evidence spans into the original text.
"""
from __future__ import annotations

import functools
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, timedelta

from events.acled import disorder_type_for, event_type_for

from . import actors as act
from .casualties import TextCasualties
from .dates import DateMention, find_dates
from .folding import Folded
from .lexicon import Matcher, MultiMatcher, is_arabic, load_yaml
from .sentences import Span, clause_bounds, split_sentences
from .triggers import (
    Cues,
    Trigger,
    find_reporting,
    find_triggers,
    find_weapons,
    type_for,
)
from .types import ArticleInput, Evidence, ExtractedEvent, ExtractedSite, Extraction

EXTRACTOR_VERSION = "rules-2025.11.8"

REGION_KINDS = {"admin1", "region", "district", "admin2"}
COARSE_RELATIONS = {"countryside", "desert", "admin"}
MERGE_KM = 2.0
_ADMIN_HEAD_RE = re.compile(r"(?:[وب]|في\s+|in\s+(?:the\s+)?)?(?:قضاء|محافظه|ناحيه|لواء|district|province|governorate|sub-?district)\b")
_RELATIVE_RE = re.compile(r"(?<!\w)(?:[وف]?(?:الذي|التي|الذين|اللذين|اللتين)|who|whose|which)(?!\w)")
# Where the content of a report starts after the reporting verb: a complementizer or a
# verbal noun of undergoing ("قال إن", "أفاد بأن", "أفاد بتعرض", "said that").
_CONTENT_START_RE = re.compile(r"(?<!\w)(?:ان|بان|لان|that|بتعرض|تعرض|بوقوع|بسقوط|بمقتل|باصابه)(?!\w)")
_EMBED_RE = re.compile(r"pic\.twitter\.com|twitter\.com/|\bt\.co/|\(@\w+\)")


def detect_language(text: str) -> str:
    sample = text[:2000]
    arabic = sum(1 for ch in sample if is_arabic(ch))
    latin = sum(1 for ch in sample if "a" <= ch.lower() <= "z")
    return "ar" if arabic > latin else "en"


@functools.lru_cache(maxsize=1)
def _place_cues() -> dict[str, Matcher]:
    data = load_yaml("places.yaml")
    out = {}
    for group in ("anaphora", "locator_before", "origin_before", "segment_breaks", "title_before", "control_before", "between_before"):
        out[group] = Matcher([(t, group) for lang in ("ar", "en") for t in data[group].get(lang) or []])
    return out


@functools.lru_cache(maxsize=1)
def _article_lexicons() -> MultiMatcher:
    """Every lexicon the extractor reads on a whole article, in one automaton."""
    from . import casualties as C
    from . import numbers as N
    from . import triggers as T

    loose, tight, _ = T._modality()
    background, _ = T._background()
    num_words, num_nouns = N._matchers()
    cas_words, cas_none = C._matchers()
    matchers = {
        "triggers": T._trigger_matcher(), "weapons": T._weapon_matcher(), "reporting": T._reporting(),
        "loose": loose, "tight": tight, "background": background, "actors": act._matcher()[0],
        "num_words": num_words, "num_nouns": num_nouns, "cas_words": cas_words, "cas_none": cas_none,
        **_place_cues(),
    }
    return MultiMatcher({name: m.entries for name, m in matchers.items()})


@functools.lru_cache(maxsize=1)
def _unknown_place_res() -> tuple[re.Pattern, re.Pattern]:
    from .folding import fold

    data = load_yaml("places.yaml")["unknown_place_nouns"]
    ar = "|".join(sorted({re.escape(fold(w)) for w in data["ar"]}, key=len, reverse=True))
    en = "|".join(sorted({re.escape(fold(w)) for w in data["en"]}, key=len, reverse=True))
    # "بلدة X في" / "بادية X ب": a place noun, an unknown name of one or two words, "in".
    ar_re = re.compile(rf"(?<!\w)[وفب]?(?:ال)?(?:{ar})\s+(?:\"?[^\s\"]+\"?\s+){{1,2}}(?:في\s+|ب|قرب\s+)?$")
    # "Prde town in", "Kashkul village near": a capitalised name, the noun, "in" (read on the
    # original text, where capitals are kept).
    en_re = re.compile(rf"\b[A-Z][\w'’-]+\s+(?i:{en})\s+(?:in|near|outside)\s+(?:the\s+)?$")
    return ar_re, en_re


@dataclass(frozen=True, slots=True)
class _NamedUnknownRules:
    ar_noun: re.Pattern  # an Arabic place noun ending right before the names
    en_noun: re.Pattern  # "the villages of" before the names
    en_apposition: re.Pattern  # "A, a village" / "A village": the name before the noun
    gaps: tuple[str, ...]  # folded, longest first
    not_names: frozenset[str]
    max_names: int
    max_city_population: int


@functools.lru_cache(maxsize=1)
def _named_unknown_rules() -> _NamedUnknownRules:
    from .folding import fold

    d = load_yaml("places.yaml")["named_unknown"]

    def alt(words):
        return "|".join(sorted({re.escape(fold(w)) for w in words}, key=len, reverse=True))

    ar, en = alt(d["nouns"]["ar"]), alt(d["nouns"]["en"])
    # No backtracking into a name: a word takes its whole run of letters, apostrophes and hyphens
    # (``*+``), and a bare "al"/"el" is not also the start of "al-Name" (``(?![\w-])``). Else
    # "A-A-A..." or "A al-A al-A..." could be split in 2^n ways, and a 100-character run
    # before a place took minutes (reliability issue 9; tests/reliability/test_fuzz.py).
    name = r"(?:(?:al|el|ad|ar|as|ash|at|az|ed|en|er|es|et|ez)-)?[A-Z][\w'’-]*+"
    return _NamedUnknownRules(
        ar_noun=re.compile(rf"(?<!\w)[وفب]?(?:ال)?(?:{ar})(?!\w)"),
        en_noun=re.compile(rf"\b(?:the\s+)?(?:{en})\s+of\s+"),
        en_apposition=re.compile(
            rf"(?P<n>{name}(?:[ -](?:{name}|(?:al|el)(?![\w-])))*?)\s*,?\s+(?:(?:a|the|another)\s+)?(?:small\s+|nearby\s+)?(?i:{en})\s*$"),
        gaps=tuple(sorted({fold(g) for g in d["gaps"]["ar"] + d["gaps"]["en"]}, key=len, reverse=True)),
        not_names=frozenset(fold(w).lower() for w in d["not_names"]["ar"] + d["not_names"]["en"]),
        max_names=int(d.get("max_names", 6)),
        max_city_population=int(d.get("max_city_population", 100_000)),
    )


_AR_NAME_RE = re.compile(r"[\u0621-\u064a]+(?:\s+[\u0621-\u064a]+){0,2}")
_EN_WORD_RE = re.compile(r"(?:(?:al|el|ad|ar|as|ash|at|az|ed|en|er|es|et|ez)-)?[A-Z][\w'’-]*|al|el")


def _anchor_ok(p: "Place", rules: _NamedUnknownRules) -> bool:
    """Can ``p`` locate an unknown place named right before it?"""
    entry = p.entry
    kind = getattr(entry, "kind", "")
    relation = getattr(p.loc, "relation", "")
    pop = getattr(entry, "population", 0) or 0
    if getattr(entry, "is_site", False) or kind not in ("area", "city", "town", "village"):
        return False
    if relation in ("near", "direction"):
        return True
    if relation == "countryside":
        return kind != "city"
    if relation == "":
        return kind != "city" or pop <= rules.max_city_population
    return False


def _name_items(A: "_Article", lo: int, hi: int, rules: _NamedUnknownRules) -> list[tuple[int, int]]:
    """Folded spans of the names listed in ``ft[lo:hi]`` ("البارة، وعين لاروز، والموزر",
    "Taybeh, Qantara and Deir Seryan"), or [] when the stretch is not just a list of names."""
    ft = A.ft
    items: list[tuple[int, int]] = []
    if any(w.strip("\"'«»()").lower() in rules.not_names for w in ft[lo:hi].replace("،", " ").replace(",", " ").split()):
        return []  # "قرى واقعة في", "the villages of several": words that describe, not names
    # Split on commas and on the conjunctions "و" / "and" that start a name.
    pieces = []
    for m in re.finditer(r"[^،,]+", ft[lo:hi]):
        s0, e0 = lo + m.start(), lo + m.end()
        cut = s0
        for c in re.finditer(r"\s+(?:and\s+|و(?=[\u0621-\u064a]{3}))", ft[s0:e0]):
            pieces.append((cut, s0 + c.start()))
            cut = s0 + c.end()
        pieces.append((cut, e0))
    for n, (s0, e0) in enumerate(pieces):
        chunk = ft[s0:e0]
        strip = len(chunk) - len(chunk.lstrip(" \"'«»("))
        s0 += strip
        chunk = ft[s0:e0].rstrip(" \"'«»)")
        e0 = s0 + len(chunk)
        if n > 0 and A.arabic and chunk[:1] == "و" and len(chunk) > 4:
            chunk, s0 = chunk[1:], s0 + 1  # "، وعين لاروز"
        if not chunk:
            continue  # before a conjunction that opens the piece (", وعين")
        if A.arabic:
            if not _AR_NAME_RE.fullmatch(chunk):
                return []
        else:
            os_, oe = A.F.span(s0, e0)
            words = A.text[os_:oe].split()
            if not words or len(words) > 4 or not all(_EN_WORD_RE.fullmatch(w) for w in words):
                return []
        if any(w.lower() in rules.not_names for w in chunk.split()):
            return []
        items.append((s0, e0))
    if not items or len(items) > rules.max_names:
        return []
    # A word the lexicons know (a trigger, a weapon, an actor, a date) is not a name.
    for group in (A.triggers, A.weapons, A.actors, A.dates, A.reporting):
        for x in A.in_span(group, max(0, lo - 40), hi):
            if x.start < hi and lo < x.end:
                return []
    return items


def _named_unknown(A: "_Article") -> list["Place"]:
    """Unknown places the text locates by a known one: one Place each, coded to it."""
    from dataclasses import replace as dc_replace

    if not A.places:
        return []
    rules = _named_unknown_rules()
    anaphora = A.hits.get("anaphora", [])
    anchors: list[tuple[int, object]] = [(p.start, p) for p in A.places] + [(h.start, h) for h in anaphora]
    anchors.sort(key=lambda x: x[0])
    sent_starts = [s.start for s in A.fsent]
    out: list[Place] = []
    last_anchor: Place | None = None
    last_pos = -1
    prev_end = 0
    for start, a in anchors:
        if isinstance(a, Place):
            anchor = a if _anchor_ok(a, rules) else None
        else:  # "في ذات المنطقة": the place that located the last unknown names
            anchor = last_anchor if last_anchor is not None and start - last_pos < 1500 else None
        if anchor is None:
            if isinstance(a, Place):
                prev_end = max(prev_end, a.end)
            continue
        si = bisect_left(sent_starts, start + 1) - 1
        lo = max(A.fsent[si].start if si >= 0 else 0, start - 200, prev_end)
        head = A.ft[lo:start].rstrip()
        # The gap between the names and the anchor.
        for g in (*rules.gaps, ""):
            if not g:
                break
            if head.endswith(g) and (len(head) == len(g) or not head[-len(g) - 1].isalnum()):
                head = head[: -len(g)].rstrip()
                break
        hi = lo + len(head)
        spans: list[tuple[int, int]] = []
        noun = None
        for m in rules.ar_noun.finditer(A.ft, lo, hi) if A.arabic else rules.en_noun.finditer(A.ft, lo, hi):
            noun = m
        if noun is not None:
            spans = _name_items(A, noun.end(), hi, rules)
        elif not A.arabic:
            os_, oe = A.F.span(lo, hi)
            m = rules.en_apposition.search(A.text, os_, oe)
            if m is not None:
                ns, ne = A.F.folded_offset(m.start("n")), A.F.folded_offset(m.end("n"))
                spans = _name_items(A, ns, ne, rules)
        if isinstance(a, Place):
            prev_end = max(prev_end, a.end)
        if not spans:
            continue
        last_anchor, last_pos = anchor, start
        for fs, fe in spans:
            os_, oe = A.F.span(fs, fe)
            written = A.text[os_:oe]
            loc = dc_replace(
                anchor.loc, name=f"{written} (near {anchor.loc.name})", geo_precision=2, relation="near",
                start=os_, end=oe, text=written, head_start=os_, head_end=oe,
            )
            out.append(Place(loc, fs, fe, named=written))
    return out


@functools.lru_cache(maxsize=1)
def _unmappable_kinds() -> frozenset[str]:
    return frozenset(load_yaml("places.yaml").get("unmappable_kinds") or ("country",))


@functools.lru_cache(maxsize=1)
def _dateline_rules() -> tuple[int, tuple[str, ...]]:
    data = load_yaml("places.yaml")
    return int(data.get("dateline_max_chars", 90)), tuple(data.get("dateline_ends") or ())


@dataclass(slots=True)
class Place:
    loc: object  # gazetteer Location
    start: int  # folded offsets of the place phrase
    end: int
    anaphoric: bool = False
    named: str = ""  # an unknown place the text locates by this one ("قرية X قرب Y"): X's key

    @property
    def entry(self):
        return self.loc.entry

    @property
    def kind(self) -> str:
        return getattr(self.loc.entry, "kind", "") or ""

    def key(self) -> str:
        # The point too: "20 km south of X" and "110 km north-east of X" are two places.
        base = getattr(self.loc.entry, "id", "")
        return f"{base}/{self.loc.lat:.3f},{self.loc.lon:.3f}/{self.coarse}/{self.named}"

    @property
    def coarse(self) -> bool:
        """A region, a governorate, or the countryside / desert of a town."""
        return (
            self.kind in REGION_KINDS
            or getattr(self.loc, "relation", "") in COARSE_RELATIONS
            or int(getattr(self.loc, "geo_precision", 1) or 1) >= 3
        )


@dataclass(slots=True)
class _Candidate:
    event: ExtractedEvent
    place: Place | None
    sentence: int
    paragraph: int
    klass: str
    date_explicit: bool = False
    attacker_explicit: bool = False
    typed_by_default: bool = False  # a generic trigger with no weapon word: type is a guess
    date_weak: bool = False  # dated only by the reporting verb ("said Tuesday") or by publication
    evidence: list[Evidence] = field(default_factory=list)


def _km(a_lat, a_lon, b_lat, b_lon) -> float:
    import math

    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    dp, dl = p2 - p1, math.radians(b_lon - a_lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def coarse_class(sub_event_type: str) -> str:
    et = event_type_for(sub_event_type)
    if et == "Strategic developments":
        return "strategic"
    if sub_event_type == "Air/drone strike":
        return "air"
    if sub_event_type == "Shelling/artillery/missile attack":
        return "shelling"
    if et == "Battles":
        return "battle"
    if sub_event_type in ("Remote explosive/landmine/IED", "Suicide bomb", "Grenade"):
        return "explosive"
    return "attack"


class _Article:
    """Everything found once per article, with helpers to move between offsets."""

    def __init__(self, article: ArticleInput, gazetteer):
        self.article = article
        self._starts: dict[int, list[int]] = {}
        self._cue_hits: dict[str, list] = {}
        self._casualties: dict[tuple[int, int], tuple] = {}
        self._text_casualties = None
        self.text = article.text or ""
        self.F = Folded.of(self.text)
        self.ft = self.F.text
        given = (article.language or "").strip().lower()[:2]  # "ar", "AR", "ar-SA"
        self.lang = given if given in ("ar", "en") else detect_language(self.text)
        self.arabic = self.lang == "ar"
        self.gaz = gazetteer
        self.sentences = split_sentences(self.text)
        self.fsent = [Span(self.F.folded_offset(s.start), self.F.folded_offset(s.end)) for s in self.sentences]
        self.paragraphs = self._paragraphs()
        self.published = article.published or self._reference_date()
        self.dates = find_dates(self.ft, self.published)
        # One pass of every lexicon over the folded text.
        self.hits = _article_lexicons().find_all(self.ft)
        self.triggers = find_triggers(self.ft, hits=self.hits["triggers"])
        self.weapons = find_weapons(self.ft, hits=self.hits["weapons"])
        self.reporting = find_reporting(self.ft, hits=self.hits["reporting"])
        self.cues = Cues(self.ft, self.hits)
        self.actors = act.resolve_references(act.find_actors(self.ft, self.orig_text, hits=self.hits["actors"]))
        self.places = self._places()
        named = _named_unknown(self)
        if named:
            self.places = sorted(self.places + named, key=lambda p: p.start)
        self.dateline_end = self._dateline_end()
        self.embeds = self._embeds()

    # --- offsets --------------------------------------------------------------------
    def orig_span(self, fs: int, fe: int) -> tuple[int, int]:
        return self.F.span(fs, fe)

    def orig_text(self, fs: int, fe: int) -> str:
        s, e = self.F.span(fs, fe)
        return self.text[s:e]

    def evidence(self, name: str, fs: int, fe: int) -> Evidence:
        s, e = self.F.span(fs, fe)
        return Evidence(name, s, e, self.text[s:e])

    # --- set-up ---------------------------------------------------------------------
    def _embeds(self) -> set[int]:
        """Sentences holding an embedded post; one search of the whole text (most have none)."""
        if _EMBED_RE.search(self.text) is None:
            return set()
        return {i for i, s in enumerate(self.sentences) if _EMBED_RE.search(self.text, s.start, s.end)}

    def _paragraphs(self) -> list[int]:
        out, para, last = [], 0, 0
        for s in self.sentences:
            if "\n" in self.text[last:s.start] and last:
                para += 1
            out.append(para)
            last = s.end
        return out

    def _reference_date(self) -> date:
        """No publication date: the latest full explicit date in the text, else today."""
        found = [d.date for d in find_dates(self.ft, date.today()) if d.kind in ("explicit", "numeric") and d.date]
        return max(found) if found else date.today()

    def _places(self) -> list[Place]:
        if self.gaz is None or not self.text:
            return []
        # One pass over the whole article: the span is the article, so the gazetteer's
        # local context is the article's context (no separate context_for pass needed).
        out = []
        for loc in self.gaz.locate(self.text, 0, len(self.text)):
            if loc.lat is None or loc.lon is None:
                continue
            fs = self.F.folded_offset(loc.start)
            fe = self.F.folded_offset(loc.end)
            out.append(Place(loc, fs, fe))
        out.sort(key=lambda p: p.start)
        return out

    def cue_ends(self, group: str, lo: int, place_start: int, min_end: int) -> bool:
        """Whether a place-cue word of ``group`` ends at or after ``min_end`` and before the place."""
        hits = self.hits[group]
        return any(h.end >= min_end and h.end <= place_start and h.start >= lo for h in self.in_span(hits, max(lo, place_start - 40), place_start))

    def casualties(self, sent: Span):
        """(fatalities, injured) of a sentence, computed once per sentence."""
        key = (sent.start, sent.end)
        if key not in self._casualties:
            date_spans = [(d.start, d.end) for d in self.in_span(self.dates, sent.start, sent.end)]
            if self._text_casualties is None:
                self._text_casualties = TextCasualties(self.ft, self.hits)
            self._casualties[key] = self._text_casualties.in_span(sent.start, sent.end, exclude=date_spans)
        return self._casualties[key]

    def _dateline_end(self) -> int:
        """Folded offset where a dateline ("ERBIL, Kurdistan Region –") ends, or 0."""
        if not self.fsent:
            return 0
        limit, ends = _dateline_rules()
        head = self.ft[: min(limit, self.fsent[0].end)]
        best = None
        for e in ends:
            i = head.find(e)
            if i > 0 and (best is None or i < best):
                best = i + len(e)
        if best is None:
            return 0
        if any(t.start < best for t in self.triggers):
            return 0
        return best

    def in_span(self, items, s: int, e: int):
        """Items (sorted by start) that lie inside [s, e)."""
        starts = self._starts.get(id(items))
        if starts is None or len(starts) != len(items):
            starts = [x.start for x in items]
            self._starts[id(items)] = starts
        i = bisect_left(starts, s)
        j = bisect_left(starts, e, i)
        if i == j:
            return []
        return [x for x in items[i:j] if x.end <= e]


def _clause_of(clauses: list[Span], pos: int) -> Span:
    for c in clauses:
        if c.start <= pos < c.end:
            return c
    return clauses[-1]


def _place_filter(A: _Article, sent: Span, clauses: list[Span], places: list[Place], triggers: list[Trigger]) -> list[Place]:
    """The places of a sentence that are where the attack happened."""
    cues = _place_cues()
    reporting = A.in_span(A.reporting, sent.start, sent.end)
    trig_clauses = {(c.start, c.end) for t in triggers for c in [_clause_of(clauses, t.start)]}
    actor_spans = [(m.start, m.end) for m in A.in_span(A.actors, sent.start, sent.end) if not m.adjective]
    kept = []
    seg_breaks = A.in_span(A.hits["segment_breaks"], sent.start, sent.end)
    trig_pos = [t.start for t in triggers]
    for p in places:
        if p.start < A.dateline_end:
            continue
        if p.start > 0 and A.ft[p.start - 1] == "#":
            continue  # a hashtag, not a place phrase
        # A fact after "while / فيما / بينما" with no trigger of its own.
        brk = [b.start for b in seg_breaks if b.start < p.start]
        if brk and not any(t > brk[-1] for t in trig_pos) and any(
            brk[-1] < w.start < p.start for w in A.in_span(A.weapons, sent.start, sent.end)
        ):
            continue
        c = _clause_of(clauses, p.start)
        # A relative clause with no trigger describes a person or a group
        # ("..., who leads the tribes east of X, announced the attack on Y").
        if (c.start, c.end) not in trig_clauses and _RELATIVE_RE.search(A.ft, c.start, p.start):
            continue
        # "X told Rudaw that ... attacked": the place before the reporting verb is the reporter's.
        reporter = False
        for r in reporting:
            if c.start <= r.start < c.end and p.end <= r.start:
                if any(r.end <= t < c.end for t in trig_pos) and not any(c.start <= t < p.start for t in trig_pos):
                    reporter = True
        if reporter:
            continue
        # The reporter's clause ("a local of Sangasar told Rudaw", "وقال مراسلنا بريف إدلب").
        # Only up to where the reported content starts ("أفاد مصدر أمني بمحافظة ديالى بتعرض
        # نقطة أمنية بمنطقة X ..." : X is the content's place, Diyala the reporter's).
        if (c.start, c.end) not in trig_clauses:
            rep = [r for r in reporting if c.start <= r.start < c.end]
            if rep and not any(r.end <= p.start and _CONTENT_START_RE.search(A.ft, r.end, p.start) for r in rep):
                continue
        # A place inside an actor's name ("Kirkuk police", "قوات سوريا الديمقراطية").
        if any(s < p.end and p.start < e for s, e in actor_spans):
            continue
        # "between A and B": B only locates the stretch that starts at A.
        if kept and re.search(r"(?:between|بين)\s[^,،.]{0,80}\s(?:and|و)\s*(?:the\s+)?(?:\w+\s+of\s+)?$", A.ft[max(sent.start, p.start - 100):p.start]):
            continue
        # Cue words ending right before the place (the words are found once per article).
        gap_start = len(A.ft[:p.start].rstrip())
        if kept and A.cue_ends("locator_before", sent.start, p.start, gap_start - 2):
            continue
        # "مدينة عين العرب (كوباني) شرقي حلب": a direction from a second place locates the first.
        if kept and getattr(p.loc, "relation", "") in ("direction", "offset") and p.start - kept[-1].end < 30:
            continue
        if A.cue_ends("origin_before", sent.start, p.start, gap_start - 2):
            continue
        if A.cue_ends("title_before", sent.start, p.start, gap_start - 1):
            continue
        # "..., which is under the control of X north of Aleppo": where the controlled area lies.
        ctl = [h for h in A.in_span(A.hits["control_before"], max(c.start, p.start - 120), p.start)]
        if ctl and not any(ctl[-1].end <= t < p.start for t in trig_pos) and not re.search(r"[,،;]", A.ft[ctl[-1].end:p.start]):
            continue
        # "Prde town in Kirkuk", "بادية المسرب بريف دير الزور": an unknown place lies in this one.
        if p.coarse or getattr(p.loc, "relation", "") == "" and p.kind in ("city", "admin1"):
            ar_re, en_re = _unknown_place_res()
            wide = A.ft[max(sent.start, p.start - 60):p.start]
            head = A.ft[p.start:p.start + 6]
            ar_hit = ar_re.search(wide) or (head[:1] == "ب" and ar_re.search(wide + "ب"))
            o_start = A.F.orig(p.start)
            en_hit = en_re.search(A.text[max(0, o_start - 60):o_start])
            if ar_hit or en_hit:
                continue
        kept.append(p)
    if not kept:
        return []
    # A topic header before the report ("In Homs, local media reported explosions near the
    # T4 airport"): its place gives way to the place the trigger's own clause names.
    first_trig_clause = min((c for c in clauses if (c.start, c.end) in trig_clauses), key=lambda c: c.start, default=None)
    if first_trig_clause is not None:
        in_trig = [p for p in kept if (lambda c: (c.start, c.end) in trig_clauses)(_clause_of(clauses, p.start))]
        if in_trig:
            kept = [p for p in kept if p.start >= first_trig_clause.start or p in in_trig]
    # Countries and named parts of countries are context, never an attack place; governorates
    # and the countryside of a town only when nothing finer is named.
    fine = [p for p in kept if p.kind not in _unmappable_kinds()]
    if not fine:
        return []
    # Within a clause, a governorate or a countryside after a finer place only qualifies it,
    # and a named town or site beats "near X" / "east of X".
    by_clause: dict[int, list[Place]] = {}
    for p in fine:
        by_clause.setdefault(_clause_of(clauses, p.start).start, []).append(p)
    fine = []
    for group in by_clause.values():
        finer = [p for p in group if not p.coarse]
        group = finer or group
        named = [p for p in group if p.named]
        if named:
            # "the villages of A and B in Y": the villages are the attack places, Y locates them.
            anchors = {getattr(p.entry, "id", "") for p in named}
            group = [p for p in group if p.named or getattr(p.entry, "id", "") not in anchors]
        exact = [p for p in group if p.named or int(getattr(p.loc, "geo_precision", 1) or 1) == 1]
        fine.extend(exact or group)
    fine.sort(key=lambda p: p.start)
    # "X in Y": a place followed by a larger one that contains it (same admin1, or the
    # second is a governorate / region) is one place.
    out: list[Place] = []
    for p in fine:
        if out and p.named:
            if out[-1].key() == p.key():
                continue
        elif out:
            prev = out[-1]
            gap = A.ft[prev.end:p.start]
            contained = (
                p.kind in REGION_KINDS
                or (getattr(p.loc, "geo_precision", 1) >= 2 and prev.entry is not None and getattr(p.entry, "id", None) == getattr(prev.entry, "id", None))
            )
            if contained and len(gap) < 40 and not re.search(r"\b(?:and)\b|\sو", gap):
                continue
            # "Dibis town in Kirkuk", "قرية X في Y": a larger place after "in" qualifies X.
            if re.fullmatch(r"\W*(?:(?:town|city|village|district|area|province|governorate)\W+)?(?:in|of|near|في|ب|بمحافظه|بريف)\W*(?:the\W+)?", gap) and (
                getattr(p.entry, "population", 0) > getattr(prev.entry, "population", 0)
            ):
                continue
            if prev.key() == p.key():
                continue
            # "بلدة الخيام بقضاء مرجعيون", "Hilta in the Hasbaya district": an administrative
            # unit right after a place is its qualifier.
            if len(gap.strip(" ,،()")) == 0 and _ADMIN_HEAD_RE.match(A.ft, p.start):
                continue
        out.append(p)
    return out


def _nearest_trigger(triggers: list[Trigger], clauses: list[Span], pos: int) -> Trigger:
    c = _clause_of(clauses, pos)
    same = [t for t in triggers if c.start <= t.start < c.end]
    pool = same or triggers

    def d(t: Trigger) -> tuple[int, int]:
        dist = pos - t.end if t.end <= pos else (t.start - pos) * 2  # a trigger before the place reads better
        # Distance first (in steps of 20 characters), then the stronger trigger.
        return (dist // 20, -t.priority, dist)

    return min(pool, key=d)


def _pick_date(A: _Article, sent: Span, clauses: list[Span], anchor: int, trig: Trigger) -> DateMention | None:
    sdates = [d for d in A.in_span(A.dates, sent.start, sent.end) if d.date is not None]
    if not sdates:
        return None
    reporting = A.in_span(A.reporting, sent.start, sent.end)

    def next_to_reporting(d: DateMention) -> bool:
        return any(0 <= d.start - r.end <= 3 or 0 <= r.start - d.end <= 3 for r in reporting)

    c = _clause_of(clauses, trig.start)
    in_clause = [d for d in sdates if c.start <= d.start < c.end]
    pool = in_clause or sdates
    if len(pool) > 1:
        non_rep = [d for d in pool if not next_to_reporting(d)]
        pool = non_rep or pool
    return min(pool, key=lambda d: min(abs(d.start - trig.start), abs(d.start - anchor)))


def extract(article: ArticleInput, gazetteer=None) -> Extraction:
    if gazetteer is None:
        gazetteer = default_gazetteer()
    A = _Article(article, gazetteer)
    candidates: list[_Candidate] = []
    narrative: DateMention | None = None
    last_event: _Candidate | None = None
    lead_attacker = _lead_attacker(A)
    place_cues = _place_cues()
    last_typed: tuple[str, str] | None = None  # the type the last explicit trigger or weapon gave

    for si, sent in enumerate(A.fsent):
        if si in A.embeds:
            continue  # an embedded post ("pic.twitter.com", "(@handle) October 21, 2023")
        para = A.paragraphs[si]
        triggers = A.in_span(A.triggers, sent.start, sent.end)
        if not triggers:
            narrative = _narrative(A, [d for d in A.in_span(A.dates, sent.start, sent.end) if d.date is not None], narrative)
            continue
        clauses = clause_bounds(A.ft, sent.start, sent.end)
        kept: list[Trigger] = []
        for t in triggers:
            c = _clause_of(clauses, t.start)
            if A.cues.blocking(c.start, t.start):
                continue
            if A.cues.background(c.start, c.end):
                continue
            kept.append(t)
        # "X was wounded by fire while reporting on the withdrawal": a strategic word after
        # "while / فيما" describes the background of the attack reported before it.
        breaks = [b.start for b in A.in_span(A.hits["segment_breaks"], sent.start, sent.end)]
        if breaks:
            kept = [
                t for t in kept
                if not (t.strategic and any(b < t.start and any(v.start < b and not v.strategic for v in kept) for b in breaks))
            ]
        sdates = [d for d in A.in_span(A.dates, sent.start, sent.end) if d.date is not None]
        if not kept:
            narrative = _narrative(A, sdates, narrative)
            continue
        inherited = last_typed
        last_typed = _explicit_type(A, sent, clauses, kept) or last_typed
        places = _place_filter(A, sent, clauses, A.in_span(A.places, sent.start, sent.end), kept)
        if not places:
            # "هذه المنطقة", "the same area", "in the district": the previous event's place.
            ana = A.in_span(A.hits["anaphora"], sent.start, sent.end)
            if ana and last_event is not None and last_event.place is not None:
                p = last_event.place
                places = [Place(p.loc, ana[0].start, ana[0].end, anaphoric=True)]
        if not places:
            narrative = _narrative(A, sdates, narrative, _pick_date(A, sent, clauses, kept[0].start, kept[0]))
            continue
        sentence_date = None
        for place in places:
            if place.anaphoric:
                # "... على أماكن الغارات ومناطق أخرى من المدينة": the sentence's main (strongest,
                # first) trigger, not the word nearest to the anaphor.
                trig = min(kept, key=lambda t: (-t.priority, t.start))
            else:
                trig = _nearest_trigger(kept, clauses, place.start)
            dm = _pick_date(A, sent, clauses, place.start, trig)
            if dm is not None and dm.precision == 4:
                if dm.date.year < A.published.year:
                    continue  # a past year only: background
                dm = None
            cand = _make_event(A, si, para, sent, clauses, trig, place, dm, narrative, last_event, lead_attacker, inherited)
            if cand is None:
                continue
            candidates.append(cand)
            last_event = cand
            sentence_date = sentence_date or dm
        narrative = _narrative(A, sdates, narrative, sentence_date)
    events = _merge(candidates, _listed_lead_places(A, candidates))
    # Newest first, then in reading order (a timeline's order).
    events.sort(key=lambda e: (-(e.event_date.toordinal() if e.event_date else 0), e.quote_start))
    return Extraction(events=events, sites=_sites(A), version=EXTRACTOR_VERSION, language=A.lang)


def _explicit_type(A: _Article, sent: Span, clauses: list[Span], kept: list[Trigger]) -> tuple[str, str] | None:
    """(sub_event_type, weapon) of the sentence's first trigger typed by its own word or a weapon."""
    weapons = A.in_span(A.weapons, sent.start, sent.end)
    for t in kept:
        if t.strategic:
            continue
        c = _clause_of(clauses, t.start)
        cw = [w for w in weapons if c.start <= w.start < c.end] or weapons
        if t.specific or cw:
            return type_for(t, cw)
    return None


_DEFINITE_EN_RE = re.compile(r"(?:\bthe|\bthis|\bthat|'s|’s)\s+(?:[\w-]+\s+)?$")


def _definite(A: _Article, trig: Trigger) -> bool:
    """A trigger that refers to an attack already named: "the attack", "Thursday's strike", "الهجوم"."""
    word = A.ft[trig.start:trig.end]
    if is_arabic(word[:1] or "a"):
        bare = re.sub(r"^[وفب]", "", word)
        return bare.startswith("ال") or A.ft[max(0, trig.start - 6):trig.start].rstrip().endswith(("هذا", "هذه"))
    return _DEFINITE_EN_RE.search(A.ft, max(0, trig.start - 30), trig.start) is not None


def _narrative(A: _Article, sdates: list[DateMention], current: DateMention | None,
               chosen: DateMention | None = None) -> DateMention | None:
    """The date later sentences inherit: the one this sentence's event used, else the most
    precise day-level date it names (not a past year, not after publication)."""
    if chosen is not None and chosen.precision <= 3:
        return chosen
    usable = [d for d in sdates if d.precision <= 3 and d.date <= A.published + timedelta(days=1)]
    if not usable:
        return current
    return min(usable, key=lambda d: (d.precision, -d.start))


def _lead_attacker(A: _Article) -> act.ActorMention | None:
    """The attacker named in the title (read separately) or the first sentence."""
    title = A.article.title or ""
    if title:
        TF = Folded.of(title)
        t_trigs = find_triggers(TF.text)
        t_actors = act.resolve_references(act.find_actors(TF.text, lambda s, e: title[TF.orig(s):TF.orig_end(e)]))
        if t_trigs and t_actors:
            w = [(x.start, x.end) for x in find_weapons(TF.text)]
            attacker, _ = act.assign_roles(TF.text, t_trigs[0].start, t_trigs[0].end, w, t_actors, is_arabic(TF.text[:1] or "a") or A.arabic)
            if attacker is not None and not attacker.actor.target_only:
                return act.ActorMention(-1, -1, attacker.actor, attacker.adjective)
    if A.fsent:
        s = A.fsent[0]
        trigs = A.in_span(A.triggers, s.start, s.end)
        mentions = A.in_span(A.actors, s.start, s.end)
        if trigs and mentions:
            w = [(x.start, x.end) for x in A.in_span(A.weapons, s.start, s.end)]
            attacker, _ = act.assign_roles(A.ft, trigs[0].start, trigs[0].end, w, mentions, A.arabic)
            if attacker is not None and not attacker.actor.target_only:
                return attacker
    return None


def _make_event(A: _Article, si: int, para: int, sent: Span, clauses: list[Span], trig: Trigger, place: Place,
                dm: DateMention | None, narrative: DateMention | None, last_event: _Candidate | None,
                lead_attacker, inherited: tuple[str, str] | None = None) -> _Candidate | None:
    ev: list[Evidence] = []
    c = _clause_of(clauses, trig.start)
    weapons = A.in_span(A.weapons, sent.start, sent.end)
    clause_weapons = [w for w in weapons if c.start <= w.start < c.end] or weapons
    sub, weapon = type_for(trig, clause_weapons)
    if inherited is not None and not weapons and not trig.specific and not trig.strategic and _definite(A, trig):
        # "Thursday's attack took place in X", "وأسفر الهجوم عن": the attack already reported.
        sub, weapon = inherited
    ev.append(A.evidence("sub_event_type", trig.start, trig.end))
    if weapon and weapon != "unknown":
        wsp = next((w for w in clause_weapons if w.weapon == weapon), None)
        if wsp is not None:
            ev.append(A.evidence("weapon", wsp.start, wsp.end))
        else:
            ev.append(A.evidence("weapon", trig.start, trig.end))

    # Date.
    explicit = dm is not None
    reporting = A.in_span(A.reporting, sent.start, sent.end)
    weak = dm is not None and any(0 <= dm.start - r.end <= 3 or 0 <= r.start - dm.end <= 3 for r in reporting)
    if dm is None:
        dm = narrative
        weak = dm is None
    if dm is not None:
        event_date, precision = dm.date, min(dm.precision, 3)
        ev.append(A.evidence("event_date", dm.start, dm.end))
    else:
        event_date, precision = A.published, 2
    if event_date and event_date > A.published + timedelta(days=1):
        event_date, precision = A.published, 2

    # Place.
    loc = place.loc
    country = getattr(loc, "country", "") or getattr(place.entry, "country", "")
    ev.append(A.evidence("location", place.start, place.end))

    # Actors.
    mentions = A.in_span(A.actors, sent.start, sent.end)
    wspans = [(w.start, w.end) for w in weapons]
    attacker, target = act.assign_roles(A.ft, trig.start, trig.end, wspans, mentions, A.arabic)
    attacker_explicit = attacker is not None
    if attacker is None or attacker.actor.target_only:
        attacker = None
        if last_event is not None and last_event.event.actor1 and last_event.paragraph >= para - 1 and last_event.attacker_explicit:
            actor1, inter1 = last_event.event.actor1, last_event.event.inter1
        elif lead_attacker is not None:
            actor1, inter1 = lead_attacker.actor.name, act.inter_for(lead_attacker.actor, country)
        else:
            actor1, inter1 = f"{act.UNIDENTIFIED} ({_country_name(country)})" if country else act.UNIDENTIFIED, 3
    elif attacker.actor.unidentified:  # "غارة جوية مجهولة", "unidentified gunmen"
        actor1, inter1 = f"{act.UNIDENTIFIED} ({_country_name(country)})" if country else act.UNIDENTIFIED, 3
        ev.append(A.evidence("actor1", attacker.start, attacker.end))
    else:
        actor1, inter1 = attacker.actor.name, act.inter_for(attacker.actor, country)
        ev.append(A.evidence("actor1", attacker.start, attacker.end))
    actor2, inter2 = "", None
    if target is not None and target.actor.unidentified:
        target = None
    if target is not None and (attacker is None or target.actor.name != actor1):
        if target.actor.id == "civilians":
            actor2, inter2 = f"Civilians ({_country_name(country)})" if country else "Civilians", 7
        else:
            actor2, inter2 = target.actor.name, act.inter_for(target.actor, country)
        ev.append(A.evidence("actor2", target.start, target.end))
    # An attack on an armed actor is a battle, on civilians an attack.
    if sub == "Attack" and inter2 in (1, 2, 3, 4, 8) and trig.family == "generic_attack":
        sub = "Armed clash"

    # Casualties: only when the sentence reports one place.
    fat = inj = None
    killed, injured = A.casualties(sent)
    if killed is not None:
        fat = killed.value
        ev.append(A.evidence("fatalities", killed.start, killed.end))
    if injured is not None:
        inj = injured.value
        ev.append(A.evidence("injured", injured.start, injured.end))

    entry = place.entry
    is_site = bool(getattr(entry, "is_site", False))
    target_text = ""
    if is_site:
        target_text = getattr(entry, "name", "") or ""
        if getattr(entry, "operator", ""):
            target_text = f"{entry.operator} {entry.kind.replace('_', ' ')} at {entry.name}" if entry.kind in ("base", "airbase") else target_text
        ev.append(A.evidence("target", place.start, place.end))
    elif actor2:
        target_text = actor2

    geo_precision = int(getattr(loc, "geo_precision", 1) or 1)
    if not is_site and not place.named and not place.anaphoric and A.cue_ends(
            "between_before", sent.start, place.start, len(A.ft[:place.start].rstrip()) - 2):
        geo_precision = max(geo_precision, 2)  # "الطريق الواصل بين X وY": the stretch from X
    confidence = 0.3
    confidence += 0.2 if explicit else (0.1 if dm is not None else 0.0)
    confidence += 0.15 if geo_precision == 1 else (0.08 if geo_precision == 2 else 0.0)
    confidence += 0.15 if attacker_explicit else 0.0
    confidence += 0.1 if trig.specific else 0.0
    confidence += 0.05 if (fat is not None or inj is not None) else 0.0
    confidence -= 0.15 if place.anaphoric else 0.0

    s0, e0 = A.orig_span(sent.start, sent.end)
    event = ExtractedEvent(
        event_date=event_date,
        time_precision=precision,
        event_type=event_type_for(sub),
        sub_event_type=sub,
        disorder_type=disorder_type_for(sub),
        actor1=actor1,
        inter1=inter1,
        actor2=actor2,
        inter2=inter2,
        civilian_targeting=inter2 == 7,
        location=getattr(loc, "name", "") or getattr(entry, "name", ""),
        country=country,
        admin1=getattr(loc, "admin1", "") or getattr(entry, "admin1", ""),
        latitude=loc.lat,
        longitude=loc.lon,
        geo_precision=geo_precision,
        weapon="" if weapon == "unknown" else weapon,
        target=target_text,
        fatalities=fat,
        injured=inj,
        site_slug=getattr(entry, "slug", "") if is_site else "",
        confidence=round(min(confidence, 0.95), 2),
        quote=A.text[s0:e0],
        quote_start=s0,
        quote_end=e0,
        evidence=ev,
    )
    typed_by_default = not trig.specific and not clause_weapons
    return _Candidate(event, place, si, para, coarse_class(sub), explicit, attacker_explicit, typed_by_default, weak)


def _country_name(iso2: str) -> str:
    from events.acled import country_name

    return country_name(iso2)


def _listed_lead_places(A: _Article, candidates: list[_Candidate]) -> frozenset[int]:
    """Starts of the places the lead lists ("on Damascus, Homs, and Hama", "على دمشق وحمص")."""
    lead = sorted({c.place.start: c.place for c in candidates if c.sentence == 0 and c.place is not None}.values(),
                  key=lambda p: p.start)
    out: set[int] = set()
    for p, q in zip(lead, lead[1:]):
        if _LIST_GAP_RE.fullmatch(A.ft, p.end, q.start):
            out |= {p.start, q.start}
    return frozenset(out)


_LIST_GAP_RE = re.compile(r"\s*[,،]?\s*(?:(?:and|و)\s*)?")


def _merge(candidates: list[_Candidate], listed: frozenset[int] = frozenset()) -> list[ExtractedEvent]:
    """One event per class, place and day: later mentions add evidence and missing fields.

    ``listed``: starts of places the lead names in one list (a summary of the article)."""
    # A weakly dated event ("..., a source said Tuesday"; or undated news) takes the explicit
    # date of another report of the same place a few days before ("late Monday night").
    for c in candidates:
        if not c.date_weak or c.event.event_date is None:
            continue
        for o in candidates:
            if o is c or o.date_weak or o.place is None or c.place is None or o.event.event_date is None:
                continue
            if o.place.key() != c.place.key():
                continue
            delta = (c.event.event_date - o.event.event_date).days
            if 0 < delta <= (1 if c.event.time_precision >= 2 else 2):
                c.event.event_date, c.event.time_precision = o.event.event_date, o.event.time_precision
                c.date_weak = False
                break

    def same_place(o: _Candidate, c: _Candidate) -> bool:
        if o.place is None or c.place is None:
            return False
        if o.place.key() == c.place.key():
            return True
        if o.place.named and c.place.named:
            return False  # two villages coded to the same town stay two events
        return o.place.coarse == c.place.coarse and _km(o.event.latitude, o.event.longitude, c.event.latitude, c.event.longitude) <= MERGE_KM

    def same_class(o: _Candidate, c: _Candidate) -> bool:
        return o.klass == c.klass or (o.klass != "strategic" and c.klass != "strategic" and (o.typed_by_default or c.typed_by_default))

    out: list[_Candidate] = []
    for c in candidates:
        twin = None
        for o in out:
            if not same_class(o, c) or o.event.event_date != c.event.event_date or not same_place(o, c):
                continue
            twin = o
            break
        if twin is None:
            out.append(c)
            continue
        if c.place is not None and c.place.named and twin.place is not None and not twin.place.named:
            # "قرى جبل الزاوية" then "بلدة X في جبل الزاوية": the event is X's.
            twin.place = c.place
            twin.event.location = c.event.location
        if twin.typed_by_default and not c.typed_by_default:
            twin.event.sub_event_type, twin.event.event_type = c.event.sub_event_type, c.event.event_type
            twin.event.disorder_type, twin.klass, twin.typed_by_default = c.event.disorder_type, c.klass, False
        e, n = twin.event, c.event
        if n.fatalities is not None and (e.fatalities is None or n.fatalities > e.fatalities):
            e.fatalities = n.fatalities
        if n.injured is not None and (e.injured is None or n.injured > e.injured):
            e.injured = n.injured
        if not twin.attacker_explicit and c.attacker_explicit:
            e.actor1, e.inter1 = n.actor1, n.inter1
            twin.attacker_explicit = True
        if not e.actor2 and n.actor2:
            e.actor2, e.inter2 = n.actor2, n.inter2
        if n.geo_precision < e.geo_precision:
            e.latitude, e.longitude, e.location, e.geo_precision = n.latitude, n.longitude, n.location, n.geo_precision
        if not e.weapon and n.weapon:
            e.weapon = n.weapon
        if not e.site_slug and n.site_slug:
            e.site_slug, e.target = n.site_slug, n.target
        e.confidence = round(min(0.95, max(e.confidence, n.confidence) + 0.05), 2)
        e.evidence.extend(n.evidence)
    # The lead's region-level restatement ("an attack in Kirkuk province") of an event the
    # article then places precisely (same day and class, same country) is that event.
    # Likewise a town in the lead and a site or a town next to it reported later.
    # A lead that lists several places ("struck Damascus, Homs and Hama") summarises the
    # article: each of its places is restated by a later event in the same governorate.
    final = []
    for c in out:
        if c.sentence == 0 and c.place is not None and not getattr(c.place.entry, "is_site", False):
            radius = 150 if c.place.coarse else 15

            def restates(o: _Candidate) -> bool:
                if c.place.named:
                    return False  # an unknown village coded to a town is its own event
                if _km(o.event.latitude, o.event.longitude, c.event.latitude, c.event.longitude) <= radius:
                    return True
                return c.place.start in listed and bool(c.event.admin1) and o.event.admin1 == c.event.admin1

            finer = [
                o for o in out
                if o is not c and o.sentence > 0 and o.place is not None and not o.place.coarse and same_class(o, c)
                and o.event.event_date == c.event.event_date and o.event.country == c.event.country
                and restates(o)
            ]
            if finer:
                finer[0].event.evidence.extend(c.event.evidence)
                continue
        final.append(c)
    return [c.event for c in final]


def _sites(A: _Article) -> list[ExtractedSite]:
    out: dict[str, ExtractedSite] = {}
    for p in A.places:
        entry = p.entry
        if not getattr(entry, "is_site", False):
            continue
        key = getattr(entry, "slug", "") or getattr(entry, "id", "")
        # The site's name as written: the phrase up to the end of the matched name
        # ("قاعدة الشدادي", not the qualifiers after it).
        s = p.loc.start
        e = max(getattr(p.loc, "head_end", p.loc.end) or p.loc.end, s + 1)
        evidence = Evidence("name", s, e, A.text[s:e])
        if key in out:
            out[key].evidence.append(evidence)
            continue
        operator = getattr(entry, "operator", "") or ""
        if not operator:
            # From the text: "قاعدة التنف الأميركية", "the US base at X".
            # Only a nisba on the site itself; a name nearby is more often the attacker.
            near = [m for m in A.in_span(A.actors, max(0, p.start - 15), min(len(A.ft), p.end + 15))
                    if m.adjective and not m.actor.target_only and not m.actor.unidentified and m.actor.name]
            if near:
                operator = min(near, key=lambda m: abs(m.start - p.end)).actor.name
        out[key] = ExtractedSite(
            name=entry.name,
            kind=entry.kind,
            operator=operator,
            country=entry.country,
            latitude=entry.lat,
            longitude=entry.lon,
            slug=getattr(entry, "slug", "") or "",
            name_text=A.text[s:e],
            evidence=[evidence],
        )
    return list(out.values()) + _facilities(A, set())


@dataclass(frozen=True, slots=True)
class _FacilityRules:
    ar: tuple[re.Pattern, ...]
    en: tuple[re.Pattern, ...]
    quick_ar: re.Pattern  # any facility noun: the full patterns only run around these (speed)
    quick_en: re.Pattern
    not_names: frozenset[str]
    max_distance: int


@functools.lru_cache(maxsize=1)
def _facility_rules() -> _FacilityRules:
    from .folding import fold

    d = load_yaml("places.yaml")["military_facilities"]

    def alt(words):
        return "|".join(sorted({re.escape(fold(w).lower()) for w in words}, key=len, reverse=True))

    clitics = r"(?:[وف]?(?:[بل]?ال|لل|[بل])?)"
    units_ar, bases_ar = alt(d["units"]["ar"]), alt(d["bases"]["ar"])
    q_ar, o_ar = alt(d["qualifiers"]["ar"]), alt(d["ordinals"]["ar"])
    units_en, q_en, o_en = alt(d["units"]["en"]), alt(d["qualifiers"]["en"]), alt(d["ordinals"]["en"])
    ar = [
        # "الفوج 19 دفاع جوي", "اللواء 47", "الفرقة الرابعة", "كلية الدفاع الجوي"
        re.compile(rf"(?<!\w){clitics}(?:{units_ar})\s+(?:(?:رقم\s+)?\d{{1,3}}(?:\s+(?:{q_ar}))?|(?:{o_ar})(?:\s+(?:{q_ar}))?|(?:{q_ar}))(?!\w)"),
    ]
    en = [
        # "the 19th Air Defence Regiment", "Air Defence College", "Brigade 93"
        re.compile(rf"\b(?:(?:\d{{1,3}}(?:st|nd|rd|th)|{o_en})\s+(?:(?:{q_en})\s+)?(?:{units_en})|(?:{q_en})\s+(?:{units_en})|(?:{units_en})\s+\d{{1,3}})\b"),
    ]
    if bases_ar:
        ar.append(re.compile(rf"(?<!\w){clitics}(?:{bases_ar})\s+(?P<name>[\u0621-\u064a]{{3,}})(?!\w)"))
    if d["bases"].get("en"):
        en.append(re.compile(rf"(?-i:\b(?P<name>[A-Z][\w'’-]+))\s+(?i:{alt(d['bases']['en'])})\b"))
    return _FacilityRules(
        tuple(ar), tuple(en),
        re.compile(alt(d["units"]["ar"] + d["bases"]["ar"])), re.compile(alt(d["units"]["en"] + (d["bases"].get("en") or []))),
        frozenset(fold(w).lower() for w in (d["not_names"].get("ar") or []) + (d["not_names"].get("en") or [])),
        int(d.get("max_distance", 80)),
    )


_LOCATING_KINDS = {"area", "city", "town", "village"}


def _facilities(A: _Article, known: set[str]) -> list[ExtractedSite]:
    """Military facilities the gazetteer lacks, each at the known place that locates it in
    its sentence (the first one after it within ``max_distance``, else the last before)."""
    rules = _facility_rules()
    # Windows around the facility nouns (most articles have few); the patterns run only there.
    windows: list[list[int]] = []
    for m in (rules.quick_ar if A.arabic else rules.quick_en).finditer(A.ft):
        lo, hi = max(0, m.start() - 40), min(len(A.ft), m.end() + 60)
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = hi
        else:
            windows.append([lo, hi])
    if not windows:
        return []
    found: dict[tuple[int, int], tuple[int, int, re.Match]] = {}
    for lo, hi in windows:
        while lo > 0 and not A.ft[lo - 1].isspace():
            lo -= 1
        while hi < len(A.ft) and not A.ft[hi].isspace():
            hi += 1
        if A.arabic:
            for rx in rules.ar:
                for m in rx.finditer(A.ft, lo, hi):
                    found[(m.start(), m.end())] = (m.start(), m.end(), m)
        else:
            for rx in rules.en:
                if "name" in rx.groupindex:  # a proper name: read on the original text (capitals)
                    olo, ohi = A.F.span(lo, hi)
                    for m in rx.finditer(A.text, olo, ohi):
                        fs, fe = A.F.folded_offset(m.start()), A.F.folded_offset(m.end())
                        found[(fs, fe)] = (fs, fe, m)
                else:
                    for m in rx.finditer(A.ft, lo, hi):
                        found[(m.start(), m.end())] = (m.start(), m.end(), m)
    if not found:
        return []
    out: list[ExtractedSite] = []
    sent_starts = [s.start for s in A.fsent]
    for fs, fe, m in sorted(found.values(), key=lambda x: x[0]):
        if any(p.start < fe and fs < p.end for p in A.in_span(A.places, max(0, fs - 120), fe + 120)):
            continue  # the gazetteer knows it (or it is a town's name)
        if "name" in m.re.groupindex:
            name = m.group("name")
            if name.lower() in rules.not_names or fold_key(name).endswith("يه"):
                continue
            ns = m.start("name") if m.string is A.ft else A.F.folded_offset(m.start("name"))
            ne = ns + len(name)
            if any(h.start < ne and ns < h.end for group in A.hits.values() for h in A.in_span(group, max(0, ns - 40), ne + 40)):
                continue  # "قاعدة عسكرية", "Israeli barracks": a described base, not a named one
        si = bisect_left(sent_starts, fs + 1) - 1
        if si < 0:
            continue
        sent = A.fsent[si]
        pool = [p for p in A.in_span(A.places, sent.start, sent.end)
                if p.kind in _LOCATING_KINDS and not p.named and not getattr(p.entry, "is_site", False)]
        after = [p for p in pool if fe <= p.start <= fe + rules.max_distance]
        before = [p for p in pool if fs - rules.max_distance <= p.end <= fs]
        where = after[0] if after else (before[-1] if before else None)
        if where is None:
            continue
        os_, oe = A.F.span(fs, fe)
        written = A.text[os_:oe].strip()
        k = fold_key(written)
        if k in known:
            continue
        known.add(k)
        out.append(ExtractedSite(
            name=written, kind="base", country=getattr(where.entry, "country", ""),
            latitude=where.loc.lat, longitude=where.loc.lon, name_text=written,
            evidence=[Evidence("name", os_, oe, written), A.evidence("location", where.start, where.end)],
        ))
    return out


def fold_key(text: str) -> str:
    from .folding import fold

    return re.sub(r"^(?:[وف]?(?:[بل]?ال|لل|[بل])|the\s+)", "", fold(text).lower().strip())


def default_gazetteer():
    """The project's gazetteer: DB-backed when Django is set up and has places, else bundled."""
    try:
        from ingest.geocoding import get_gazetteer

        return get_gazetteer()
    except Exception:  # Django not configured, no table, no module: the bundled data
        from .gazetteer import Gazetteer

        return _bundled(Gazetteer)


@functools.lru_cache(maxsize=1)
def _bundled(cls):
    return cls.bundled()
