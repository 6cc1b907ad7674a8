"""Actors: who attacked whom, with ACLED-style names and inter codes.

The actor lexicon (``lexicons/actors.yaml``) gives names and nisba adjectives in both
scripts. ``find_actors`` finds them in folded text; ``assign_roles`` picks the attacker
(actor1) and the target (actor2) of a trigger from the way news sentences are built:
- a nisba right after an Arabic trigger or weapon word, or right before an English one,
  is the attacker ("قصف تركي", "مسيرة إسرائيلية", "Turkish drone", "Israeli artillery");
- "by X", "من قبل X", "نفذه X", "X claimed" mark the attacker;
- "on / against / targeting X", "ضد X", "نقاط لـX" (the ل clitic), and a nisba after a
  base or troops word ("القواعد الأميركية", "US base") mark the target;
- otherwise the subject: the name nearest before an English trigger, or right after an
  Arabic verbal trigger (VSO), or before it (SVO).
``unidentified`` names the attacker when the text names none.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .lexicon import Matcher, load_yaml

UNIDENTIFIED = "Unidentified Armed Group"


@dataclass(slots=True)
class Actor:
    id: str
    name: str
    inter: int
    country: str = ""
    family: str = ""
    assoc: str = ""
    refers_back: bool = False
    target_only: bool = False
    unidentified: bool = False  # the text says the attacker is unknown ("غارة مجهولة")


@dataclass(slots=True)
class ActorMention:
    start: int  # folded offsets
    end: int
    actor: Actor
    adjective: bool
    prefix: str = ""


@functools.lru_cache(maxsize=1)
def actors() -> dict[str, Actor]:
    out = {}
    for spec in load_yaml("actors.yaml")["actors"]:
        out[spec["id"]] = Actor(
            id=spec["id"], name=spec.get("name") or "", inter=int(spec["inter"]), country=spec.get("country", ""),
            family=spec.get("family", ""), assoc=spec.get("assoc", ""), refers_back=bool(spec.get("refers_back")),
            target_only=bool(spec.get("target_only")), unidentified=bool(spec.get("unidentified")),
        )
    return out


@functools.lru_cache(maxsize=1)
def _matcher() -> tuple[Matcher, set[str]]:
    entries = []
    short = set()
    for spec in load_yaml("actors.yaml")["actors"]:
        for lang in ("ar", "en"):
            for term in (spec.get("names") or {}).get(lang) or []:
                entries.append((term, (spec["id"], False)))
                if lang == "en" and len(term.replace(".", "")) <= 4 and " " not in term:
                    short.add(term.lower())
            for term in (spec.get("adjectives") or {}).get(lang) or []:
                entries.append((term, (spec["id"], True)))
                if lang == "en" and len(term.replace(".", "")) <= 4 and " " not in term:
                    short.add(term.lower())
    return Matcher(entries), short


def find_actors(folded: str, original_span, start: int = 0, end: int | None = None, hits=None) -> list[ActorMention]:
    """Actor mentions in folded text. ``original_span(s, e)`` gives the original text of a
    folded span: short Latin abbreviations (US, SDF, IOF) must be upper case there."""
    matcher, short = _matcher()
    table = actors()
    out = []
    for h in hits if hits is not None else matcher.find(folded, start, end):
        aid, adjective = h.payload
        if h.term in short:
            orig = original_span(h.start, h.end)
            if not orig.replace(".", "").isupper():
                continue
        out.append(ActorMention(h.start, h.end, table[aid], adjective, h.prefix))
    return _drop_place_phrases(folded, out)


@functools.lru_cache(maxsize=1)
def _place_phrase_res() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    from .folding import fold

    d = load_yaml("actors.yaml").get("place_phrases") or {}

    def alt(words):
        return "|".join(sorted({re.escape(fold(w).lower()) for w in words}, key=len, reverse=True)) or "(?!)"

    before_ar, before_en = alt(d.get("before", {}).get("ar") or []), alt(d.get("before", {}).get("en") or [])
    after_en, not_after = alt(d.get("after", {}).get("en") or []), alt(d.get("not_after", {}).get("en") or [])
    # Up to two other nisbas may stand between ("الحدود السورية العراقية": السورية is no actor),
    # or up to three names joined by و ("المثلث الحدودي بين سوريا والعراق والأردن").
    before = re.compile(rf"(?:(?<!\w)[وفبلك]?(?:{before_ar})|\b(?:{before_en}))\s+(?:the\s+)?"
                        rf"(?:[\u0621-\u064a]{{2,}}يه?\s+){{0,2}}(?:[\u0621-\u064a]{{2,}}\s+و){{0,3}}$")
    after = re.compile(rf"\s*(?:{after_en})\b")
    return before, after, re.compile(rf"\s*(?:{not_after})\b")


# What joins the names of a chain: "السورية العراقية", "Syrian-Iraqi", "Syria and Iraq".
_CHAIN_GAP_RE = re.compile(r"\s*(?:[-–/]|\s(?:and|و)(?=\s)|\sو(?=\S))?\s*")


def _drop_place_phrases(folded: str, mentions: list[ActorMention]) -> list[ActorMention]:
    """Mentions that are not inside a place phrase ("الحدود السورية العراقية", "Iraqi territory")."""
    if not mentions:
        return mentions
    before, after, not_after = _place_phrase_res()
    ordered = sorted(mentions, key=lambda m: m.start)
    chains: list[list[ActorMention]] = []
    for m in ordered:
        if chains and _CHAIN_GAP_RE.fullmatch(folded, chains[-1][-1].end, m.start):
            chains[-1].append(m)
        else:
            chains.append([m])
    drop: set[int] = set()
    for chain in chains:
        first, last = chain[0], chain[-1]
        if before.search(folded, max(0, first.start - 40), first.start) or (
            after.match(folded, last.end) and not not_after.match(folded, last.end)
        ):
            drop.update(id(m) for m in chain)
    return [m for m in mentions if id(m) not in drop] if drop else mentions


def resolve_references(mentions: list[ActorMention]) -> list[ActorMention]:
    """Replace "the resistance" / "the group" by the last named actor of the same family."""
    last_by_family: dict[str, Actor] = {}
    last_nonstate: Actor | None = None
    out = []
    for m in mentions:
        a = m.actor
        if a.refers_back:
            if a.family == "any_nonstate":
                if last_nonstate is None:
                    continue
                m = ActorMention(m.start, m.end, last_nonstate, m.adjective, m.prefix)
            elif a.family in last_by_family:
                m = ActorMention(m.start, m.end, last_by_family[a.family], m.adjective, m.prefix)
        else:
            last_by_family[a.family] = a
            if a.inter in (2, 3, 4) and not a.unidentified:
                last_nonstate = a
        out.append(m)
    return out


_TARGET_BEFORE = re.compile(
    r"(?:\b(?:on|against|targeting|targeted|target|at|of|hit|struck|killing|killed|wounding|injuring)\s+(?:the\s+|a\s+|an\s+|two\s+|three\s+|four\s+|\d+\s+)?(?:\w+\s+)?"
    r"|(?:ضد|على|نقاط|نقطه|مواقع|موقع|مقرات|مقر|عناصر|مقاتلي|صفوف|قاعده|قواعد|جنود|افراد|دوريه|رتل|قافله|سياره)\s+(?:\S+\s+)?)$"
)
_ATTACKER_BEFORE = re.compile(
    r"(?:\bby\s+(?:the\s+)?|من\s+قبل\s+|نفذه\s+|نفذها\s+|شنه\s+|شنها\s+|تبنت\s+|تبنى\s+|بها\s+"
    r"|(?<!\w)[وف]?(?:اعلن|اعلنت|يعلن|تعلن)\s+)$"  # "أعلن حزب الله استهداف ...": the claimant
)
_ATTACKER_AFTER = re.compile(r"^[\s,]*(?:claimed|said it (?:had )?(?:carried out|struck|targeted|attacked)|has claimed)")
_TARGET_NOUNS_BEFORE = re.compile(
    r"(?:قاعده|قواعد|القاعده|القواعد|قاعدتي|نقاط|نقطه|مواقع|موقع|الموقع|ثكنه|مستوطنه|مقر|مقرات|تجمع|مركز|جنود|قوات|افراد|مستشارين"
    r"|سفاره|قنصليه|دوريه|رتل|مصالح|الاحتلال)\s*(?:\S+\s+)?$"
)
_TARGET_NOUNS_AFTER = re.compile(r"^\s*(?:base|bases|troops|soldiers|forces|personnel|positions|military|embassy|consulate|patrol|convoy|outpost|garrison|service members|interests)\b")


_PASSIVE_AFTER = re.compile(
    r"^\s*(?:[\w'-]+\s+){0,2}(?:was|were|has been|have been|had been|came under|come under)\s+(?:\w+\s+)?"
    r"(?:killed|attacked|targeted|hit|struck|wounded|injured|shelled|ambushed|bombed|fire|attack)"
)
_UNDERGOES_BEFORE = re.compile(r"(?:تعرض|تعرضت|تتعرض|يتعرض)\s+(?:\S+\s+)?$")
# Further back in the same sentence, before the attack noun: "تعرضت قاعدة التنف التي تتمركز
# فيها قوات التحالف ... لهجوم" — whoever is named between the verb and the attack was hit.
_UNDERGOES_EARLIER = re.compile(r"(?:تعرض|تعرضت|تتعرض|يتعرض)\s[^.!?؟]*$")


def assign_roles(folded: str, trigger_start: int, trigger_end: int, weapon_spans: list[tuple[int, int]],
                 mentions: list[ActorMention], arabic: bool) -> tuple[ActorMention | None, ActorMention | None]:
    """(attacker, target) among ``mentions`` (those of the trigger's sentence)."""
    roles: list[tuple[ActorMention, str]] = []
    anchors = [(trigger_start, trigger_end)] + weapon_spans
    for m in mentions:
        before = folded[max(0, m.start - 40):m.start]
        after = folded[m.end:m.end + 30]
        role = "neutral"
        if m.actor.target_only:
            role = "target"
        elif _ATTACKER_BEFORE.search(before) or _ATTACKER_AFTER.search(after):
            role = "attacker"
        elif m.adjective:
            attached = False
            for s, e in anchors:
                gap = folded[e:m.start] if arabic else folded[m.end:s]
                if (arabic and 0 <= m.start - e <= 25 or not arabic and 0 <= s - m.end <= 25) and len(gap.split()) <= 2:
                    attached = True
            # "القواعد الأميركية", "US base": a nisba on a base or troops word is the target.
            if (arabic and _TARGET_NOUNS_BEFORE.search(before)) or (not arabic and _TARGET_NOUNS_AFTER.search(after)):
                role = "target"
            elif attached:
                role = "attacker"
        elif m.prefix.endswith("ل") and arabic:
            # "قصف مدفعي لقوات النظام": ل right after the attack noun names who did it;
            # "نقاط لقوات قسد" (after a target noun) names whose positions were hit.
            role = "target"
            for s, e in anchors:
                if 0 <= m.start - e <= 25 and len(folded[e:m.start].split()) <= 2 and not _TARGET_NOUNS_BEFORE.search(before):
                    role = "attacker"
        elif _PASSIVE_AFTER.search(after) or (arabic and _UNDERGOES_BEFORE.search(before)):
            role = "target"  # "US troops were attacked", "تعرضت القوات الأميركية لهجوم"
        elif arabic and m.end <= trigger_start and _UNDERGOES_EARLIER.search(folded, max(0, m.start - 80), m.start):
            role = "target"
        elif (_TARGET_BEFORE.search(before) and m.start > trigger_start) or (
            not arabic and _TARGET_NOUNS_AFTER.search(after) and m.start > trigger_start
        ):
            role = "target"
        roles.append((m, role))

    def dist(m: ActorMention) -> int:
        d = m.start - trigger_end if m.start >= trigger_end else trigger_start - m.end
        # Subjects: before an English trigger, right after an Arabic verbal trigger.
        if not arabic and m.end <= trigger_start:
            d -= 10
        return d

    attackers = [m for m, r in roles if r == "attacker"]
    neutrals = [m for m, r in roles if r == "neutral"]
    targets = [m for m, r in roles if r == "target"]
    attacker = min(attackers, key=dist) if attackers else (min(neutrals, key=dist) if neutrals else None)
    rest = [m for m in targets if attacker is None or m.actor.name != attacker.actor.name]
    if not rest:
        rest = [m for m in neutrals if attacker is None or m.actor.name != attacker.actor.name]
    target = min(rest, key=dist) if rest else None
    return attacker, target


def inter_for(actor: Actor, event_country: str) -> int:
    """ACLED inter code: a state's forces outside their own country are external (8)."""
    if actor.inter == 1 and actor.country and event_country and actor.country != event_country:
        return 8
    return actor.inter
