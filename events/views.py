"""Pages: the map."""
from django.shortcuts import render


def home(request):
    return render(request, "events/map.html")
