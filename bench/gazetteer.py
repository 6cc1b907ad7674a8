"""Benchmark: gazetteer load time, names matched per second, peak memory.

    .venv/bin/python bench/gazetteer.py [--words 3000] [--rounds 50]

Prints the time to build the bundled gazetteer (and the one from the database when
DATABASE_URL points at one with loaded places), then runs ``mentions`` and ``locate`` on a
~3,000-word text mixing Arabic and English, and reports names matched per second, words
per second and the peak resident memory of the process.

The text is composed here from sentences written for this benchmark with place names
drawn from the gazetteer itself (Arabic and English names of towns, governorates and
sites), plus the everyday words that must not match. Nothing is copied from articles.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AR_FRAMES = [
    "أفادت مصادر محلية اليوم بأن غارات جوية استهدفت مواقع في محيط {p} وأسفرت عن إصابة عدد من العناصر.",
    "وقالت المصادر إن طائرة مسيرة قصفت {s} فجر الخميس دون وقوع إصابات بحسب ما ذكرته وكالة محلية.",
    "واندلعت اشتباكات عنيفة على بعد 15 كم جنوب {p} بين مجموعات مسلحة وقوات الأمن.",
    "وسقطت قذائف صاروخية في ريف {p} الشرقي، وأكد ناشطون أن القصف طال منازل المدنيين.",
    "ويأتي ذلك بعد أيام من تصعيد متواصل في المنطقة، وسط تبادل للاتهامات بين الأطراف.",
    "ونفى متحدث عسكري أن تكون قواته قد استهدفت أي مواقع في {p}، مؤكداً التزامها بالتهدئة.",
    "وشهدت {p} حركة نزوح للسكان نحو القرى المجاورة خلال الأيام الماضية.",
]
EN_FRAMES = [
    "Local sources said on Friday that airstrikes hit positions near {p}, wounding several fighters.",
    "A drone struck {s} before dawn on Thursday, causing no casualties, a local agency reported.",
    "Heavy clashes broke out 15 km south of {p} between armed groups and security forces.",
    "Rockets landed in the countryside of {p}, and activists said the shelling damaged homes.",
    "The escalation comes after days of tension in the area, with both sides trading accusations.",
    "A military spokesman denied that his forces had targeted any positions in {p}.",
    "Residents of {p} fled towards nearby villages over the past few days.",
]


def build_text(gaz, words: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    towns = [e for e in gaz.entries if e.kind in ("city", "town") and e.lat is not None and e.country in ("SY", "IQ", "LB", "YE", "JO")]
    sites = [e for e in gaz.entries if e.is_site and e.lat is not None and e.country in ("SY", "IQ", "LB", "YE")]
    parts: list[str] = []
    count = 0
    while count < words:
        arabic = rng.random() < 0.5
        frame = rng.choice(AR_FRAMES if arabic else EN_FRAMES)
        town = rng.choice(towns)
        site = rng.choice(sites)
        p = (town.name_ar or town.name) if arabic else town.name
        s = (site.name_ar or site.name) if arabic else site.name
        sentence = frame.format(p=p, s=s)
        parts.append(sentence)
        count += len(sentence.split())
    return "\n\n".join(" ".join(parts[i:i + 4]) for i in range(0, len(parts), 4))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def db_load_time() -> str:
    if not os.environ.get("DATABASE_URL"):
        return "not measured (DATABASE_URL not set)"
    try:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictmap.settings")
        django.setup()
        from events.models import Place

        from ingest.geocoding import gazetteer_from_db

        if not Place.objects.exists():
            return "not measured (no places loaded: run manage.py load_gazetteer)"
        started = time.perf_counter()
        gaz = gazetteer_from_db()
        return f"{time.perf_counter() - started:.2f} s ({len(gaz):,} entries)"
    except Exception as exc:  # the bench reports, it does not fail
        return f"not measured ({exc.__class__.__name__}: {exc})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()

    from ingest.extraction.gazetteer import Gazetteer
    from ingest.extraction.gazetteer_data import bundled_entries

    started = time.perf_counter()
    entries = bundled_entries()
    read = time.perf_counter() - started
    gaz = Gazetteer(entries)
    built = time.perf_counter() - started
    Gazetteer._bundled = gaz
    print(f"bundled gazetteer: {len(gaz):,} entries, {built:.2f} s to load ({read:.2f} s reading files, "
          f"{built - read:.2f} s building the automaton)")
    print(f"database gazetteer: {db_load_time()}")

    text = build_text(gaz, args.words)
    n_words = len(text.split())
    n_names = len(gaz.mentions(text))
    gaz._last = None

    started = time.perf_counter()
    for _ in range(args.rounds):
        gaz._last = None  # a new article each round
        gaz.mentions(text)
    elapsed = time.perf_counter() - started
    print(f"mentions: {n_words:,}-word text, {n_names} names found; "
          f"{n_names * args.rounds / elapsed:,.0f} names/s, {n_words * args.rounds / elapsed:,.0f} words/s, "
          f"{elapsed / args.rounds * 1000:.1f} ms per text")

    started = time.perf_counter()
    for _ in range(args.rounds):
        gaz._last = None
        context = gaz.context_for(text)
        located = gaz.locate(text, context=context)
    elapsed = time.perf_counter() - started
    print(f"context_for + locate (whole text): {len(located)} locations; "
          f"{n_names * args.rounds / elapsed:,.0f} names/s, {elapsed / args.rounds * 1000:.1f} ms per text")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
