"""Benchmark: extraction speed on one core and peak memory with the full gazetteer loaded.

    .venv/bin/python bench/extraction.py [--articles 400] [--seed 7]

Builds a corpus of realistic 500-1,500-word articles in Arabic and English by composing
sentences written for this benchmark (attack reports with dates, places, actors and
casualties, reporting and attribution, background paragraphs, quotes, denials, threats).
Nothing is copied from real articles. The gazetteer is loaded before timing; only
``extract`` is timed. Prints articles/second, words/second and peak RSS.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import random
import resource
import sys
import time
from datetime import date, timedelta

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AR_PLACES = ["دير الزور", "الميادين", "البوكمال", "الرقة", "حلب", "إدلب", "تلبيسة", "أربيل", "كركوك", "الموصل", "سنجار",
             "مخمور", "القامشلي", "عين العرب", "منبج", "الخيام", "بنت جبيل", "درعا", "حماة", "حمص", "اللاذقية", "بعقوبة"]
AR_SITES = ["قاعدة عين الأسد", "قاعدة حرير", "قاعدة التنف", "حقل العمر النفطي", "قاعدة الشدادي", "مطار خراب الجير", "مطار حماة العسكري"]
EN_PLACES = ["Deir ez-Zor", "al-Mayadin", "Albu Kamal", "Raqqa", "Aleppo", "Idlib", "Talbiseh", "Erbil", "Kirkuk", "Mosul",
             "Sinjar", "Makhmour", "Qamishli", "Kobani", "Manbij", "Khiam", "Bint Jbeil", "Daraa", "Hama", "Homs", "Latakia", "Baquba"]
EN_SITES = ["Ain al-Asad air base", "Harir air base", "al-Tanf garrison", "al-Omar oil field", "al-Shaddadi base", "Hama Air Base"]
AR_ACTORS = ["الطائرات الحربية الروسية", "مسيرة تركية", "المقاومة الإسلامية في العراق", "تنظيم داعش", "قوات النظام", "الجيش الإسرائيلي", "طائرات التحالف الدولي"]
EN_ACTORS = ["Russian warplanes", "a Turkish drone", "the Islamic Resistance in Iraq", "Islamic State militants", "Syrian government forces",
             "the Israeli army", "US-led coalition aircraft"]
AR_DAYS = ["اليوم الجمعة", "أمس الخميس", "فجر اليوم", "مساء الأربعاء", "في الـ 12 من تشرين الأول/أكتوبر", "ليل الثلاثاء", "يوم السبت"]
EN_DAYS = ["on Friday", "yesterday", "early on Thursday", "late Wednesday night", "on Oct. 12", "overnight", "on Saturday"]

AR_EVENT = [
    "أفادت مصادر محلية، {day}، بأن {actor} شنت غارات جوية استهدفت مواقع في محيط {place}، ما أدى إلى مقتل {n} عناصر وإصابة {m} آخرين.",
    "وقال مصدر أمني إن {actor} استهدفت {site} بصواريخ {day}، دون وقوع إصابات.",
    "وتعرضت {site} لهجوم بطائرة مسيرة {day}، بحسب ما ذكرته وكالة محلية.",
    "قصفت المدفعية {day} قرى وبلدات في ريف {place}، وأفاد ناشطون بسقوط {n} قتلى بينهم أطفال.",
    "واندلعت اشتباكات عنيفة {day} بين {actor} ومسلحين في بلدة قرب {place}.",
    "وانفجرت عبوة ناسفة بدورية عسكرية على الطريق الواصل إلى {place} {day}، ما أسفر عن مقتل جنديين.",
]
AR_FILLER = [
    "وتشهد المنطقة توترا أمنيا متزايدا منذ مطلع العام، في ظل تبادل الاتهامات بين الأطراف المتصارعة.",
    "ونفى متحدث عسكري أن تكون قواته قد استهدفت أي مواقع مدنية، مؤكدا أنها تلتزم بقواعد الاشتباك.",
    "وهدد قيادي في الفصيل بالرد على أي هجوم جديد، وقال إن قواته ستستهدف القواعد في حال استمرار التصعيد.",
    "وأكد المسؤول أن بلاده لا تسعى إلى الحرب، لكنها لن تقف مكتوفة الأيدي أمام الاعتداءات المتكررة.",
    "ووثقت منظمات حقوقية أكثر من 100 هجوم منذ بداية الشهر الماضي، معظمها بطائرات مسيرة.",
    "ويقول سكان إن الأسعار ارتفعت بشكل كبير خلال الأسابيع الأخيرة بسبب انقطاع الطرق وصعوبة نقل البضائع.",
    "وتواصل فرق الدفاع المدني عمليات البحث تحت الأنقاض، وسط مخاوف من ارتفاع حصيلة الضحايا.",
    "وكانت الأمم المتحدة قد دعت في بيان إلى وقف فوري للأعمال العدائية وحماية المدنيين والبنية التحتية.",
]
EN_EVENT = [
    "{actor} carried out airstrikes {day} on positions near {place}, killing {n} fighters and wounding {m} others, local sources said.",
    "Rockets were fired at {site} {day}, a security official told reporters, adding that no casualties were reported.",
    "A drone attack targeted {site} {day}, according to a statement by the group.",
    "Artillery shelling hit villages on the outskirts of {place} {day}, killing {n} civilians, including two children.",
    "Clashes broke out {day} between {actor} and gunmen in a village near {place}, a war monitor said.",
    "A roadside bomb struck a military patrol on the road to {place} {day}, killing two soldiers.",
]
EN_FILLER = [
    "Tensions have been rising in the area since the beginning of the year amid accusations traded between the warring parties.",
    "A military spokesman denied that his forces had targeted any civilian sites, saying they follow the rules of engagement.",
    "A commander of the group threatened to respond to any new attack and said his fighters would strike the bases if the escalation continued.",
    "The official said his country does not seek war, but will not stand idle in the face of repeated aggression.",
    "Rights groups have documented more than 100 attacks since the start of last month, most of them by drones.",
    "Residents say prices have risen sharply over recent weeks because roads were cut and goods are hard to move.",
    "Civil defence teams continued to search under the rubble amid fears that the death toll could rise.",
    "The United Nations called in a statement for an immediate halt to hostilities and for the protection of civilians and infrastructure.",
]


EVENT_SHARE = 0.2


def make_article(rng: random.Random, lang: str, published: date) -> dict:
    target_words = rng.randint(500, 1500)
    events, fillers = (AR_EVENT, AR_FILLER) if lang == "ar" else (EN_EVENT, EN_FILLER)
    places, sites, actors, days = (AR_PLACES, AR_SITES, AR_ACTORS, AR_DAYS) if lang == "ar" else (EN_PLACES, EN_SITES, EN_ACTORS, EN_DAYS)
    paragraphs, words = [], 0
    while words < target_words:
        para = []
        for _ in range(rng.randint(2, 4)):
            # About one sentence in five reports an attack (the dev articles have 2-11
            # events in ~2,000 characters; a 1,000-word article here has ~10).
            if rng.random() < EVENT_SHARE:
                s = rng.choice(events).format(
                    actor=rng.choice(actors), place=rng.choice(places), site=rng.choice(sites), day=rng.choice(days),
                    n=rng.randint(2, 30), m=rng.randint(1, 40),
                )
            else:
                s = rng.choice(fillers)
            para.append(s)
            words += len(s.split())
        paragraphs.append(" ".join(para))
    title = events[0].format(actor=actors[0], place=places[0], site=sites[0], day=days[0], n=3, m=4)[:120]
    return {"title": title, "text": "\n\n".join(paragraphs), "published": published, "language": lang, "words": words}


def _clock() -> float:
    # CPU time of this process: one core's work, unaffected by other processes sharing the
    # machine (wall-clock time is printed too).
    return time.process_time()


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    except (AttributeError, OSError):
        pass

    from ingest.extraction import ArticleInput, extract
    from ingest.extraction.gazetteer import Gazetteer

    rss_before = peak_rss_mb()
    t0 = _clock()
    gazetteer = Gazetteer.bundled()
    load_s = _clock() - t0

    rng = random.Random(args.seed)
    corpus = []
    for i in range(args.articles):
        lang = "ar" if i % 2 == 0 else "en"
        a = make_article(rng, lang, date(2024, 1, 1) + timedelta(days=rng.randint(0, 600)))
        corpus.append((ArticleInput(text=a["text"], title=a["title"], published=a["published"], language=lang, id=str(i)), a["words"]))

    extract(corpus[0][0], gazetteer)  # warm the lexicon caches
    events = 0
    wall0 = time.perf_counter()
    t0 = _clock()
    for article, _ in corpus:
        events += len(extract(article, gazetteer).events)
    elapsed = _clock() - t0
    wall = time.perf_counter() - wall0
    # The same corpus through the gazetteer's locate() alone, and through the extractor
    # with a gazetteer that finds nothing: where the time goes.
    t0 = _clock()
    for article, _ in corpus:
        gazetteer.locate(article.text, 0, len(article.text))
    locate_s = _clock() - t0

    class _NoPlaces:
        def locate(self, *args, **kwargs):
            return []

    t0 = _clock()
    for article, _ in corpus:
        extract(article, _NoPlaces())
    rules_s = _clock() - t0
    words = sum(w for _, w in corpus)
    print(f"articles: {len(corpus)} ({sum(1 for a, _ in corpus if a.language == 'ar')} Arabic, "
          f"{sum(1 for a, _ in corpus if a.language == 'en')} English), {words / len(corpus):.0f} words on average")
    print(f"gazetteer load: {load_s:.2f} s ({len(gazetteer)} entries)")
    print(f"extraction (CPU time, one core): {elapsed:.2f} s, {len(corpus) / elapsed:.1f} articles/s, "
          f"{words / elapsed:,.0f} words/s, {events} events (wall clock {wall:.2f} s)")
    print(f"  of which gazetteer.locate: {locate_s:.2f} s ({len(corpus) / locate_s:.1f} articles/s alone); "
          f"rules without places: {rules_s:.2f} s ({len(corpus) / rules_s:.1f} articles/s alone)")
    print(f"load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"peak RSS: {peak_rss_mb():.0f} MB (before loading the gazetteer: {rss_before:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
