"""Event extraction from Arabic and English conflict news (pure Python, no Django needed).

``extract(article, gazetteer=None)`` turns an ``ArticleInput`` into an ``Extraction``: the
events an ACLED coder would write down (type, date, place, actors, weapon, casualties,
each with evidence spans) and the military sites the article names. The rules live as
data in ``lexicons/``; ``EXTRACTOR_VERSION`` changes whenever they or the code change.
"""
from .pipeline import EXTRACTOR_VERSION, extract
from .types import ArticleInput, Evidence, ExtractedEvent, ExtractedSite, Extraction

__all__ = ["EXTRACTOR_VERSION", "extract", "ArticleInput", "Evidence", "ExtractedEvent", "ExtractedSite", "Extraction"]
