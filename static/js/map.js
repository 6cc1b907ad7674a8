/*
 * conflictmap: the map, its timeline slider, filters, list and popups.
 *
 * One script for the full page (templates/events/map.html) and for any other page that
 * shows the same view (the embed, the snapshot renderer). It reads its options from the
 * JSON element #map-options (json_script), creates the view and keeps it in
 * window.conflictmap. Another page can also call it itself:
 *
 *     var view = ConflictMap.create({ map: "map", timeline: "timeline", interactive: false, ... });
 *     view.on("ready", function () { ... });   // first data drawn (also <body data-ready="1">)
 *
 * Options (all optional; see DEFAULTS below):
 *   map, timeline, list, filters   element ids (or elements); a missing element = no such part
 *   interactive   false: a still picture (no dragging, zooming, popups on click)
 *   slider        false: no timeline even if the element exists
 *   legend        a legend control on the map (the embed draws its own: legendControl=false)
 *   syncUrl       write the view into the address bar (full page only)
 *   query         the view to open, as a query string (default: location.search)
 *   lang          "en" or "ar" (strings come from /jsi18n/, dates and numbers from Intl)
 *   editing, adminUrl   staff: "edit in admin" link in popups ("/admin/.../{id}/change/")
 *   tileUrl, tileAttribution, outlineUrl, topojsonUrl, api, maxFeatures
 *
 * The view's state is the URL's query string: start, end (the window), sub_event_type
 * (repeated), actor, country, status, min_confidence, site (the filters, named as in the
 * API), lat, lng, zoom (the map), event (the selected event), tl (the timeline's range).
 *
 * No inline script, no innerHTML with data: every text from the database is set with
 * textContent, and links are only http(s).
 */
(function (window, document) {
  "use strict";

  var L = window.L;
  var SCRIPT = document.currentScript;
  var STATIC_BASE = SCRIPT && SCRIPT.src ? SCRIPT.src.replace(/js\/map\.js(\?.*)?$/, "") : "/static/";
  var DAY = 86400000;

  // --- i18n --------------------------------------------------------------------------------
  var dj = window.django || {};
  function gettext(s) { return dj.gettext ? dj.gettext(s) : s; }
  function ngettext(s, p, n) { return dj.ngettext ? dj.ngettext(s, p, n) : (n === 1 ? s : p); }
  function gettext_noop(s) { return s; }
  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, k) { return values[k] === undefined ? "" : String(values[k]); });
  }

  // --- ACLED sub-event types and their colours (the legend) ----------------------------------
  var TYPES = [
    ["Air/drone strike", "#d7301f", "Explosions/Remote violence"],
    ["Shelling/artillery/missile attack", "#f16913", "Explosions/Remote violence"],
    ["Remote explosive/landmine/IED", "#8c2d04", "Explosions/Remote violence"],
    ["Suicide bomb", "#67000d", "Explosions/Remote violence"],
    ["Grenade", "#fd8d3c", "Explosions/Remote violence"],
    ["Chemical weapon", "#54278f", "Explosions/Remote violence"],
    ["Armed clash", "#2171b5", "Battles"],
    ["Government regains territory", "#6baed6", "Battles"],
    ["Non-state actor overtakes territory", "#08306b", "Battles"],
    ["Attack", "#ae017e", "Violence against civilians"],
    ["Abduction/forced disappearance", "#7a0177", "Violence against civilians"],
    ["Sexual violence", "#dd3497", "Violence against civilians"],
    ["Peaceful protest", "#41ab5d", "Protests"],
    ["Protest with intervention", "#238b45", "Protests"],
    ["Excessive force against protesters", "#005a32", "Protests"],
    ["Violent demonstration", "#e6ab02", "Riots"],
    ["Mob violence", "#a6761d", "Riots"],
    ["Agreement", "#80cdc1", "Strategic developments"],
    ["Arrests", "#35978f", "Strategic developments"],
    ["Change to group/activity", "#01665e", "Strategic developments"],
    ["Disrupted weapons use", "#737373", "Strategic developments"],
    ["Headquarters or base established", "#525252", "Strategic developments"],
    ["Looting/property destruction", "#bf812d", "Strategic developments"],
    ["Non-violent transfer of territory", "#8c510a", "Strategic developments"],
    ["Other", "#969696", "Strategic developments"]
  ];
  var MAIN_TYPES = 12; // the first twelve (political violence) are always listed; the rest under "More types"
  // The labels, for the translation catalogue (makemessages reads these literals).
  var TYPE_LABELS = {
    "Air/drone strike": gettext_noop("Air/drone strike"),
    "Shelling/artillery/missile attack": gettext_noop("Shelling/artillery/missile attack"),
    "Remote explosive/landmine/IED": gettext_noop("Remote explosive/landmine/IED"),
    "Suicide bomb": gettext_noop("Suicide bomb"),
    "Grenade": gettext_noop("Grenade"),
    "Chemical weapon": gettext_noop("Chemical weapon"),
    "Armed clash": gettext_noop("Armed clash"),
    "Government regains territory": gettext_noop("Government regains territory"),
    "Non-state actor overtakes territory": gettext_noop("Non-state actor overtakes territory"),
    "Attack": gettext_noop("Attack"),
    "Abduction/forced disappearance": gettext_noop("Abduction/forced disappearance"),
    "Sexual violence": gettext_noop("Sexual violence"),
    "Peaceful protest": gettext_noop("Peaceful protest"),
    "Protest with intervention": gettext_noop("Protest with intervention"),
    "Excessive force against protesters": gettext_noop("Excessive force against protesters"),
    "Violent demonstration": gettext_noop("Violent demonstration"),
    "Mob violence": gettext_noop("Mob violence"),
    "Agreement": gettext_noop("Agreement"),
    "Arrests": gettext_noop("Arrests"),
    "Change to group/activity": gettext_noop("Change to group/activity"),
    "Disrupted weapons use": gettext_noop("Disrupted weapons use"),
    "Headquarters or base established": gettext_noop("Headquarters or base established"),
    "Looting/property destruction": gettext_noop("Looting/property destruction"),
    "Non-violent transfer of territory": gettext_noop("Non-violent transfer of territory"),
    "Other": gettext_noop("Other")
  };
  var SITE_KINDS = {
    base: gettext_noop("military base"), airbase: gettext_noop("air base"), airport: gettext_noop("airport"),
    oil_field: gettext_noop("oil field"), gas_field: gettext_noop("gas field"),
    border_crossing: gettext_noop("border crossing"), dam: gettext_noop("dam"), port: gettext_noop("port"),
    landmark: gettext_noop("landmark"), other: gettext_noop("other")
  };
  var COLOR = {};
  var TYPE_INDEX = {};
  TYPES.forEach(function (t, i) { COLOR[t[0]] = t[1]; TYPE_INDEX[t[0]] = i; });
  var FALLBACK_COLOR = "#555";
  function typeLabel(type) { return gettext(TYPE_LABELS[type] || type || ""); }
  function colorOf(type) { return COLOR[type] || FALLBACK_COLOR; }

  // --- Small helpers -----------------------------------------------------------------------
  function $(idOrEl) {
    if (!idOrEl) return null;
    return typeof idOrEl === "string" ? document.getElementById(idOrEl) : idOrEl;
  }

  /** An element with attributes and children; text is always set as text, never as HTML. */
  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") node.textContent = v;
        else if (k === "class") node.className = v;
        else if (k === "style") node.setAttribute("style", v);
        else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? "" : v);
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    });
    return node;
  }

  /** http(s) URLs only: anything else (javascript:, data:...) is not a link. */
  function safeUrl(url) {
    if (typeof url !== "string") return "";
    url = url.trim();
    if (!/^https?:\/\//i.test(url)) return "";
    try {
      var u = new URL(url);
      return (u.protocol === "http:" || u.protocol === "https:") ? u.href : "";
    } catch (e) { return ""; }
  }

  function debounce(fn, ms) {
    var t = null;
    var wrapped = function () {
      var args = arguments, self = this;
      clearTimeout(t);
      t = setTimeout(function () { fn.apply(self, args); }, ms);
    };
    wrapped.cancel = function () { clearTimeout(t); };
    return wrapped;
  }

  function Emitter() { this._handlers = {}; }
  Emitter.prototype.on = function (name, fn) { (this._handlers[name] = this._handlers[name] || []).push(fn); return this; };
  Emitter.prototype.emit = function (name, arg) { (this._handlers[name] || []).forEach(function (fn) { fn(arg); }); };

  // Days: integers since 1970-01-01 (UTC), so the timeline's arithmetic is exact.
  function dayOf(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
    return m ? Math.round(Date.UTC(+m[1], +m[2] - 1, +m[3]) / DAY) : null;
  }
  function isoOf(day) { return new Date(day * DAY).toISOString().slice(0, 10); }
  function dateOf(day) { return new Date(day * DAY); }
  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }

  // --- The view's state in the query string --------------------------------------------------
  var FILTER_KEYS = ["start", "end", "sub_event_type", "actor", "country", "status", "min_confidence", "site"];

  function parseState(query) {
    var p = new URLSearchParams(query || "");
    var types = [];
    p.getAll("sub_event_type").forEach(function (v) {
      v.split(",").forEach(function (t) { t = t.trim(); if (t && COLOR[t] && types.indexOf(t) < 0) types.push(t); });
    });
    var num = function (k, lo, hi) {
      var v = parseFloat(p.get(k));
      return isFinite(v) && v >= lo && v <= hi ? v : null;
    };
    var tl = (p.get("tl") || "").split(",");
    var start = dayOf(p.get("start")), end = dayOf(p.get("end"));
    if (start !== null && end !== null && start > end) { var x = start; start = end; end = x; }
    var conf = num("min_confidence", 0, 1);
    var ev = parseInt(p.get("event"), 10);
    return {
      start: start,
      end: end,
      types: types,
      actor: (p.get("actor") || "").slice(0, 200),
      country: (p.get("country") || "").toUpperCase().split(",").filter(function (c) { return /^[A-Z]{2}$/.test(c); }).join(","),
      status: p.get("status") === "verified" ? "verified" : "",
      min_confidence: conf ? conf : null,
      site: /^[A-Za-z0-9_-]{1,100}$/.test(p.get("site") || "") ? p.get("site") : "",
      lat: num("lat", -90, 90),
      lng: num("lng", -180, 180),
      zoom: num("zoom", 0, 19),
      event: ev > 0 ? ev : null,
      tl: tl.length === 2 && dayOf(tl[0]) !== null && dayOf(tl[1]) !== null && dayOf(tl[0]) < dayOf(tl[1])
        ? [dayOf(tl[0]), dayOf(tl[1])] : null,
      lang: p.get("lang") || ""
    };
  }

  /** The filters as API parameters; ``window``: include the date window. */
  function filterParams(state, withWindow) {
    var p = new URLSearchParams();
    if (withWindow !== false) {
      if (state.start !== null) p.set("start", isoOf(state.start));
      if (state.end !== null) p.set("end", isoOf(state.end));
    }
    state.types.forEach(function (t) { p.append("sub_event_type", t); });
    if (state.actor) p.set("actor", state.actor);
    if (state.country) p.set("country", state.country);
    if (state.status) p.set("status", state.status);
    if (state.min_confidence) p.set("min_confidence", String(state.min_confidence));
    if (state.site) p.set("site", state.site);
    return p;
  }

  function stateQuery(state) {
    var p = filterParams(state, true);
    if (state.lat !== null && state.lng !== null && state.zoom !== null) {
      p.set("lat", state.lat.toFixed(4));
      p.set("lng", state.lng.toFixed(4));
      p.set("zoom", String(Math.round(state.zoom * 10) / 10));
    }
    if (state.event) p.set("event", String(state.event));
    if (state.tl) p.set("tl", isoOf(state.tl[0]) + "," + isoOf(state.tl[1]));
    if (state.lang) p.set("lang", state.lang);
    return p.toString();
  }

  // --- Formatting ----------------------------------------------------------------------------
  function Formats(lang) {
    var locale = lang === "ar" ? "ar" : "en-GB";
    this.lang = lang;
    this.number = new Intl.NumberFormat(locale);
    this.percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
    this.day = new Intl.DateTimeFormat(locale, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
    this.shortDay = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
    this.month = new Intl.DateTimeFormat(locale, { month: "long", year: "numeric", timeZone: "UTC" });
    this.monthShort = new Intl.DateTimeFormat(locale, { month: "short", timeZone: "UTC" });
    this.year = new Intl.DateTimeFormat(locale, { year: "numeric", timeZone: "UTC" });
    try { this.regions = new Intl.DisplayNames([locale], { type: "region" }); } catch (e) { this.regions = null; }
  }
  Formats.prototype.country = function (code) {
    if (!code) return "";
    try { return (this.regions && this.regions.of(code)) || code; } catch (e) { return code; }
  };
  Formats.prototype.range = function (a, b) {
    if (a === null || b === null) return "";
    if (a === b) return this.day.format(dateOf(a));
    return this.day.format(dateOf(a)) + " – " + this.day.format(dateOf(b));
  };

  // --- The events layer: every point drawn on one canvas ----------------------------------------
  //
  // A subclass of Leaflet's canvas renderer (which keeps the canvas placed, sized and
  // animated with the map) that draws the points itself: 50,000 points are one path per
  // type, with no Leaflet object per point. Clicks are hit-tested against the drawn points.
  var PointsRenderer = L.Canvas.extend({
    options: { padding: 0.25, tolerance: 4 },

    initialize: function (options) {
      L.Canvas.prototype.initialize.call(this, options);
      this._pts = null; // {x: Float64Array, y: Float64Array (projected at zoom 0), type: Uint8Array, n}
      this._features = [];
      this._selected = null;
      this._hover = null;
    },

    setFeatures: function (features) {
      var n = features.length;
      var x = new Float64Array(n), y = new Float64Array(n), type = new Uint8Array(n);
      var crs = L.CRS.EPSG3857;
      for (var i = 0; i < n; i++) {
        var c = features[i].geometry.coordinates;
        var p = crs.latLngToPoint(L.latLng(c[1], c[0]), 0);
        x[i] = p.x; y[i] = p.y;
        var t = TYPE_INDEX[features[i].properties.sub_event_type];
        type[i] = t === undefined ? 255 : t;
      }
      this._features = features;
      this._pts = { x: x, y: y, type: type, n: n };
      this._redrawPoints();
    },

    setSelected: function (id) { this._selected = id; this._redrawPoints(); },

    _radius: function () {
      var z = this._map ? this._map.getZoom() : 5;
      return z <= 4 ? 4 : z <= 6 ? 5 : z <= 8 ? 6 : 7;
    },

    _updatePaths: function () { this._drawPoints(); },

    _redrawPoints: function () {
      if (!this._map || !this._ctx) return;
      var self = this;
      if (this._frame) return;
      this._frame = L.Util.requestAnimFrame(function () { self._frame = null; self._clearAll(); self._drawPoints(); });
    },

    _clearAll: function () {
      var b = this._bounds;
      if (!b) return;
      this._ctx.clearRect(b.min.x, b.min.y, b.max.x - b.min.x, b.max.y - b.min.y);
    },

    _drawPoints: function () {
      var pts = this._pts, map = this._map, ctx = this._ctx, b = this._bounds;
      if (!pts || !map || !ctx || !b) return;
      var scale = map.getZoomScale(map.getZoom(), 0) * 1;
      var origin = map.getPixelOrigin();
      var r = this._radius();
      var minX = b.min.x - r, minY = b.min.y - r, maxX = b.max.x + r, maxY = b.max.y + r;
      var n = pts.n, i, t, px, py, selIndex = -1;
      // One path per type; the order of TYPES (air strikes first) is the drawing order, reversed
      // so that the most common kinds of strikes are drawn last, on top.
      var buckets = {};
      for (i = 0; i < n; i++) {
        px = pts.x[i] * scale - origin.x;
        py = pts.y[i] * scale - origin.y;
        if (px < minX || px > maxX || py < minY || py > maxY) continue;
        t = pts.type[i];
        (buckets[t] = buckets[t] || []).push(px, py);
        if (this._selected !== null && this._features[i].id === this._selected) selIndex = i;
      }
      var keys = Object.keys(buckets).map(Number).sort(function (a, b) { return b - a; });
      ctx.lineWidth = 1;
      ctx.strokeStyle = "rgba(255,255,255,0.9)";
      ctx.globalAlpha = 0.85;
      for (var k = 0; k < keys.length; k++) {
        var list = buckets[keys[k]];
        ctx.beginPath();
        for (i = 0; i < list.length; i += 2) {
          ctx.moveTo(list[i] + r, list[i + 1]);
          ctx.arc(list[i], list[i + 1], r, 0, 2 * Math.PI);
        }
        ctx.fillStyle = keys[k] === 255 ? FALLBACK_COLOR : TYPES[keys[k]][1];
        ctx.fill();
        if (r >= 4) ctx.stroke();
      }
      ctx.globalAlpha = 1;
      if (selIndex >= 0) {
        px = pts.x[selIndex] * scale - origin.x;
        py = pts.y[selIndex] * scale - origin.y;
        ctx.beginPath();
        ctx.arc(px, py, r + 5, 0, 2 * Math.PI);
        ctx.lineWidth = 3;
        ctx.strokeStyle = "#111";
        ctx.stroke();
        ctx.beginPath();
        ctx.arc(px, py, r + 1, 0, 2 * Math.PI);
        ctx.fillStyle = colorOf(this._features[selIndex].properties.sub_event_type);
        ctx.fill();
      }
    },

    /** The index of the point under a container point, or -1. */
    hitTest: function (containerPoint) {
      var pts = this._pts, map = this._map;
      if (!pts || !map) return -1;
      var scale = map.getZoomScale(map.getZoom(), 0);
      var lp = map.containerPointToLayerPoint(containerPoint).add(map.getPixelOrigin());
      var tol = this._radius() + this.options.tolerance;
      var best = -1, bestD = tol * tol;
      for (var i = 0; i < pts.n; i++) {
        var dx = pts.x[i] * scale - lp.x, dy = pts.y[i] * scale - lp.y;
        var d = dx * dx + dy * dy;
        if (d <= bestD) { bestD = d; best = i; }
      }
      return best;
    },

    _onClick: function (e) {
      if (!this._map || e.type !== "click") return;
      var i = this.hitTest(this._map.mouseEventToContainerPoint(e));
      if (i >= 0) {
        L.DomEvent.stop(e);
        this.fire("pointclick", { feature: this._features[i] });
      }
    },

    _onMouseMove: function (e) {
      if (!this._map || this._map.dragging && this._map.dragging.moving()) return;
      var i = this.hitTest(this._map.mouseEventToContainerPoint(e));
      this._container.style.cursor = i >= 0 ? "pointer" : "";
      var id = i >= 0 ? this._features[i].id : null;
      if (id !== this._hover) {
        this._hover = id;
        this.fire("pointhover", { feature: i >= 0 ? this._features[i] : null });
      }
    },

    _handleMouseOut: function () {
      if (this._container) this._container.style.cursor = "";
      if (this._hover !== null) { this._hover = null; this.fire("pointhover", { feature: null }); }
    }
  });

  // --- The timeline: a histogram with a draggable window ----------------------------------------
  function Timeline(root, opts) {
    Emitter.call(this);
    this.root = root;
    this.opts = opts;
    this.fmt = opts.formats;
    this.counts = new Map(); // day -> count
    this.extent = null; // [first, last] day with data
    this.view = null; // [v0, v1): the days the track shows
    this.win = null; // [w0, w1]: the window, inclusive
    this.playing = null;
    this._build();
  }
  Timeline.prototype = Object.create(Emitter.prototype);

  Timeline.prototype._build = function () {
    var self = this;
    this.root.classList.add("tl");
    this.playBtn = h("button", { type: "button", class: "tl-play btn", "aria-pressed": "false", title: gettext("Play: move the window forward") }, [
      h("span", { class: "tl-play-icon", "aria-hidden": "true", text: "▶" }),
      h("span", { class: "tl-play-label", text: gettext("Play") })
    ]);
    this.label = h("output", { class: "tl-label", "aria-live": "polite" });
    var zoomOut = h("button", { type: "button", class: "btn btn-small", title: gettext("Zoom the timeline out"), "aria-label": gettext("Zoom the timeline out"), text: "−" });
    var zoomIn = h("button", { type: "button", class: "btn btn-small", title: gettext("Zoom the timeline in"), "aria-label": gettext("Zoom the timeline in"), text: "+" });
    var fit = h("button", { type: "button", class: "btn btn-small", text: gettext("All dates") });
    this.presets = h("span", { class: "tl-presets" }, [
      h("button", { type: "button", class: "btn btn-small", "data-days": "7", text: gettext("Week") }),
      h("button", { type: "button", class: "btn btn-small", "data-days": "30", text: gettext("Month") }),
      h("button", { type: "button", class: "btn btn-small", "data-days": "365", text: gettext("Year") })
    ]);
    this.bar = h("div", { class: "tl-bar" }, [this.playBtn, this.label, h("span", { class: "tl-spacer" }), this.presets,
      h("span", { class: "tl-zoom", role: "group", "aria-label": gettext("Timeline zoom") }, [zoomOut, zoomIn, fit])]);
    this.canvas = h("canvas", { class: "tl-hist", "aria-hidden": "true" });
    this.handleStart = h("div", { class: "tl-handle tl-handle-start", role: "slider", tabindex: "0", "aria-label": gettext("Start of the window") });
    this.handleEnd = h("div", { class: "tl-handle tl-handle-end", role: "slider", tabindex: "0", "aria-label": gettext("End of the window") });
    this.body = h("div", { class: "tl-body", role: "slider", tabindex: "0", "aria-label": gettext("Date window: arrows move it, Page Up and Page Down by its length") });
    this.windowEl = h("div", { class: "tl-window" }, [this.handleStart, this.body, this.handleEnd]);
    this.track = h("div", { class: "tl-track", dir: "ltr" }, [this.canvas, this.windowEl]);
    this.help = h("p", { class: "tl-help muted", text: gettext("Drag the window or its ends; scroll over the timeline to zoom it.") });
    this.root.appendChild(this.bar);
    this.root.appendChild(this.track);
    this.root.appendChild(this.help);

    this.playBtn.addEventListener("click", function () { self.togglePlay(); });
    zoomIn.addEventListener("click", function () { self.zoom(0.5); });
    zoomOut.addEventListener("click", function () { self.zoom(2); });
    fit.addEventListener("click", function () { self.fitAll(); });
    this.presets.addEventListener("click", function (e) {
      var days = e.target && e.target.getAttribute("data-days");
      if (!days || !self.win) return;
      var end = self.win[1];
      self.setWindow(end - (+days) + 1, end, true);
      self.ensureVisible();
    });
    this.track.addEventListener("pointerdown", function (e) { self._pointerDown(e); });
    this.track.addEventListener("wheel", function (e) { self._wheel(e); }, { passive: false });
    [this.handleStart, this.handleEnd, this.body].forEach(function (el) {
      el.addEventListener("keydown", function (e) { self._key(e, el); });
    });
    this._resize = debounce(function () { self.draw(); }, 50);
    window.addEventListener("resize", this._resize);
  };

  Timeline.prototype.setCounts = function (buckets, extent) {
    var counts = new Map();
    buckets.forEach(function (b) { var d = dayOf(b.date); if (d !== null) counts.set(d, (counts.get(d) || 0) + b.count); });
    this.counts = counts;
    this.extent = extent;
    if (!this.view && extent) this.view = this._padded(extent[0], extent[1]);
    this.draw();
  };

  Timeline.prototype._padded = function (a, b) {
    var span = Math.max(14, b - a + 1);
    var pad = Math.max(2, Math.round(span * 0.03));
    return [a - pad, b + 1 + pad];
  };

  Timeline.prototype.setView = function (v0, v1) {
    if (v1 - v0 < 7) { var c = (v0 + v1) / 2; v0 = c - 3.5; v1 = c + 3.5; }
    if (v1 - v0 > 365 * 60) { v1 = v0 + 365 * 60; }
    this.view = [v0, v1];
    this.draw();
    this.emit("view", this.view);
  };

  Timeline.prototype.fitAll = function () {
    var a = this.extent ? this.extent[0] : this.win[0], b = this.extent ? this.extent[1] : this.win[1];
    if (this.win) { a = Math.min(a, this.win[0]); b = Math.max(b, this.win[1]); }
    var v = this._padded(a, b);
    this.setView(v[0], v[1]);
  };

  Timeline.prototype.zoom = function (factor, centerDay) {
    if (!this.view) return;
    var c = centerDay !== undefined ? centerDay : (this.win ? (this.win[0] + this.win[1] + 1) / 2 : (this.view[0] + this.view[1]) / 2);
    var v0 = c - (c - this.view[0]) * factor, v1 = c + (this.view[1] - c) * factor;
    this.setView(v0, v1);
  };

  Timeline.prototype.ensureVisible = function () {
    if (!this.view || !this.win) return;
    var v0 = this.view[0], v1 = this.view[1], len = v1 - v0;
    if (this.win[1] + 1 - this.win[0] > len) { var v = this._padded(this.win[0], this.win[1]); this.setView(v[0], v[1]); return; }
    if (this.win[0] < v0) this.setView(this.win[0] - len * 0.05, this.win[0] - len * 0.05 + len);
    else if (this.win[1] + 1 > v1) this.setView(this.win[1] + 1 + len * 0.05 - len, this.win[1] + 1 + len * 0.05);
  };

  Timeline.prototype.setWindow = function (w0, w1, final) {
    w0 = Math.round(w0); w1 = Math.round(w1);
    if (w1 < w0) { var t = w0; w0 = w1; w1 = t; }
    var changed = !this.win || this.win[0] !== w0 || this.win[1] !== w1;
    this.win = [w0, w1];
    this._placeWindow();
    if (changed || final) this.emit("change", { start: w0, end: w1, final: !!final });
  };

  Timeline.prototype._x = function (day, width) { return (day - this.view[0]) / (this.view[1] - this.view[0]) * width; };
  Timeline.prototype._day = function (x, width) { return this.view[0] + x / width * (this.view[1] - this.view[0]); };

  Timeline.prototype._placeWindow = function () {
    if (!this.win || !this.view) return;
    var width = this.track.clientWidth || 1;
    var x0 = this._x(this.win[0], width), x1 = this._x(this.win[1] + 1, width);
    this.windowEl.style.left = x0 + "px";
    this.windowEl.style.width = Math.max(2, x1 - x0) + "px";
    var text = this.fmt.range(this.win[0], this.win[1]);
    var days = this.win[1] - this.win[0] + 1;
    this.label.textContent = text + " · " + fmt(ngettext("%(n)s day", "%(n)s days", days), { n: this.fmt.number.format(days) });
    var lo = this.extent ? Math.min(this.extent[0], this.win[0]) : this.win[0];
    var hi = this.extent ? Math.max(this.extent[1], this.win[1]) : this.win[1];
    var set = function (el, now, txt) {
      el.setAttribute("aria-valuemin", isoOf(lo)); el.setAttribute("aria-valuemax", isoOf(hi));
      el.setAttribute("aria-valuenow", String(now)); el.setAttribute("aria-valuetext", txt);
    };
    set(this.handleStart, this.win[0], this.fmt.day.format(dateOf(this.win[0])));
    set(this.handleEnd, this.win[1], this.fmt.day.format(dateOf(this.win[1])));
    set(this.body, this.win[0], text);
    this.draw();
  };

  /** Bins for the visible range: days, weeks (Monday) or months, by how much room there is. */
  Timeline.prototype._bins = function (width) {
    var v0 = Math.floor(this.view[0]), v1 = Math.ceil(this.view[1]);
    var ppd = width / (this.view[1] - this.view[0]);
    var unit = ppd >= 3 ? "day" : ppd * 7 >= 3 ? "week" : "month";
    var bins = [], start, d;
    if (unit === "day") {
      for (d = v0; d < v1; d++) bins.push([d, d + 1, 0]);
    } else if (unit === "week") {
      start = v0 - ((dateOf(v0).getUTCDay() + 6) % 7);
      for (d = start; d < v1; d += 7) bins.push([d, d + 7, 0]);
    } else {
      var dt = dateOf(v0); var y = dt.getUTCFullYear(), m = dt.getUTCMonth();
      while (true) {
        var a = Math.round(Date.UTC(y, m, 1) / DAY), b = Math.round(Date.UTC(y, m + 1, 1) / DAY);
        if (a >= v1) break;
        bins.push([a, b, 0]);
        m += 1;
      }
    }
    var first = bins.length ? bins[0][0] : 0, bi = 0;
    var sorted = this._sortedDays || [];
    for (var i = 0; i < sorted.length; i++) {
      var day = sorted[i];
      if (day < first) continue;
      while (bi < bins.length && day >= bins[bi][1]) bi++;
      if (bi >= bins.length) break;
      bins[bi][2] += this.counts.get(day);
    }
    return { unit: unit, bins: bins };
  };

  Timeline.prototype.draw = function () {
    if (!this.view) return;
    var canvas = this.canvas, ratio = window.devicePixelRatio || 1;
    var width = this.track.clientWidth, height = this.track.clientHeight;
    if (!width || !height) return;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
      canvas.style.width = width + "px"; canvas.style.height = height + "px";
    }
    if (this._countsRef !== this.counts) {
      this._countsRef = this.counts;
      this._sortedDays = Array.from(this.counts.keys()).sort(function (a, b) { return a - b; });
    }
    var ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    var axis = 18, top = 6, plotH = height - axis - top;
    var res = this._bins(width), bins = res.bins, max = 0, i;
    for (i = 0; i < bins.length; i++) max = Math.max(max, bins[i][2]);
    var w0 = this.win ? this.win[0] : null, w1 = this.win ? this.win[1] + 1 : null;
    for (i = 0; i < bins.length; i++) {
      var bin = bins[i];
      if (!bin[2]) continue;
      var x0 = this._x(bin[0], width), x1 = this._x(bin[1], width);
      var bh = Math.max(1.5, Math.sqrt(bin[2] / max) * plotH);
      var inside = w0 !== null && bin[0] < w1 && bin[1] > w0;
      ctx.fillStyle = inside ? "#c0392b" : "#8fa3b8";
      ctx.fillRect(x0 + 0.5, top + plotH - bh, Math.max(1, x1 - x0 - 1), bh);
    }
    // The axis: a tick per month or per year, labelled as far as there is room.
    ctx.fillStyle = "#5b6675";
    ctx.strokeStyle = "#c5ccd4";
    ctx.font = "11px system-ui, 'Noto Sans', 'Noto Sans Arabic', sans-serif";
    ctx.textBaseline = "top";
    ctx.beginPath(); ctx.moveTo(0, top + plotH + 0.5); ctx.lineTo(width, top + plotH + 0.5); ctx.stroke();
    var ppd = width / (this.view[1] - this.view[0]);
    var monthly = ppd * 30 >= 34;
    var d0 = dateOf(Math.floor(this.view[0])), y = d0.getUTCFullYear(), m = monthly ? d0.getUTCMonth() : 0;
    var lastLabelEnd = -Infinity;
    for (var guard = 0; guard < 2000; guard++) {
      var day = Math.round(Date.UTC(y, m, 1) / DAY);
      if (day > this.view[1]) break;
      var x = this._x(day, width);
      if (x >= 0) {
        var isYear = m % 12 === 0;
        ctx.beginPath(); ctx.moveTo(x + 0.5, top + plotH); ctx.lineTo(x + 0.5, top + plotH + (isYear ? 6 : 3)); ctx.stroke();
        var label = isYear ? this.fmt.year.format(dateOf(day)) : this.fmt.monthShort.format(dateOf(day));
        var tw = ctx.measureText(label).width;
        if (x + 2 > lastLabelEnd + 6 && x + 2 + tw < width) {
          ctx.fillText(label, x + 2, top + plotH + 4);
          lastLabelEnd = x + 2 + tw;
        }
      }
      if (monthly) { m += 1; if (m === 12) { m = 0; y += 1; } } else { y += 1; }
    }
    if (this.win) {
      var wx0 = this._x(this.win[0], width), wx1 = this._x(this.win[1] + 1, width);
      this.windowEl.style.left = wx0 + "px";
      this.windowEl.style.width = Math.max(2, wx1 - wx0) + "px";
      this.windowEl.classList.toggle("tl-window-offscreen", wx1 < 0 || wx0 > width);
    }
    this.root.setAttribute("data-unit", res.unit);
  };

  Timeline.prototype._pointerDown = function (e) {
    if (!this.view || !this.win || e.button > 0) return;
    var self = this, width = this.track.clientWidth, rect = this.track.getBoundingClientRect();
    var target = e.target, mode;
    if (target === this.handleStart) mode = "start";
    else if (target === this.handleEnd) mode = "end";
    else if (target === this.body || target === this.windowEl) mode = "move";
    else {
      // A click beside the window brings the window there (centred), then drags it.
      var len = this.win[1] - this.win[0];
      var day = Math.floor(this._day(e.clientX - rect.left, width));
      this.setWindow(day - Math.floor(len / 2), day - Math.floor(len / 2) + len, false);
      mode = "move";
    }
    this.stop();
    var startX = e.clientX, orig = this.win.slice();
    var perPx = (this.view[1] - this.view[0]) / width;
    this.track.setPointerCapture(e.pointerId);
    this.root.classList.add("tl-dragging");
    e.preventDefault();
    var move = function (ev) {
      var dd = Math.round((ev.clientX - startX) * perPx);
      if (mode === "start") self.setWindow(Math.min(orig[0] + dd, orig[1]), orig[1], false);
      else if (mode === "end") self.setWindow(orig[0], Math.max(orig[1] + dd, orig[0]), false);
      else self.setWindow(orig[0] + dd, orig[1] + dd, false);
    };
    var up = function (ev) {
      self.track.removeEventListener("pointermove", move);
      self.track.removeEventListener("pointerup", up);
      self.track.removeEventListener("pointercancel", up);
      try { self.track.releasePointerCapture(ev.pointerId); } catch (err) { /* released already */ }
      self.root.classList.remove("tl-dragging");
      self.setWindow(self.win[0], self.win[1], true);
    };
    this.track.addEventListener("pointermove", move);
    this.track.addEventListener("pointerup", up);
    this.track.addEventListener("pointercancel", up);
  };

  Timeline.prototype._wheel = function (e) {
    if (!this.view) return;
    e.preventDefault();
    var width = this.track.clientWidth, rect = this.track.getBoundingClientRect();
    if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      var shift = e.deltaX / width * (this.view[1] - this.view[0]);
      this.setView(this.view[0] + shift, this.view[1] + shift);
      return;
    }
    var day = this._day(e.clientX - rect.left, width);
    this.zoom(e.deltaY > 0 ? 1.25 : 0.8, day);
  };

  Timeline.prototype._key = function (e, el) {
    if (!this.win) return;
    var w0 = this.win[0], w1 = this.win[1], len = w1 - w0 + 1;
    var step = 0;
    switch (e.key) {
      case "ArrowLeft": case "ArrowDown": step = -1; break;
      case "ArrowRight": case "ArrowUp": step = 1; break;
      case "PageDown": step = el === this.body ? -len : -7; break;
      case "PageUp": step = el === this.body ? len : 7; break;
      case "Home": case "End": break;
      default: return;
    }
    e.preventDefault();
    this.stop();
    if (e.shiftKey && Math.abs(step) === 1) step *= 7;
    var lo = this.extent ? this.extent[0] : w0, hi = this.extent ? this.extent[1] : w1;
    if (el === this.handleStart) {
      if (e.key === "Home") w0 = lo; else if (e.key === "End") w0 = w1; else w0 = Math.min(w0 + step, w1);
    } else if (el === this.handleEnd) {
      if (e.key === "Home") w1 = w0; else if (e.key === "End") w1 = hi; else w1 = Math.max(w1 + step, w0);
    } else {
      if (e.key === "Home") { w0 = lo; w1 = lo + len - 1; } else if (e.key === "End") { w1 = hi; w0 = hi - len + 1; } else { w0 += step; w1 += step; }
    }
    this.setWindow(w0, w1, true);
    this.ensureVisible();
  };

  Timeline.prototype.togglePlay = function () { if (this.playing) this.stop(); else this.play(); };

  Timeline.prototype.play = function () {
    if (!this.win) return;
    var self = this, end = this.extent ? this.extent[1] : this.win[1];
    var len = this.win[1] - this.win[0] + 1;
    if (this.win[1] >= end) this.setWindow(this.extent ? this.extent[0] : this.win[0] - len, (this.extent ? this.extent[0] : this.win[0] - len) + len - 1, true);
    var step = Math.max(1, Math.round(len / 10));
    this.playBtn.setAttribute("aria-pressed", "true");
    this.playBtn.querySelector(".tl-play-icon").textContent = "❚❚";
    this.playBtn.querySelector(".tl-play-label").textContent = gettext("Pause");
    this.playing = setInterval(function () {
      if (self.win[1] >= end) { self.stop(); return; }
      var d = Math.min(step, end - self.win[1]);
      self.setWindow(self.win[0] + d, self.win[1] + d, false);
      self.ensureVisible();
    }, 400);
  };

  Timeline.prototype.stop = function () {
    if (!this.playing) return;
    clearInterval(this.playing);
    this.playing = null;
    this.playBtn.setAttribute("aria-pressed", "false");
    this.playBtn.querySelector(".tl-play-icon").textContent = "▶";
    this.playBtn.querySelector(".tl-play-label").textContent = gettext("Play");
    this.setWindow(this.win[0], this.win[1], true);
  };

  // --- The view ------------------------------------------------------------------------------------
  var DEFAULTS = {
    map: "map", timeline: "timeline", list: "event-list", filters: "filter-form",
    interactive: true, slider: true, legend: true, legendControl: null, sites: true, syncUrl: false,
    query: null, lang: null, editing: false, adminUrl: "", api: "/api/",
    tileUrl: "", tileAttribution: "", outlineUrl: null, topojsonUrl: null,
    maxFeatures: 50000, center: [33.5, 40.0], zoom: 5, defaultWindowDays: 30, embed: false
  };

  function ConflictMapView(options) {
    Emitter.call(this);
    var o = this.options = Object.assign({}, DEFAULTS, options || {});
    // map, timeline, list, filters: an element or its id; true: the default id; false: none.
    ["map", "timeline", "list", "filters"].forEach(function (k) {
      if (o[k] === true || o[k] === undefined) o[k] = DEFAULTS[k];
      else if (!o[k]) o[k] = null;
    });
    if (o.static === true) o.interactive = false;
    if (o.legendControl === null) o.legendControl = o.legend && !o.embed;
    this.lang = o.lang || document.documentElement.lang || "en";
    this.rtl = document.documentElement.dir === "rtl" || this.lang === "ar";
    this.fmt = new Formats(this.lang);
    var query = o.query !== null && o.query !== undefined ? o.query : window.location.search;
    this.state = parseState(query);
    if (o.syncUrl && /(^|[?&])lang=/.test(window.location.search)) this.state.lang = this.lang; else this.state.lang = "";
    this.data = null;          // the loaded events: {key, from, to, truncated, total, features}
    this.loading = null;       // the events being loaded: {key, from, to}
    this.shown = [];           // the features in the window
    this.timelineData = null;  // {key, buckets, first, last}
    this.pending = {};
    this._readyParts = { outline: false, events: false };
    this.ready = false;
    this._build();
  }
  ConflictMapView.prototype = Object.create(Emitter.prototype);

  ConflictMapView.prototype._build = function () {
    var self = this, o = this.options;
    this._urlChanged = o.syncUrl ? debounce(function () { self._writeUrl(); }, 250) : function () {};
    var el = $(o.map);
    if (!el) throw new Error("conflictmap: no map element");
    var interactive = o.interactive;
    var map = this.map = L.map(el, {
      center: o.center, zoom: o.zoom, minZoom: 2, maxZoom: 18, worldCopyJump: false,
      zoomControl: interactive, dragging: interactive, scrollWheelZoom: interactive, doubleClickZoom: interactive,
      boxZoom: interactive, keyboard: interactive, touchZoom: interactive, tap: interactive,
      zoomAnimation: interactive, fadeAnimation: interactive, markerZoomAnimation: interactive,
      attributionControl: true
    });
    if (this.rtl && map.zoomControl) { map.zoomControl.setPosition("topright"); }
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("GeoNames (CC BY 4.0)");
    map.attributionControl.addAttribution("Natural Earth");

    // Panes: outlines under the tiles (they show where tiles cannot be fetched), events above.
    map.createPane("outline").style.zIndex = 150;
    map.createPane("events").style.zIndex = 450;
    map.createPane("sites").style.zIndex = 460; // above the events' canvas, or it would take their clicks
    if (o.tileUrl) {
      this.tiles = L.tileLayer(o.tileUrl, { attribution: o.tileAttribution, maxZoom: 18, crossOrigin: false }).addTo(map);
    }
    this.points = new PointsRenderer({ pane: "events" });
    map.addLayer(this.points);
    this.points.on("pointclick", function (e) { if (interactive) self.select(e.feature.id, { pan: false }); });
    this.points.on("pointhover", function (e) { self._hover(e.feature); });
    this.sitesLayer = L.layerGroup();
    this.outlineLayer = L.layerGroup();
    this.outlineLayer.addTo(map);

    if (st(this.state)) {
      map.setView([this.state.lat, this.state.lng], this.state.zoom, { animate: false });
    }
    function st(s) { return s.lat !== null && s.lng !== null && s.zoom !== null; }
    this._viewFromUrl = st(this.state);

    if (interactive) {
      var overlays = {};
      overlays[gettext("Sites (bases, airfields…)")] = this.sitesLayer;
      overlays[gettext("Country outlines")] = this.outlineLayer;
      L.control.layers(null, overlays, { position: this.rtl ? "topleft" : "topright", collapsed: true }).addTo(map);
      L.control.scale({ imperial: false, position: this.rtl ? "bottomright" : "bottomleft" }).addTo(map);
    }
    if (o.sites) this.sitesLayer.addTo(map);
    if (o.legendControl) this._buildLegend();
    map.on("moveend", function () { self._onMove(); });
    map.on("popupclose", function (e) {
      if (self._popup && e.popup === self._popup && !self._reopening) {
        self._popup = null;
        self.state.event = null;
        self.points.setSelected(null);
        self._markList();
        self._urlChanged();
      }
    });

    // The parts of the page around the map, when there.
    this.timeline = o.slider && $(o.timeline) ? new Timeline($(o.timeline), { formats: this.fmt }) : null;
    if (this.timeline) {
      this.timeline.on("change", function (w) { self._windowChanged(w.start, w.end, w.final); });
      this.timeline.on("view", function (v) {
        self.state.tl = [Math.floor(v[0]), Math.ceil(v[1])];
        self._urlChanged();
        self._ensureData(false);
      });
      if (this.state.tl) this.timeline.view = this.state.tl.slice();
    }
    this.listEl = $(o.list);
    this.form = $(o.filters);
    if (this.form) this._buildFilters();
    this._bindChrome();

    this._loadOutline();
    if (o.sites) this._loadSites();
    this.refresh(true);
  };

  // --- Loading --------------------------------------------------------------------------------------
  ConflictMapView.prototype._fetch = function (name, url) {
    var prev = this.pending[name];
    if (prev) prev.abort();
    var ctrl = new AbortController();
    this.pending[name] = ctrl;
    var self = this;
    return fetch(url, { headers: { Accept: "application/geo+json, application/json" }, signal: ctrl.signal, credentials: "same-origin" })
      .then(function (r) {
        if (self.pending[name] === ctrl) delete self.pending[name];
        if (!r.ok) {
          return r.json().catch(function () { return {}; }).then(function (body) {
            var err = new Error(body.detail || ("HTTP " + r.status)); err.status = r.status; throw err;
          });
        }
        return r.json();
      });
  };

  ConflictMapView.prototype._filtersKey = function () { return filterParams(this.state, false).toString(); };

  /** Filters changed (or first load): the timeline's counts, then the events. */
  ConflictMapView.prototype.refresh = function (first) {
    var self = this, key = this._filtersKey();
    this._status(gettext("Loading…"), "loading");
    // The events of a window given in the URL are asked for at once, beside the timeline.
    if (first && this.state.start !== null && this.state.end !== null) this._ensureData(true);
    var url = this.options.api + "timeline/?" + key;
    return this._fetch("timeline", url).then(function (t) {
      self.timelineData = { key: key, buckets: t.buckets, first: dayOf(t.first), last: dayOf(t.last), total: t.total };
      var extent = t.first ? [dayOf(t.first), dayOf(t.last)] : null;
      if (self.state.start === null || self.state.end === null) {
        var last = extent ? extent[1] : Math.floor(Date.now() / DAY);
        var first = Math.max(extent ? extent[0] : last, last - self.options.defaultWindowDays + 1);
        self.state.start = first; self.state.end = last;
      }
      if (self.timeline) {
        self.timeline.setCounts(t.buckets, extent);
        if (!self.timeline.view) self.timeline.view = self.timeline._padded(self.state.start, self.state.end);
        if (!self.timeline.win) {
          self.timeline.win = [self.state.start, self.state.end];
          self.timeline._placeWindow();
          if (!self.state.tl) self.timeline.ensureVisible();
        } else {
          self.timeline.setWindow(self.state.start, self.state.end, false);
        }
      }
      self._ensureData(true);
    }).catch(function (err) { self._failed(err); });
  };

  ConflictMapView.prototype._inRange = function (from, to) {
    var t = this.timelineData, sum = 0;
    if (!t || t.key !== this._filtersKey()) return Infinity;
    for (var i = 0; i < t.buckets.length; i++) {
      var d = dayOf(t.buckets[i].date);
      if (d >= from && d <= to) sum += t.buckets[i].count;
    }
    return sum;
  };

  /**
   * Make sure the events of the window are loaded. When the timeline's visible range holds
   * no more than maxFeatures events, the whole range is loaded once and the slider filters
   * in the browser as it moves; otherwise each window is asked for (debounced).
   */
  ConflictMapView.prototype._ensureData = function (now) {
    var s = this.state, key = this._filtersKey(), d = this.data;
    if (s.start === null || s.end === null) return;
    if (d && d.key === key && !d.truncated && d.from <= s.start && d.to >= s.end) { this._render(); return; }
    var l = this.loading;
    if (l && l.key === key && l.from <= s.start && l.to >= s.end) return;
    var from = s.start, to = s.end;
    if (this.timeline && this.timeline.view && this.timelineData && this.timelineData.key === key) {
      var v0 = Math.floor(this.timeline.view[0]), v1 = Math.ceil(this.timeline.view[1]);
      var a = Math.min(v0, s.start), b = Math.max(v1, s.end);
      if (this._inRange(a, b) <= this.options.maxFeatures) { from = a; to = b; }
    }
    var self = this;
    var load = function () { self._load(key, from, to); };
    if (now) load(); else { this._debouncedLoad = this._debouncedLoad || debounce(function (f) { f(); }, 150); this._debouncedLoad(load); }
  };

  ConflictMapView.prototype._load = function (key, from, to) {
    var self = this;
    var p = filterParams(this.state, false);
    p.set("start", isoOf(from)); p.set("end", isoOf(to));
    var loading = this.loading = { key: key, from: from, to: to };
    this._status(gettext("Loading…"), "loading");
    return this._fetch("events", this.options.api + "events/?" + p.toString()).then(function (fc) {
      if (self.loading === loading) self.loading = null;
      var features = fc.features || [];
      for (var i = 0; i < features.length; i++) features[i]._day = dayOf(features[i].properties.event_date);
      self.data = { key: key, from: from, to: to, truncated: !!fc.truncated, total: fc.total, features: features };
      self._render();
      self._part("events");
    }).catch(function (err) {
      if (self.loading === loading) self.loading = null;
      if (err.name !== "AbortError") self._failed(err);
    });
  };

  ConflictMapView.prototype._failed = function (err) {
    if (err && err.name === "AbortError") return;
    this._status(fmt(gettext("The events could not be loaded: %(why)s"), { why: err && err.message ? err.message : "?" }), "error");
    if (!this.ready) document.body.setAttribute("data-ready", "error");
    this.emit("error", err);
  };

  ConflictMapView.prototype._part = function (name) {
    this._readyParts[name] = true;
    if (!this.ready && this._readyParts.outline && this._readyParts.events) {
      this.ready = true;
      var self = this;
      // After the browser has painted the points.
      L.Util.requestAnimFrame(function () {
        self.readyAt = window.performance ? Math.round(performance.now()) : null;
        if (self.readyAt !== null) document.body.setAttribute("data-ready-ms", String(self.readyAt));
        document.body.setAttribute("data-ready", "1");
        self.emit("ready", self);
        document.dispatchEvent(new CustomEvent("conflictmap:ready", { detail: self }));
      });
    }
  };

  ConflictMapView.prototype._loadOutline = function () {
    var self = this, o = this.options;
    var url = o.outlineUrl || STATIC_BASE + "vendor/world-atlas/countries-50m.json";
    var lib = window.topojson ? Promise.resolve(window.topojson) : new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = o.topojsonUrl || STATIC_BASE + "vendor/topojson-client/topojson-client.min.js";
      s.onload = function () { resolve(window.topojson); };
      s.onerror = reject;
      document.head.appendChild(s);
    });
    Promise.all([lib, fetch(url).then(function (r) { if (!r.ok) throw new Error("outline " + r.status); return r.json(); })])
      .then(function (res) {
        var topo = res[1], geo = res[0].feature(topo, topo.objects.countries);
        var renderer = L.canvas({ pane: "outline", padding: 0.3 });
        L.geoJSON(geo, {
          pane: "outline", renderer: renderer, interactive: false,
          style: { color: "#8b99a8", weight: 0.8, fillColor: "#f3f1ec", fillOpacity: 1 }
        }).addTo(self.outlineLayer);
      })
      .catch(function () { /* the map still works on tiles alone */ })
      .then(function () { self._part("outline"); });
  };

  ConflictMapView.prototype._loadSites = function () {
    var self = this;
    this._fetch("sites", this.options.api + "sites/").then(function (fc) {
      (fc.features || []).forEach(function (f) {
        if (!f.geometry) return;
        var p = f.properties, c = f.geometry.coordinates;
        var name = (self.lang === "ar" && p.name_ar) ? p.name_ar : p.name_en;
        var marker = L.marker([c[1], c[0]], {
          pane: "sites", keyboard: self.options.interactive, interactive: self.options.interactive,
          title: name, alt: name,
          icon: L.divIcon({ className: "site-icon site-" + String(p.kind).replace(/[^a-z_]/g, ""), iconSize: [12, 12] })
        });
        if (self.options.interactive) marker.bindPopup(function () { return self._sitePopup(f); }, { maxWidth: 280 });
        marker.addTo(self.sitesLayer);
      });
    }).catch(function () { /* no sites layer */ });
  };

  ConflictMapView.prototype._sitePopup = function (f) {
    var self = this, p = f.properties;
    var name = (this.lang === "ar" && p.name_ar) ? p.name_ar : p.name_en;
    var rows = [
      h("h3", { class: "popup-title", text: name }),
      h("p", { class: "popup-sub", text: gettext(SITE_KINDS[p.kind] || p.kind || "") + (p.country ? " · " + this.fmt.country(p.country) : "") })
    ];
    if (p.operator) rows.push(h("p", {}, [h("strong", { text: gettext("Operator") + ": " }), p.operator]));
    if (this.form) {
      rows.push(h("button", { type: "button", class: "btn btn-small", text: gettext("Show the events at this site"),
        onclick: function () { self.map.closePopup(); self.setFilters({ site: p.slug }); } }));
    }
    return h("div", { class: "popup popup-site" }, rows);
  };

  // --- Drawing ------------------------------------------------------------------------------------------
  ConflictMapView.prototype._render = function () {
    var s = this.state, d = this.data;
    if (!d || !d.features) return;
    var shown = [];
    for (var i = 0; i < d.features.length; i++) {
      var f = d.features[i];
      if (f._day >= s.start && f._day <= s.end) shown.push(f);
    }
    this.shown = shown;
    this.points.setFeatures(shown);
    this.points.setSelected(s.event);
    if (!this._fitted) {
      this._fitted = true;
      if (!this._viewFromUrl && shown.length) {
        var b = L.latLngBounds(shown.slice(0, 5000).map(function (f) { var c = f.geometry.coordinates; return [c[1], c[0]]; }));
        this.map.fitBounds(b.pad(0.15), { maxZoom: 8, animate: false });
      }
      if (s.event) this.select(s.event, { pan: !this._viewFromUrl, fromUrl: true });
    }
    this._updateCounts();
    this._updateList();
    this._updateLegend();
    if (d.truncated) {
      this._status(fmt(gettext("Showing the latest %(shown)s of %(total)s events: narrow the window or the filters to see them all."),
        { shown: this.fmt.number.format(d.features.length), total: this.fmt.number.format(d.total) }), "warning");
    } else if (!shown.length) {
      this._status(gettext("No events in this window with these filters."), "info");
    } else {
      this._status("", "");
    }
    this.emit("render", shown);
  };

  ConflictMapView.prototype._status = function (text, kind) {
    var el = document.getElementById("map-status");
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
    el.className = "map-status" + (kind ? " map-status-" + kind : "");
  };

  ConflictMapView.prototype._inView = function () {
    var b = this.map.getBounds(), out = [];
    for (var i = 0; i < this.shown.length; i++) {
      var c = this.shown[i].geometry.coordinates;
      if (b.contains([c[1], c[0]])) out.push(this.shown[i]);
    }
    return out;
  };

  ConflictMapView.prototype._updateCounts = function () {
    var n = this.shown.length, inView = this._inView().length;
    this._inViewCount = inView;
    var count = document.getElementById("event-count");
    if (count) count.textContent = fmt(ngettext("%(n)s event", "%(n)s events", n), { n: this.fmt.number.format(n) });
    var detail = document.getElementById("event-count-detail");
    if (detail) detail.textContent = fmt(gettext("in the window · %(n)s on the map's view"), { n: this.fmt.number.format(inView) });
    document.body.setAttribute("data-shown", String(n));
  };

  var LIST_MAX = 200;
  ConflictMapView.prototype._updateList = function () {
    var list = this.listEl;
    if (!list) return;
    var self = this, items = this._inView();
    var frag = document.createDocumentFragment();
    items.slice(0, LIST_MAX).forEach(function (f) {
      var p = f.properties;
      var actors = [p.actor1, p.actor2].filter(Boolean).join(" → ");
      var place = [p.location, self.fmt.country(p.country)].filter(Boolean).join(", ");
      var btn = h("button", { type: "button", class: "event-item", "data-id": String(f.id) }, [
        h("span", { class: "swatch", style: "background:" + colorOf(p.sub_event_type), "aria-hidden": "true" }),
        h("span", { class: "event-item-main" }, [
          h("span", { class: "event-item-top" }, [
            h("time", { datetime: p.event_date, text: self.fmt.shortDay.format(dateOf(f._day)) }),
            " · ",
            h("span", { class: "event-type", text: typeLabel(p.sub_event_type) })
          ]),
          h("span", { class: "event-item-place", text: place || gettext("Unknown place") }),
          actors ? h("span", { class: "event-item-actors", text: actors }) : null
        ]),
        p.fatalities ? h("span", { class: "event-item-dead", title: gettext("Fatalities"), text: "✝ " + self.fmt.number.format(p.fatalities) }) : null
      ]);
      btn.addEventListener("click", function () { self.select(f.id, { pan: true }); });
      btn.addEventListener("mouseenter", function () { self.points.setSelected(f.id); });
      btn.addEventListener("mouseleave", function () { self.points.setSelected(self.state.event); });
      frag.appendChild(h("li", { class: p.review_status === "verified" ? "verified" : "" }, [btn]));
    });
    list.textContent = "";
    list.appendChild(frag);
    var count = document.getElementById("list-count");
    if (count) count.textContent = this.fmt.number.format(items.length);
    var more = document.getElementById("list-more");
    if (more) {
      more.hidden = items.length <= LIST_MAX;
      more.textContent = fmt(gettext("and %(n)s more: zoom in or narrow the window."), { n: this.fmt.number.format(items.length - LIST_MAX) });
    }
    if (!items.length) list.appendChild(h("li", { class: "empty muted", text: gettext("No events in the map's view.") }));
    this._markList();
  };

  ConflictMapView.prototype._markList = function () {
    if (!this.listEl) return;
    var id = this.state.event;
    var prev = this.listEl.querySelector(".event-item.selected");
    if (prev) { prev.classList.remove("selected"); prev.removeAttribute("aria-current"); }
    if (!id) return;
    var el = this.listEl.querySelector('.event-item[data-id="' + String(id).replace(/[^0-9]/g, "") + '"]');
    if (el) {
      el.classList.add("selected");
      el.setAttribute("aria-current", "true");
      if (el.scrollIntoView) el.scrollIntoView({ block: "nearest" });
    }
  };

  ConflictMapView.prototype._hover = function (feature) {
    if (!this.listEl) return;
    var prev = this.listEl.querySelector(".event-item.hover");
    if (prev) prev.classList.remove("hover");
    if (!feature) return;
    var el = this.listEl.querySelector('.event-item[data-id="' + feature.id + '"]');
    if (el) el.classList.add("hover");
  };

  ConflictMapView.prototype._buildLegend = function () {
    var self = this;
    var Legend = L.Control.extend({
      options: { position: this.rtl ? "bottomright" : "bottomleft" },
      onAdd: function () {
        var div = L.DomUtil.create("div", "legend leaflet-bar");
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        var details = h("details", { open: window.matchMedia && window.matchMedia("(max-width: 700px)").matches ? null : true }, [
          h("summary", { text: gettext("Legend") }),
          self._legendList = h("ul", { class: "legend-list" })
        ]);
        div.appendChild(details);
        return div;
      }
    });
    this.legendCtl = new Legend().addTo(this.map);
  };

  ConflictMapView.prototype._updateLegend = function () {
    var counts = {}, self = this;
    this.shown.forEach(function (f) { var t = f.properties.sub_event_type; counts[t] = (counts[t] || 0) + 1; });
    var types = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a] || (TYPE_INDEX[a] - TYPE_INDEX[b]); });
    if (this._legendList) {
      this._legendList.textContent = "";
      types.forEach(function (t) {
        self._legendList.appendChild(h("li", { "data-type": t }, [
          h("span", { class: "swatch", style: "background:" + colorOf(t), "aria-hidden": "true" }),
          h("span", { class: "label", text: typeLabel(t) }),
          h("span", { class: "count", text: self.fmt.number.format(counts[t]) })
        ]));
      });
      if (!types.length) this._legendList.appendChild(h("li", { class: "muted", text: gettext("No events") }));
      this._legendList.appendChild(h("li", { class: "legend-site" }, [h("span", { class: "site-icon site-swatch", "aria-hidden": "true" }), h("span", { class: "label", text: gettext("Site (base, airfield…)") })]));
    }
    if (this.form) {
      Array.prototype.forEach.call(this.form.querySelectorAll(".type-option"), function (label) {
        var c = counts[label.getAttribute("data-type")] || 0;
        label.querySelector(".count").textContent = c ? self.fmt.number.format(c) : "";
      });
    }
  };

  // --- Selection and popups -------------------------------------------------------------------------------
  ConflictMapView.prototype.featureById = function (id) {
    var list = this.data && this.data.features ? this.data.features : [];
    for (var i = 0; i < list.length; i++) if (list[i].id === id) return list[i];
    return null;
  };

  /** Select an event: highlighted on the map and the list, its popup opened, in the URL. */
  ConflictMapView.prototype.select = function (id, opts) {
    opts = opts || {};
    var self = this;
    this.state.event = id;
    this.points.setSelected(id);
    this._markList();
    this._urlChanged();
    var feature = this.featureById(id);
    if (feature && opts.pan) {
      var c = feature.geometry.coordinates, ll = L.latLng(c[1], c[0]);
      if (!this.map.getBounds().pad(-0.1).contains(ll)) this.map.setView(ll, Math.max(this.map.getZoom(), 7), { animate: this.options.interactive });
    }
    var seq = this._selSeq = (this._selSeq || 0) + 1;
    return this._fetch("detail", this.options.api + "events/" + encodeURIComponent(id) + "/").then(function (detail) {
      if (seq !== self._selSeq) return;
      var ll;
      if (detail.geometry) ll = L.latLng(detail.geometry.coordinates[1], detail.geometry.coordinates[0]);
      else if (feature) ll = L.latLng(feature.geometry.coordinates[1], feature.geometry.coordinates[0]);
      if (!ll) return;
      if (opts.pan && !feature && !self.map.getBounds().contains(ll)) self.map.setView(ll, Math.max(self.map.getZoom(), 7), { animate: false });
      self._reopening = true;
      if (self._popup) self.map.closePopup(self._popup);
      self._reopening = false;
      self._popup = L.popup({ maxWidth: 380, minWidth: 260, maxHeight: 420, autoPanPadding: [30, 30], className: "event-popup" })
        .setLatLng(ll).setContent(self._eventPopup(detail)).openOn(self.map);
      self.emit("select", detail);
    }).catch(function (err) {
      if (err.name === "AbortError" || seq !== self._selSeq) return;
      if (err.status === 404 && opts.fromUrl) { self.state.event = null; self.points.setSelected(null); self._urlChanged(); return; }
      self._status(fmt(gettext("The event could not be loaded: %(why)s"), { why: err.message }), "error");
    });
  };

  var TIME_PRECISION = {
    1: gettext_noop("exact day"),
    2: gettext_noop("within a week or a few days"),
    3: gettext_noop("only the month is known")
  };
  var GEO_PRECISION = {
    1: gettext_noop("the place itself"),
    2: gettext_noop("near this place"),
    3: gettext_noop("somewhere in the region")
  };
  var STATUS = { verified: gettext_noop("verified by an editor"), unreviewed: gettext_noop("not reviewed yet") };

  ConflictMapView.prototype._eventPopup = function (f) {
    var p = f.properties, self = this, fm = this.fmt;
    var day = dayOf(p.event_date);
    var rows = [];
    function row(label, value, cls) {
      if (value === null || value === undefined || value === "") return;
      rows.push(h("div", { class: "popup-row" + (cls ? " " + cls : "") }, [h("dt", { text: label }), h("dd", {}, [value])]));
    }
    var dateText = p.time_precision === 3 ? fm.month.format(dateOf(day)) : fm.day.format(dateOf(day));
    row(gettext("Date"), h("span", {}, [dateText, " ", h("small", { class: "muted", text: "(" + gettext(TIME_PRECISION[p.time_precision] || "") + ")" })]));
    var place = [p.location, p.admin2, p.admin1, p.country ? fm.country(p.country) : ""]
      .filter(function (v, i, all) { return v && all.indexOf(v) === i; }).join(", ");
    if (p.site) {
      var siteName = (this.lang === "ar" && p.site.name_ar) ? p.site.name_ar : p.site.name_en;
      place = siteName + (place ? " — " + place : "");
    }
    row(gettext("Place"), h("span", {}, [place || gettext("Unknown place"), " ", h("small", { class: "muted", text: "(" + gettext(GEO_PRECISION[p.geo_precision] || "") + ")" })]));
    if (p.site && p.site.operator) row(gettext("Operator"), p.site.operator);
    row(gettext("Attacker"), [p.actor1, p.assoc_actor_1].filter(Boolean).join("; "));
    row(gettext("Target"), p.target || [p.actor2, p.assoc_actor_2].filter(Boolean).join("; "));
    row(gettext("Weapon"), p.weapon);
    var cas = [];
    if (p.fatalities !== null && p.fatalities !== undefined) cas.push(fmt(ngettext("%(n)s killed", "%(n)s killed", p.fatalities), { n: fm.number.format(p.fatalities) }));
    if (p.injured !== null && p.injured !== undefined) cas.push(fmt(ngettext("%(n)s injured", "%(n)s injured", p.injured), { n: fm.number.format(p.injured) }));
    row(gettext("Casualties"), cas.join(", ") || gettext("not reported"));
    row(gettext("Status"), gettext(STATUS[p.review_status] || p.review_status) + " · " + fmt(gettext("confidence %(p)s"), { p: fm.percent.format(p.confidence || 0) }));
    if (p.notes) row(gettext("Notes"), p.notes);

    var quotes = [];
    (p.sources || []).forEach(function (s) { if (s.quote) quotes.push(s.quote); });
    if (!quotes.length && p.evidence) {
      Object.keys(p.evidence).forEach(function (k) { p.evidence[k].forEach(function (e) { if (e.text && quotes.indexOf(e.text) < 0) quotes.push(e.text); }); });
    }
    var evidence = quotes.length ? h("div", { class: "popup-evidence" }, [
      h("h4", { text: gettext("Evidence") })
    ].concat(quotes.slice(0, 3).map(function (q) { return h("blockquote", { dir: "auto", text: q.length > 400 ? q.slice(0, 400) + "…" : q }); }))) : null;

    var sources = h("div", { class: "popup-sources" }, [
      h("h4", { text: fmt(ngettext("%(n)s source", "%(n)s sources", (p.sources || []).length), { n: fm.number.format((p.sources || []).length) }) }),
      h("ul", {}, (p.sources || []).map(function (s) {
        var url = safeUrl(s.url);
        var title = s.title || s.outlet || url || gettext("Untitled article");
        var head = url
          ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow", dir: "auto", text: title })
          : h("span", { dir: "auto", text: title });
        var meta = [s.outlet, s.published ? fm.shortDay.format(new Date(s.published)) : ""].filter(Boolean).join(" · ");
        return h("li", {}, [head, meta ? h("span", { class: "muted source-meta", dir: "auto", text: meta }) : null]);
      }))
    ]);
    var footer = [];
    if (this.options.editing && this.options.adminUrl) {
      footer.push(h("a", { class: "btn btn-small", href: this.options.adminUrl.replace("{id}", encodeURIComponent(f.id)), text: gettext("Edit in admin") }));
    }
    return h("article", { class: "popup popup-event", "data-id": String(f.id) }, [
      h("header", {}, [
        h("span", { class: "swatch", style: "background:" + colorOf(p.sub_event_type), "aria-hidden": "true" }),
        h("h3", { class: "popup-title", text: typeLabel(p.sub_event_type) }),
        p.review_status === "verified" ? h("span", { class: "badge", text: gettext("verified") }) : null
      ]),
      h("dl", { class: "popup-fields" }, rows),
      evidence,
      sources,
      footer.length ? h("footer", {}, footer) : null
    ]);
  };

  // --- Window, map and filters changes ------------------------------------------------------------------
  ConflictMapView.prototype._windowChanged = function (start, end, final) {
    this.state.start = start; this.state.end = end;
    var d = this.data, key = this._filtersKey();
    if (d && d.key === key && !d.truncated && d.features && d.from <= start && d.to >= end) {
      var self = this;
      if (!this._renderFrame) {
        this._renderFrame = L.Util.requestAnimFrame(function () { self._renderFrame = null; self._render(); });
      }
    } else {
      this._ensureData(false);
    }
    this._urlChanged();
    this.emit("window", { start: isoOf(start), end: isoOf(end), final: final });
  };

  ConflictMapView.prototype._onMove = function () {
    var c = this.map.getCenter();
    this.state.lat = c.lat; this.state.lng = c.lng; this.state.zoom = this.map.getZoom();
    var self = this;
    if (!this._listFrame) {
      this._listFrame = L.Util.requestAnimFrame(function () { self._listFrame = null; self._updateList(); self._updateCounts(); });
    }
    if (this._fitted) this._urlChanged();
  };

  /** Change some filters ({types, actor, country, status, min_confidence, site}) and reload. */
  ConflictMapView.prototype.setFilters = function (changes) {
    Object.assign(this.state, changes);
    this._syncForm();
    this._urlChanged();
    this.refresh(false);
  };

  ConflictMapView.prototype.setWindow = function (start, end) {
    var a = dayOf(start), b = dayOf(end);
    if (a === null || b === null) return;
    if (this.timeline) { this.timeline.setWindow(a, b, true); this.timeline.ensureVisible(); } else this._windowChanged(a, b, true);
  };

  ConflictMapView.prototype._buildFilters = function () {
    var self = this, form = this.form;
    var main = document.getElementById("type-list"), more = document.getElementById("type-list-more");
    TYPES.forEach(function (t, i) {
      var id = "type-" + i;
      var label = h("label", { class: "type-option", "data-type": t[0], for: id }, [
        h("input", { type: "checkbox", id: id, name: "sub_event_type", value: t[0] }),
        h("span", { class: "swatch", style: "background:" + t[1], "aria-hidden": "true" }),
        h("span", { class: "label", text: typeLabel(t[0]) }),
        h("span", { class: "count muted" })
      ]);
      (i < MAIN_TYPES || !more ? main : more).appendChild(label);
    });
    var country = document.getElementById("filter-country");
    if (country) {
      (this.options.countries || []).map(function (c) { return [c, self.fmt.country(c)]; })
        .sort(function (a, b) { return a[1].localeCompare(b[1], self.lang); })
        .forEach(function (c) { country.appendChild(h("option", { value: c[0], text: c[1] })); });
    }
    var conf = document.getElementById("filter-confidence"), out = document.getElementById("filter-confidence-out");
    var read = function () {
      var types = Array.prototype.filter.call(form.querySelectorAll('input[name="sub_event_type"]'), function (i) { return i.checked; })
        .map(function (i) { return i.value; });
      var c = parseFloat(conf.value);
      return {
        types: types,
        actor: (document.getElementById("filter-actor").value || "").trim().slice(0, 200),
        country: country ? country.value : "",
        status: document.getElementById("filter-verified").checked ? "verified" : "",
        min_confidence: c > 0 ? c : null
      };
    };
    var apply = function () { self.setFilters(read()); };
    var applyLater = debounce(apply, 400);
    form.addEventListener("change", function (e) { if (e.target.id !== "filter-actor") apply(); });
    form.addEventListener("input", function (e) {
      if (e.target === conf) out.textContent = self.fmt.percent.format(parseFloat(conf.value) || 0);
      if (e.target.id === "filter-actor") applyLater();
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); applyLater.cancel(); apply(); });
    form.addEventListener("reset", function (e) {
      e.preventDefault();
      self.setFilters({ types: [], actor: "", country: "", status: "", min_confidence: null, site: "" });
    });
    var clearSite = document.getElementById("site-filter-clear");
    if (clearSite) clearSite.addEventListener("click", function () { self.setFilters({ site: "" }); });
    this._syncForm();
  };

  ConflictMapView.prototype._syncForm = function () {
    var form = this.form, s = this.state, self = this;
    if (!form) return;
    Array.prototype.forEach.call(form.querySelectorAll('input[name="sub_event_type"]'), function (i) { i.checked = s.types.indexOf(i.value) >= 0; });
    var more = form.querySelector(".more-types");
    if (more && s.types.some(function (t) { return TYPE_INDEX[t] >= MAIN_TYPES; })) more.open = true;
    document.getElementById("filter-actor").value = s.actor;
    var country = document.getElementById("filter-country");
    if (country) {
      var first = s.country.split(",")[0] || "";
      if (first && !country.querySelector('option[value="' + first + '"]')) country.appendChild(h("option", { value: first, text: self.fmt.country(first) }));
      country.value = first;
    }
    document.getElementById("filter-verified").checked = s.status === "verified";
    var conf = document.getElementById("filter-confidence");
    conf.value = s.min_confidence || 0;
    document.getElementById("filter-confidence-out").textContent = this.fmt.percent.format(s.min_confidence || 0);
    var siteBox = document.getElementById("site-filter");
    if (siteBox) {
      siteBox.hidden = !s.site;
      document.getElementById("site-filter-name").textContent = s.site;
    }
  };

  ConflictMapView.prototype._bindChrome = function () {
    var toggle = function (btnId, panelId) {
      var btn = document.getElementById(btnId), panel = document.getElementById(panelId);
      if (!btn || !panel) return;
      btn.addEventListener("click", function () {
        var open = !panel.classList.contains("open");
        Array.prototype.forEach.call(document.querySelectorAll(".panel.open"), function (p) { if (p !== panel) p.classList.remove("open"); });
        Array.prototype.forEach.call(document.querySelectorAll("[aria-controls]"), function (b) { if (b !== btn) b.setAttribute("aria-expanded", "false"); });
        panel.classList.toggle("open", open);
        btn.setAttribute("aria-expanded", open ? "true" : "false");
      });
    };
    toggle("toggle-filters", "filters");
    toggle("toggle-list", "list-panel");
    var self = this;
    this.map.whenReady(function () { setTimeout(function () { self.map.invalidateSize(); }, 0); });
  };

  // --- The URL -------------------------------------------------------------------------------------------
  /** The view as a query string (without "?"): the same string opens /, /embed/ and /snapshot.png. */
  ConflictMapView.prototype.query = function () {
    var s = Object.assign({}, this.state);
    if (!this.options.syncUrl) s.lang = "";
    return stateQuery(s);
  };
  ConflictMapView.prototype.permalink = function () {
    return window.location.origin + window.location.pathname + (this.query() ? "?" + this.query() : "");
  };

  ConflictMapView.prototype._writeUrl = function () {
    var q = this.query();
    var url = window.location.pathname + (q ? "?" + q : "");
    if (url !== window.location.pathname + window.location.search) window.history.replaceState(null, "", url);
    var csv = document.getElementById("download-csv");
    if (csv) csv.href = this.options.api + "events.csv?" + filterParams(this.state, true).toString();
    var langLink = document.getElementById("lang-switch");
    if (langLink) {
      var p = new URLSearchParams(q);
      p.set("lang", this.lang === "ar" ? "en" : "ar");
      langLink.href = "?" + p.toString();
    }
    this.emit("url", q);
  };

  // --- Entry points --------------------------------------------------------------------------------------
  function readOptions(id) {
    var el = document.getElementById(id || "map-options");
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function create(options) {
    var view = new ConflictMapView(options);
    window.conflictmap = view;
    return view;
  }

  function boot() {
    var options = readOptions();
    if (!options || options.autostart === false || !document.getElementById(options.map || "map")) return null;
    try {
      return create(options);
    } catch (err) {
      document.body.setAttribute("data-ready", "error");
      throw err;
    }
  }

  window.ConflictMap = {
    create: create,
    boot: boot,
    readOptions: readOptions,
    parseState: parseState,
    stateQuery: stateQuery,
    filterParams: filterParams,
    safeUrl: safeUrl,
    colorOf: colorOf,
    typeLabel: typeLabel,
    TYPES: TYPES,
    View: ConflictMapView,
    Timeline: Timeline,
    PointsRenderer: PointsRenderer
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})(window, document);
