"""Event triggers, weapons, and the cues that make a trigger not an event.

- ``find_triggers``: attack words (``lexicons/triggers.yaml``) with the ACLED
  sub_event_type and weapon they imply;
- ``find_weapons``: weapon words (``lexicons/weapons.yaml``), which type a generic trigger;
- ``blocking_cue``: a denial, negation, threat, intention, hypothetical or policy cue
  (``lexicons/modality.yaml``) standing before the trigger in its clause;
- ``background_cue``: a trend / tally / campaign cue (``lexicons/background.yaml``);
- ``find_reporting``: reporting and attribution words (``lexicons/reporting.yaml``).
All offsets are into folded text.
"""
from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from events.acled import SUB_EVENT_TO_EVENT

from .lexicon import Hit, Matcher, load_yaml

STRATEGIC = frozenset(s for s, e in SUB_EVENT_TO_EVENT.items() if e == "Strategic developments")

# Type implied by a class of weapon words, for generic triggers.
WEAPON_CLASS_TYPE = {
    "air": "Air/drone strike",
    "shelling": "Shelling/artillery/missile attack",
    "explosive": "Remote explosive/landmine/IED",
    "ground": "Armed clash",
}


@dataclass(slots=True)
class Trigger:
    start: int
    end: int
    family: str
    sub_event_type: str
    weapon: str
    specific: bool
    term: str

    @property
    def priority(self) -> int:
        if self.sub_event_type in STRATEGIC:
            return 0
        if self.family == "takeover":
            return 1
        return 3 if self.specific else 2

    @property
    def strategic(self) -> bool:
        return self.sub_event_type in STRATEGIC


@dataclass(slots=True)
class Weapon:
    start: int
    end: int
    weapon: str
    klass: str


@functools.lru_cache(maxsize=1)
def trigger_families() -> dict:
    return load_yaml("triggers.yaml")["families"]


@functools.lru_cache(maxsize=1)
def _trigger_matcher() -> Matcher:
    entries = []
    for name, fam in trigger_families().items():
        for lang in ("ar", "en"):
            for term in fam.get(lang) or []:
                entries.append((term, name))
    return Matcher(entries)


@functools.lru_cache(maxsize=1)
def _weapon_matcher() -> Matcher:
    entries = []
    for weapon, spec in load_yaml("weapons.yaml")["weapons"].items():
        for lang in ("ar", "en"):
            for term in spec.get(lang) or []:
                entries.append((term, (weapon, spec["class"])))
    return Matcher(entries)


_WORDS_RE = re.compile(r"\w+")


@functools.lru_cache(maxsize=1)
def _object_overrides() -> dict[str, tuple[str, int, frozenset[str]]]:
    from .folding import fold

    out = {}
    for name, fam in trigger_families().items():
        ov = fam.get("object_override")
        if ov:
            out[name] = (ov["sub_event_type"], int(ov.get("window", 3)), frozenset(fold(o) for o in ov["objects"]))
    return out


def find_triggers(text: str, start: int = 0, end: int | None = None, hits: list[Hit] | None = None) -> list[Trigger]:
    """Triggers in folded text; summary plurals ("the attacks") are dropped, and a trigger
    whose object is a house or a building may change type (``object_override``)."""
    fams = trigger_families()
    overrides = _object_overrides()
    out = []
    for h in hits if hits is not None else _trigger_matcher().find(text, start, end):
        fam = fams[h.payload]
        sub = fam["sub_event_type"]
        if not sub:
            continue
        if h.payload in overrides:
            o_sub, window, objects = overrides[h.payload]
            following = [m.group() for m in _WORDS_RE.finditer(text, h.end, min(len(text), h.end + 60))][:window]
            if any(w in objects or (len(w) > 2 and w[1:] in objects) for w in following):
                sub = o_sub
        out.append(Trigger(h.start, h.end, h.payload, sub, fam.get("weapon") or "", bool(fam.get("specific")) or sub != fam["sub_event_type"], h.term))
    return out


def find_weapons(text: str, start: int = 0, end: int | None = None, hits: list[Hit] | None = None) -> list[Weapon]:
    hits = hits if hits is not None else _weapon_matcher().find(text, start, end)
    return [Weapon(h.start, h.end, h.payload[0], h.payload[1]) for h in hits]


@functools.lru_cache(maxsize=1)
def _modality():
    data = load_yaml("modality.yaml")
    loose, tight = [], []
    for group, spec in data["groups"].items():
        target = tight if spec.get("tight") else loose
        for lang in ("ar", "en"):
            for term in spec.get(lang) or []:
                target.append((str(term), group))
    return Matcher(loose), Matcher(tight), int(data.get("window", 8))


@functools.lru_cache(maxsize=1)
def _group_windows() -> dict[str, int]:
    """Groups of ``modality.yaml`` with their own, wider ``window`` (a denial of reports
    covers the whole report it denies: "denied reports circulating online that a drone hit X")."""
    data = load_yaml("modality.yaml")
    return {g: int(spec["window"]) for g, spec in data["groups"].items() if spec.get("window")}


_WORD_RE = re.compile(r"\w+")


def blocking_cue(text: str, clause_start: int, trigger_start: int) -> Hit | None:
    """A modality cue before the trigger in its clause, or None.

    Loose cues (threats, intentions, denials, hypotheticals, policy) count within
    ``window`` words before the trigger; tight ones (negation) only as one of the two
    words right before it; the Arabic future prefix glued to the verb ("ستستهدف") too.
    """
    return Cues(text).blocking(clause_start, trigger_start)


class Cues:
    """Modality and background cues of a whole text, found once (the extractor's fast path).

    ``blocking(clause_start, trigger_start)`` and ``background(start, end)`` answer as
    ``blocking_cue`` and ``background_cue`` do, from the precomputed hits.
    """

    def __init__(self, text: str, hits: dict[str, list[Hit]] | None = None):
        loose, tight, window = _modality()
        self.text = text
        self.window = window
        matcher, patterns = _background()
        if hits is not None:  # precomputed by a MultiMatcher pass
            self.loose, self.tight, background = hits["loose"], hits["tight"], hits["background"]
        else:
            self.loose, self.tight, background = loose.find(text), tight.find(text), matcher.find(text)
        self.background_spans = sorted((h.start, h.end) for h in background)
        self.background_patterns = patterns  # run on demand, on the clauses asked about
        self._background_of: dict[tuple[int, int], str | None] = {}
        self._bounds: dict[int, tuple[int, list[int], list[int]] | None] = {}

    def _sorted_bounds(self, hits: list[Hit]) -> tuple[list[int], list[int]] | None:
        """(starts, ends) of ``hits`` when both ascend (non-overlapping hits in text order,
        as the matchers return them): the hits inside a range are then a slice. Else None."""
        got = self._bounds.get(id(hits))
        if got is None or got[0] != len(hits):
            starts = [h.start for h in hits]
            ends = [h.end for h in hits]
            ok = all(a <= b for a, b in zip(starts, starts[1:])) and all(a <= b for a, b in zip(ends, ends[1:]))
            got = (len(hits), starts, ends) if ok else (len(hits), None, None)
            self._bounds[id(hits)] = got
        return None if got[1] is None else (got[1], got[2])

    def blocking(self, clause_start: int, trigger_start: int) -> Hit | None:
        text = self.text
        p = trigger_start
        while p > clause_start and text[p - 1].isalpha():
            p -= 1
        glued = text[p:trigger_start]
        if glued in ("س", "وس", "فس", "ولس"):
            return Hit(p, trigger_start, glued, "intention")
        widths = _group_windows()
        widest = max([self.window, *widths.values()])
        word_starts = [m.start() for m in _WORD_RE.finditer(text, max(clause_start, trigger_start - 12 * widest), trigger_start)]
        word_starts.reverse()  # nearest first

        def lower_bound(n: int) -> int:
            return word_starts[min(n, len(word_starts)) - 1] if word_starts else trigger_start

        lo = max(lower_bound(self.window), trigger_start - 120)
        lo_wide = lower_bound(widest)
        loose = self.loose
        bounds = self._sorted_bounds(loose)
        if bounds is not None:
            # The hits ending by the trigger and starting after both bounds: one slice.
            i = bisect_left(bounds[0], max(clause_start, lo_wide))
            j = bisect_right(bounds[1], trigger_start)
            for k in range(j - 1, i - 1, -1):
                h = loose[k]
                if h.start >= (lower_bound(widths[h.payload]) if h.payload in widths else lo):
                    return h
        else:
            hits = [
                h for h in loose
                if h.end <= trigger_start and h.start >= clause_start and h.start >= lo_wide
                and h.start >= (lower_bound(widths[h.payload]) if h.payload in widths else lo)
            ]
            if hits:
                return hits[-1]
        lo2 = trigger_start
        for i, m in enumerate(reversed(list(_WORD_RE.finditer(text, max(clause_start, trigger_start - 40), trigger_start)))):
            if i >= 2:
                break
            lo2 = m.start()
        tight = self.tight
        bounds = self._sorted_bounds(tight)
        if bounds is not None:
            i = bisect_left(bounds[0], lo2)
            j = bisect_right(bounds[1], trigger_start)
            return tight[j - 1] if j > i else None
        hits = [h for h in tight if h.start >= lo2 and h.end <= trigger_start]
        return hits[-1] if hits else None

    def background(self, start: int, end: int) -> str | None:
        key = (start, end)
        if key not in self._background_of:
            self._background_of[key] = self._background(start, end)
        return self._background_of[key]

    def _background(self, start: int, end: int) -> str | None:
        for s, e in self.background_spans:
            if s >= start and e <= end:
                return self.text[s:e]
        for rx in self.background_patterns:
            m = rx.search(self.text, start, end)
            if m:
                return m.group()
        return None


@functools.lru_cache(maxsize=1)
def _background():
    data = load_yaml("background.yaml")
    terms = [(t, "background") for lang in ("ar", "en") for t in data.get(lang) or []]
    patterns = [re.compile(p) for p in data.get("patterns") or []]
    return Matcher(terms), patterns


def background_cue(text: str, start: int, end: int) -> str | None:
    """The background / trend / tally cue in ``text[start:end]``, if any."""
    return Cues(text).background(start, end)


@functools.lru_cache(maxsize=1)
def _reporting() -> Matcher:
    data = load_yaml("reporting.yaml")
    return Matcher([(t, "reporting") for lang in ("ar", "en") for t in data.get(lang) or []])


def find_reporting(text: str, start: int = 0, end: int | None = None, hits: list[Hit] | None = None) -> list[Hit]:
    return hits if hits is not None else _reporting().find(text, start, end)


def type_for(trigger: Trigger, weapons: list[Weapon]) -> tuple[str, str]:
    """(sub_event_type, weapon) for a trigger, given the weapon words of its clause.

    A specific trigger keeps its own type; a generic one takes the type of the nearest
    weapon word, or its family's default.
    """
    if trigger.specific or not weapons:
        weapon = trigger.weapon
        if weapons and weapon in ("", "unknown", "artillery", "airstrike") and not trigger.strategic:
            # A specific trigger with an explicit weapon word nearby: name that weapon
            # when it agrees with the type (a "قصف صاروخي" with "صواريخ" is rockets).
            near = min(weapons, key=lambda w: abs(w.start - trigger.start))
            if WEAPON_CLASS_TYPE.get(near.klass) == trigger.sub_event_type:
                weapon = near.weapon
        return trigger.sub_event_type, weapon
    near = min(weapons, key=lambda w: abs(w.start - trigger.start))
    sub = WEAPON_CLASS_TYPE.get(near.klass, trigger.sub_event_type)
    if near.klass == "ground" and trigger.family == "generic_strike":
        sub = trigger.sub_event_type
    if near.weapon in _air_delivered():
        # Missiles fired by warplanes or drones named in the clause: an air strike.
        aircraft = [w for w in weapons if w.klass == "air"]
        if aircraft:
            return WEAPON_CLASS_TYPE["air"], min(aircraft, key=lambda w: abs(w.start - trigger.start)).weapon
    return sub, near.weapon


@functools.lru_cache(maxsize=1)
def _air_delivered() -> frozenset[str]:
    return frozenset(load_yaml("weapons.yaml").get("air_delivered") or ())
