"""Screenshots of the editors' admin (event change page, review queue, history) with headless Chromium.

    .venv/bin/python scripts/admin_screenshots.py [--out docs/screenshots]

Runs on its own throw-away SpatiaLite database in a temporary directory (whatever
DATABASE_URL says is ignored, nothing is written to a real database), with sample events
stored through ``events.services.store_extraction``, a live server on 127.0.0.1 and an
editor who logs in through the login form. Map tiles are switched off (no network).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ARABIC = (
    "أفادت مصادر أمنية عراقية بأن طائرة مسيرة استهدفت فجر اليوم الجمعة قاعدة حرير الجوية شمال محافظة أربيل، "
    "ما أدى إلى مقتل جنديين وإصابة ثلاثة آخرين. وتبنت \"المقاومة الإسلامية في العراق\" الهجوم في بيان، "
    "وقالت إنها استهدفت القاعدة بطائرتين مسيرتين.\n\n"
    "وتضم القاعدة قوات أمريكية ضمن التحالف الدولي، ولم يصدر تعليق فوري من التحالف."
)
ENGLISH = (
    "ERBIL, Iraq (news) - A drone attack hit Harir air base north of Erbil early on Friday, killing two soldiers "
    "and wounding three, Iraqi security sources said. The Islamic Resistance in Iraq, an umbrella of "
    "Iran-aligned armed groups, claimed the attack on the base, which hosts US-led coalition troops.\n\n"
    "The coalition did not immediately comment."
)
PASSWORD = "screenshots-only-password"


def setup_django(var_dir: str) -> None:
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"):
        os.environ.pop(name, None)
    os.environ["CONFLICTMAP_VAR_DIR"] = var_dir
    os.environ["TILE_URL"] = ""  # no network here: the map draws without tiles
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictmap.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def sample_data():
    """Two articles (Arabic and English) reporting one strike, and a few other events."""
    from django.contrib.auth.models import Group, User
    from django.contrib.gis.geos import Point

    from events import acled
    from events.models import Event, Site
    from events.services import store_extraction
    from ingest.extraction.types import Evidence, ExtractedEvent, ExtractedSite, Extraction
    from ingest.models import Article

    editor = User.objects.create_user("editor", password=PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    Site.objects.create(slug="harir-air-base", name_en="Harir Air Base", name_ar="قاعدة حرير الجوية",
                        kind=Site.Kind.AIRBASE, country="IQ", operator="US-led coalition",
                        point=Point(44.3622, 36.5363, srid=4326))

    def ev(text, needles, **fields):
        evidence = []
        for field, needle in needles:
            start = text.index(needle)
            evidence.append(Evidence(field=field, start=start, end=start + len(needle), text=needle))
        base = dict(event_date=date(2024, 1, 19), time_precision=1, event_type="Explosions/Remote violence",
                    sub_event_type="Air/drone strike", actor1="Islamic Resistance in Iraq", inter1=3,
                    actor2="Military Forces of the United States", inter2=8, location="Harir", country="IQ",
                    admin1="Erbil", latitude=36.5363, longitude=44.3622, weapon="drone",
                    target="Harir air base (US-led coalition)", fatalities=2, injured=3,
                    site_slug="harir-air-base", confidence=0.55, quote=text[:160], quote_start=0, quote_end=160,
                    evidence=evidence)
        base.update(fields)
        return ExtractedEvent(**base)

    def article(n, text, title, language):
        return Article.objects.create(title=title, text=text, language=language, outlet=f"Outlet {n}",
                                      url=f"https://news.example/{n}", canonical_url=f"https://news.example/{n}",
                                      content_hash=f"sample-{n}", status=Article.Status.FETCHED,
                                      published=datetime(2024, 1, 19, 9, tzinfo=timezone.utc))

    site = ExtractedSite(name="Harir Air Base", kind="airbase", slug="harir-air-base", country="IQ")
    ar = article(1, ARABIC, "مسيرة تستهدف قاعدة حرير شمال أربيل", "ar")
    store_extraction(article=ar, extraction=Extraction(events=[ev(ARABIC, [
        ("sub_event_type", "طائرة مسيرة استهدفت"), ("event_date", "فجر اليوم الجمعة"),
        ("location", "قاعدة حرير الجوية"), ("fatalities", "مقتل جنديين"), ("injured", "إصابة ثلاثة"),
        ("actor1", "المقاومة الإسلامية في العراق")])], sites=[site], version="sample"))
    en = article(2, ENGLISH, "Drone attack hits Harir base near Erbil", "en")
    store_extraction(article=en, extraction=Extraction(events=[ev(ENGLISH, [
        ("sub_event_type", "A drone attack"), ("event_date", "early on Friday"), ("location", "Harir air base"),
        ("fatalities", "killing two soldiers"), ("injured", "wounding three"),
        ("actor1", "The Islamic Resistance in Iraq")], confidence=0.7)], sites=[site], version="sample"))

    others = [
        ("Shelling/artillery/missile attack", "Ain al-Asad", 33.80, 42.44, 0.35, "Unidentified Armed Group", 0),
        ("Air/drone strike", "Al-Omar oil field", 35.05, 40.53, 0.45, "Islamic Resistance in Iraq", None),
        ("Remote explosive/landmine/IED", "Tarmiyah", 33.67, 44.39, 0.8, "ISIS", 3),
        ("Armed clash", "Dhiban", 35.15, 40.30, 0.6, "SDF", 4),
    ]
    for n, (sub, loc, lat, lon, conf, actor, dead) in enumerate(others, start=3):
        text = f"Reports of an attack at {loc}. " * 3
        a = article(n, text, f"Attack at {loc}", "en")
        store_extraction(article=a, extraction=Extraction(events=[ev(text, [("location", loc)], sub_event_type=sub,
                         event_type=acled.event_type_for(sub), location=loc,
                         latitude=lat, longitude=lon, confidence=conf, actor1=actor, fatalities=dead, site_slug="",
                         admin1="", target="", injured=None, event_date=date(2024, 1, 20 + n % 5))],
                         sites=[], version="sample"))
    from events.services import update_event_by_editor

    harir = Event.objects.get(location="Harir")
    update_event_by_editor(event=harir, changes={"notes": "Two outlets, Arabic and English; claim by the IRI."},
                           user=editor)
    return harir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="cm-screenshots-") as var_dir:
        setup_django(var_dir)
        event = sample_data()

        from django.conf import settings
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.test.testcases import LiveServerThread
        from playwright.sync_api import sync_playwright

        from tests.harness import CHROMIUM_ARGS

        server = LiveServerThread("127.0.0.1", StaticFilesHandler)
        server.daemon = True
        server.start()
        server.is_ready.wait(10)
        if server.error:
            raise server.error
        base = f"http://127.0.0.1:{server.port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=settings.CHROMIUM_PATH, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                errors: list[str] = []
                # Script errors and CSP refusals; failed loads are reported by URL just below.
                page.on("console", lambda m: m.type == "error" and "Failed to load resource" not in m.text
                        and errors.append(m.text))
                page.on("response", lambda r: r.status >= 400 and not r.url.endswith("/favicon.ico")
                        and errors.append(f"{r.status} {r.url}"))
                page.goto(f"{base}/admin/login/?next=/admin/")
                page.fill("#id_username", "editor")
                page.fill("#id_password", PASSWORD)
                page.click("input[type=submit]")
                page.wait_for_url(f"{base}/admin/")

                page.goto(f"{base}/admin/events/reviewqueueevent/")
                page.evaluate("document.getElementById('toggle-nav-sidebar').click()")  # more room for the columns (remembered by the browser)
                page.screenshot(path=str(out / "admin-review-queue.png"), full_page=True)

                page.goto(f"{base}/admin/events/event/{event.pk}/change/")
                page.wait_for_selector(".leaflet-marker-icon", timeout=10000)
                page.screenshot(path=str(out / "admin-event-change.png"), full_page=True)

                page.goto(f"{base}/admin/events/event/{event.pk}/history/")
                page.screenshot(path=str(out / "admin-event-history.png"), full_page=True)
                browser.close()
        finally:
            server.terminate()
        for line in errors:
            print("browser console error:", line, file=sys.stderr)
    print(f"wrote admin-event-change.png, admin-review-queue.png and admin-event-history.png in {out}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
