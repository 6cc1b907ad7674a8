/* The embeddable map (/embed/) and what the PNG snapshot photographs.
 *
 * The map itself is the main page's script (static/js/map.js): it boots from the same
 * #map-options element, which events/embed.py fills with the embed's options (embed,
 * interactive or static, slider, language, the view's query; no list, filters, editing
 * or address-bar syncing). When it has drawn the first data it sets
 * <body data-ready="1"> ("error" when the data could not be loaded), which the snapshot
 * renderer waits for.
 *
 * This file keeps the embed's own parts in step with the map:
 * - the compact legend: the types drawn, with the markers' colours, labels and counts;
 * - <body data-markers="N">: how many events are drawn;
 * - when a reader moves the slider: the date window written out, the credit line (from
 *   /embed/credit.json) and the link back to the full view.
 * Text is only ever set with textContent.
 */
(function (window, document) {
  'use strict';

  var body = document.body;
  var api = window.ConflictMap;
  var optionsEl = document.getElementById('map-options');
  var options = optionsEl ? JSON.parse(optionsEl.textContent) : {};

  if (!api) {
    // map.js did not load: say so to whoever waits for the picture.
    body.setAttribute('data-ready', 'error');
    return;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function drawLegend(shown) {
    var list = document.getElementById('embed-legend');
    if (!list) return;
    var counts = {};
    shown.forEach(function (f) {
      var type = (f.properties || {}).sub_event_type || '';
      counts[type] = (counts[type] || 0) + 1;
    });
    var types = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : a > b ? 1 : 0); });
    var number = new Intl.NumberFormat(options.lang === 'ar' ? 'ar' : 'en');
    list.textContent = '';
    types.forEach(function (type) {
      var item = el('li');
      item.setAttribute('data-type', type);
      var swatch = el('span', 'swatch');
      swatch.setAttribute('aria-hidden', 'true');
      swatch.style.background = api.colorOf(type);
      item.appendChild(swatch);
      item.appendChild(el('span', 'label', api.typeLabel(type)));
      item.appendChild(document.createTextNode(' '));
      item.appendChild(el('span', 'count', number.format(counts[type])));
      list.appendChild(item);
    });
    list.hidden = !types.length;
  }

  function onRender(shown) {
    body.setAttribute('data-markers', String(shown.length));
    drawLegend(shown);
  }

  // The slider moved: the written-out window, the credit and the link follow (debounced).
  var creditTimer = null, creditTicket = 0;
  function onWindow(view, change) {
    var link = document.querySelector('a.embed-full');
    if (link) {
      var url = new URL(link.href);
      url.searchParams.set('start', change.start);
      url.searchParams.set('end', change.end);
      link.href = url.toString();
    }
    window.clearTimeout(creditTimer);
    creditTimer = window.setTimeout(function () {
      var ticket = ++creditTicket;
      var params = api.filterParams(view.state, true);
      if (options.lang && options.lang !== 'en') params.set('lang', options.lang);
      fetch((options.creditUrl || '/embed/credit.json') + '?' + params.toString(), { headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || ticket !== creditTicket) return;
          var credit = document.getElementById('embed-credit');
          var windowText = document.getElementById('embed-window');
          if (credit) credit.textContent = data.credit;
          if (windowText) windowText.textContent = data.window;
        })
        .catch(function () { /* the previous credit stays */ });
    }, change.final ? 0 : 400);
  }

  function attach(view) {
    onRender(view.shown || []);
    view.on('render', onRender);
    view.on('window', function (change) { onWindow(view, change); });
  }

  // Colours and labels for the server's legend before the data arrives.
  Array.prototype.forEach.call(document.querySelectorAll('#embed-legend li[data-type]'), function (item) {
    var type = item.getAttribute('data-type');
    var swatch = item.querySelector('.swatch'), label = item.querySelector('.label');
    if (swatch) swatch.style.background = api.colorOf(type);
    if (label) label.textContent = api.typeLabel(type);
  });

  document.addEventListener('conflictmap:ready', function (event) { attach(event.detail); });
  // Already drawn (should map.js ever boot before this file runs).
  if (body.getAttribute('data-ready') === '1' && window.conflictmap) attach(window.conflictmap);
})(window, document);
