from django.conf import settings


def map_settings(request):
    """What every page needs to draw the map and credit its data."""
    return {
        "TILE_URL": settings.TILE_URL,
        "TILE_ATTRIBUTION": settings.TILE_ATTRIBUTION,
    }
