/* The embeddable map (/embed/) and what the PNG snapshot photographs.
 *
 * Options come from the json_script element #map-options (written by events/embed.py):
 * interactive or static, slider, legend, language, the view's query string. When the main
 * page's script (static/js/map.js) offers `window.ConflictMap.mount(options)`, the embed
 * uses it, so both pages draw the same markers, popups and slider. Otherwise this file
 * draws a compact map itself: country outlines, optional tiles, one circle per event.
 *
 * When the markers are drawn, <body data-ready="1"> tells the snapshot renderer (and the
 * tests) that the picture is complete; "error" when the data could not be loaded.
 * Text from the data is only ever set with textContent.
 */
(function () {
  'use strict';

  var optionsEl = document.getElementById('map-options');
  var options = optionsEl ? JSON.parse(optionsEl.textContent) : {};
  var body = document.body;

  // Colours by sub-event type (the legend's swatches get the same ones).
  var COLOURS = {
    'Air/drone strike': '#d7301f',
    'Shelling/artillery/missile attack': '#f16913',
    'Remote explosive/landmine/IED': '#8c2d04',
    'Suicide bomb': '#67000d',
    'Grenade': '#fd8d3c',
    'Chemical weapon': '#54278f',
    'Armed clash': '#2171b5',
    'Attack': '#ae017e',
    'Abduction/forced disappearance': '#7a0177',
    'Government regains territory': '#08519c',
    'Non-state actor overtakes territory': '#6baed6'
  };
  var OTHER = '#525252';

  function colour(type) { return COLOURS[type] || OTHER; }

  function ready(value) { body.setAttribute('data-ready', value); }

  function paramsOf(query) { return new URLSearchParams(query || ''); }

  function colourLegend(palette) {
    var items = document.querySelectorAll('#embed-legend li[data-type]');
    for (var i = 0; i < items.length; i++) {
      var swatch = items[i].querySelector('.swatch');
      var type = items[i].getAttribute('data-type');
      if (swatch) swatch.style.background = (palette && palette[type]) || colour(type);
    }
  }

  // --- The main page's map script, when it can be mounted in another page --------------
  if (window.ConflictMap && typeof window.ConflictMap.mount === 'function') {
    try {
      var mounted = window.ConflictMap.mount(document.getElementById('map'), options);
      colourLegend(window.ConflictMap.colours || null);
      var whenDrawn = mounted && mounted.ready;
      if (whenDrawn && typeof whenDrawn.then === 'function') {
        whenDrawn.then(function () { ready('1'); }, function () { ready('error'); });
      }
      return;
    } catch (err) {
      if (window.console) console.error('conflictmap embed: the map script failed, drawing a simple map', err);
    }
  }

  // --- A compact map of its own ------------------------------------------------------------
  colourLegend(null);
  if (typeof L === 'undefined') { ready('error'); return; }

  var params = paramsOf(options.query);
  var interactive = !!options.interactive;
  var map = L.map('map', {
    zoomControl: interactive,
    dragging: interactive,
    scrollWheelZoom: false,
    doubleClickZoom: interactive,
    boxZoom: interactive,
    keyboard: interactive,
    touchZoom: interactive,
    tap: interactive,
    zoomAnimation: interactive,
    fadeAnimation: interactive,
    markerZoomAnimation: interactive,
    attributionControl: false,
    preferCanvas: true
  });

  // The view: centre and zoom from the URL, else fitted to the events, else the region.
  var lat = parseFloat(params.get('lat')), lng = parseFloat(params.get('lng') || params.get('lon'));
  var zoom = parseInt(params.get('zoom') || params.get('z'), 10);
  var centre = params.get('center') || params.get('c');
  if (centre && centre.indexOf(',') > 0) {
    var parts = centre.split(',');
    lat = parseFloat(parts[0]); lng = parseFloat(parts[1]);
  }
  var hasView = isFinite(lat) && isFinite(lng) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180;
  if (!isFinite(zoom) || zoom < 1 || zoom > 18) zoom = hasView ? 6 : (options.zoom || 5);
  map.setView(hasView ? [lat, lng] : (options.center || [33.5, 40.0]), zoom, { animate: false });

  if (options.tileUrl) {
    L.tileLayer(options.tileUrl, { maxZoom: 18, crossOrigin: true }).addTo(map);
  }

  function loadOutlines() {
    if (typeof topojson === 'undefined' || !options.outlineUrl) return Promise.resolve();
    return fetch(options.outlineUrl)
      .then(function (r) { if (!r.ok) throw new Error('outlines ' + r.status); return r.json(); })
      .then(function (world) {
        var land = topojson.feature(world, world.objects.countries);
        L.geoJSON(land, {
          interactive: false,
          style: { color: '#8a96a3', weight: 1, fillColor: '#f4f1ea', fillOpacity: 1 }
        }).addTo(map);
      })
      .catch(function () { /* the map still shows the events */ });
  }

  function apiUrl() {
    var q = new URLSearchParams();
    ['start', 'end', 'sub_event_type', 'actor', 'country', 'status', 'min_confidence', 'site', 'bbox'].forEach(function (k) {
      params.getAll(k).forEach(function (v) { q.append(k, v); });
    });
    q.set('format', 'geojson');
    return (options.api || '/api/') + 'events/?' + q.toString();
  }

  function popupFor(props, id) {
    var box = document.createElement('div');
    var title = document.createElement('strong');
    title.textContent = props.sub_event_type || '';
    box.appendChild(title);
    var line = document.createElement('div');
    line.textContent = [props.event_date, props.location].filter(Boolean).join(' · ');
    box.appendChild(line);
    if (options.fullUrl) {
      var link = document.createElement('a');
      var full = new URL(options.fullUrl);
      full.searchParams.set('event', String(id));
      link.href = full.toString();
      link.target = '_blank';
      link.rel = 'noopener';
      link.textContent = '↗';
      box.appendChild(link);
    }
    return box;
  }

  function drawEvents(collection) {
    var layer = L.featureGroup();
    (collection.features || []).forEach(function (f) {
      if (!f.geometry || f.geometry.type !== 'Point') return;
      var c = f.geometry.coordinates;
      var props = f.properties || {};
      var marker = L.circleMarker([c[1], c[0]], {
        radius: 7, weight: 1.5, color: '#ffffff', fillColor: colour(props.sub_event_type),
        fillOpacity: 0.9, interactive: interactive, className: 'embed-marker'
      });
      if (interactive) marker.bindPopup(function () { return popupFor(props, f.id); });
      layer.addLayer(marker);
    });
    layer.addTo(map);
    body.setAttribute('data-markers', String(layer.getLayers().length));
    if (!hasView && layer.getLayers().length) {
      map.fitBounds(layer.getBounds().pad(0.3), { maxZoom: 8, animate: false });
    }
  }

  loadOutlines()
    .then(function () { return fetch(apiUrl(), { headers: { Accept: 'application/geo+json' } }); })
    .then(function (r) { if (!r.ok) throw new Error('events ' + r.status); return r.json(); })
    .then(function (data) {
      drawEvents(data);
      // Let the browser paint the markers before saying the picture is complete.
      window.requestAnimationFrame(function () { window.requestAnimationFrame(function () { ready('1'); }); });
    })
    .catch(function (err) {
      if (window.console) console.error('conflictmap embed:', err);
      ready('error');
    });
})();
