"""Routes for journalists: the embeddable map and PNG snapshots (included by conflictmap/urls.py)."""
from django.urls import path

from . import embed

urlpatterns = [
    path("embed/", embed.embed, name="embed"),
    path("embed/credit.json", embed.embed_credit, name="embed_credit"),
    path("embed/events.geojson", embed.export_geojson, name="embed_geojson"),
    path("snapshot.png", embed.snapshot, name="snapshot"),
]
