"""The public API's routes (included under /api/ by conflictmap/urls.py)."""
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from events.api import views

urlpatterns = [
    path("events/", views.EventListView.as_view(), name="api-events"),
    path("events.csv", views.EventCSVView.as_view(), name="api-events-csv"),
    path("events/<int:pk>/", views.EventDetailView.as_view(), name="api-event-detail"),
    path("timeline/", views.TimelineView.as_view(), name="api-timeline"),
    path("sites/", views.SiteListView.as_view(), name="api-sites"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
