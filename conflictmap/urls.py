from django.contrib import admin
from django.urls import include, path

from conflictmap.health import healthz
from events import views as event_views

urlpatterns = [
    path("", event_views.home, name="home"),
    path("jsi18n/", event_views.jsi18n, name="javascript-catalog"),
    path("api/", include("events.urls")),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# For journalists: /embed/ and /snapshot.png (events/urls_embed.py).
urlpatterns += [path("", include("events.urls_embed"))]
