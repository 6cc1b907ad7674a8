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

EXTRACTOR_VERSION = "rules-2025.11.3"

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
    for group in ("anaphora", "locator_before", "origin_before", "segment_breaks", "title_before"):
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

    @property
    def entry(self):
        return self.loc.entry

    @property
    def kind(self) -> str:
        return getattr(self.loc.entry, "kind", "") or ""

    def key(self) -> str:
        # The point too: "20 km south of X" and "110 km north-east of X" are two places.
        base = getattr(self.loc.entry, "id", "")
        return f"{base}/{self.loc.lat:.3f},{self.loc.lon:.3f}/{self.coarse}"

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
        j = bisect_left(starts, e)
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
        exact = [p for p in group if int(getattr(p.loc, "geo_precision", 1) or 1) == 1]
        fine.extend(exact or group)
    fine.sort(key=lambda p: p.start)
    # "X in Y": a place followed by a larger one that contains it (same admin1, or the
    # second is a governorate / region) is one place.
    out: list[Place] = []
    for p in fine:
        if out:
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
            cand = _make_event(A, si, para, sent, clauses, trig, place, dm, narrative, last_event, lead_attacker)
            if cand is None:
                continue
            candidates.append(cand)
            last_event = cand
            sentence_date = sentence_date or dm
        narrative = _narrative(A, sdates, narrative, sentence_date)
    events = _merge(candidates)
    # Newest first, then in reading order (a timeline's order).
    events.sort(key=lambda e: (-(e.event_date.toordinal() if e.event_date else 0), e.quote_start))
    return Extraction(events=events, sites=_sites(A), version=EXTRACTOR_VERSION, language=A.lang)


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
                lead_attacker) -> _Candidate | None:
    ev: list[Evidence] = []
    c = _clause_of(clauses, trig.start)
    weapons = A.in_span(A.weapons, sent.start, sent.end)
    clause_weapons = [w for w in weapons if c.start <= w.start < c.end] or weapons
    sub, weapon = type_for(trig, clause_weapons)
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
    else:
        actor1, inter1 = attacker.actor.name, act.inter_for(attacker.actor, country)
        ev.append(A.evidence("actor1", attacker.start, attacker.end))
    actor2, inter2 = "", None
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


def _merge(candidates: list[_Candidate]) -> list[ExtractedEvent]:
    """One event per class, place and day: later mentions add evidence and missing fields."""
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
    final = []
    for c in out:
        if c.sentence == 0 and c.place is not None and not getattr(c.place.entry, "is_site", False):
            radius = 150 if c.place.coarse else 15
            finer = [
                o for o in out
                if o is not c and o.sentence > 0 and o.place is not None and not o.place.coarse and same_class(o, c)
                and o.event.event_date == c.event.event_date and o.event.country == c.event.country
                and _km(o.event.latitude, o.event.longitude, c.event.latitude, c.event.longitude) <= radius
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
                    if m.adjective and not m.actor.target_only and m.actor.name]
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
    return list(out.values())


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
