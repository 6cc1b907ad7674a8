/* The "Share / embed" dialog of the main page (templates/events/_share_dialog.html).
 *
 * Everything is built from the page's URL, where the map keeps its whole view (window,
 * filters, centre, zoom, selected event): the permalink, the <iframe> snippet for
 * /embed/, the /snapshot.png link and download, and the CSV / GeoJSON exports of the
 * same view. Text typed by the user only ever reaches the page as input values or
 * textContent, and the snippet's attributes are escaped.
 */
(function () {
  'use strict';

  var dialog = document.getElementById('share-dialog');
  if (!dialog) return;

  // Parameters of the main page that are not part of the view itself.
  var PAGE_ONLY = ['lang', 'static', 'slider', 'legend', 'height', 'title', 'width', 'scale', 'download', 'format'];
  var FILTERS = ['start', 'end', 'sub_event_type', 'actor', 'country', 'status', 'min_confidence', 'site', 'bbox'];

  function $(id) { return document.getElementById(id); }

  function pageLang() {
    var lang = (document.documentElement.getAttribute('lang') || 'en').slice(0, 2);
    return lang === 'ar' ? 'ar' : 'en';
  }

  /* The view's parameters, as on the page's URL now. */
  function viewParams(onlyFilters) {
    var current = new URLSearchParams(window.location.search);
    var out = new URLSearchParams();
    current.forEach(function (value, key) {
      if (PAGE_ONLY.indexOf(key) !== -1) return;
      if (onlyFilters && FILTERS.indexOf(key) === -1) return;
      if (value !== '') out.append(key, value);
    });
    return out;
  }

  function absolute(path, params) {
    var query = params.toString();
    return window.location.origin + path + (query ? '?' + query : '');
  }

  function escAttr(text) {
    return String(text).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  }

  function intIn(input, lo, hi, fallback) {
    var n = parseInt(input.value, 10);
    if (isNaN(n)) return fallback;
    return Math.max(lo, Math.min(hi, n));
  }

  function permalink() {
    var params = viewParams(false);
    if (pageLang() !== 'en') params.set('lang', pageLang());
    return absolute('/', params);
  }

  function embedUrl() {
    var params = viewParams(false);
    if ($('share-embed-static').checked) params.set('static', '1');
    if (!$('share-embed-slider').checked || $('share-embed-static').checked) params.set('slider', '0');
    var lang = $('share-embed-lang').value;
    if (lang !== 'en') params.set('lang', lang);
    var title = $('share-embed-title').value.trim();
    if (title) params.set('title', title);
    return absolute(dialog.dataset.embed, params);
  }

  function iframeSnippet() {
    var width = intIn($('share-embed-width'), 200, 4000, 800);
    var height = intIn($('share-embed-height'), 150, 4000, 500);
    var title = $('share-embed-title').value.trim() || $('share-embed-title').getAttribute('placeholder') || 'conflictmap';
    return '<iframe src="' + escAttr(embedUrl()) + '" width="' + width + '" height="' + height +
      '" title="' + escAttr(title) + '" loading="lazy" style="border:0;max-width:100%"' +
      ' referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe>';
  }

  function snapshotParams(width, height, scale, title) {
    var params = viewParams(false);
    params.set('width', String(width));
    params.set('height', String(height));
    if (scale && scale !== 1) params.set('scale', String(scale));
    if (title) params.set('title', title);
    if (pageLang() !== 'en') params.set('lang', pageLang());
    return params;
  }

  function snapshotUrl(download) {
    var params = snapshotParams(
      intIn($('share-png-width'), 100, 3000, 1200),
      intIn($('share-png-height'), 100, 3000, 800),
      parseInt($('share-png-scale').value, 10) || 1,
      $('share-png-title').value.trim()
    );
    if (download) params.set('download', '1');
    return absolute(dialog.dataset.snapshot, params);
  }

  /* The quick "Download PNG" button: the map as large as it is on the screen now. */
  function quickSnapshotUrl() {
    var map = document.getElementById('map');
    var rect = map ? map.getBoundingClientRect() : { width: 1200, height: 800 };
    var width = Math.max(400, Math.min(3000, Math.round(rect.width) || 1200));
    var height = Math.max(300, Math.min(3000, Math.round(rect.height) || 800));
    var params = snapshotParams(width, height, 1, '');
    params.set('download', '1');
    return absolute(dialog.dataset.snapshot, params);
  }

  var creditRequest = 0;
  function refreshCredit() {
    var ticket = ++creditRequest;
    var params = viewParams(true);
    if (pageLang() !== 'en') params.set('lang', pageLang());
    fetch(absolute(dialog.dataset.credit, params), { headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && ticket === creditRequest) $('share-credit-text').textContent = data.credit;
      })
      .catch(function () { /* the credit keeps its generic text */ });
  }

  function refresh() {
    $('share-permalink').value = permalink();
    $('share-embed-slider').disabled = $('share-embed-static').checked;
    $('share-iframe').value = iframeSnippet();
    $('share-png-link').value = snapshotUrl(false);
    $('share-png-download').href = snapshotUrl(true);
    $('share-csv').href = absolute(dialog.dataset.csv, viewParams(true));
    var geo = viewParams(true);
    $('share-geojson').href = absolute(dialog.dataset.geojson, geo);
  }

  function copy(button) {
    var field = $(button.getAttribute('data-copy'));
    if (!field) return;
    var done = function () {
      button.classList.add('copied');
      window.setTimeout(function () { button.classList.remove('copied'); }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
    } else {
      field.select();
      try { if (document.execCommand('copy')) done(); } catch (e) { /* selected for the user to copy */ }
    }
  }

  $('share-open').addEventListener('click', function () {
    if (!$('share-embed-lang').dataset.touched) $('share-embed-lang').value = pageLang();
    refresh();
    refreshCredit();
    if (typeof dialog.showModal === 'function') dialog.showModal(); else dialog.setAttribute('open', '');
  });
  $('share-embed-lang').addEventListener('change', function () { this.dataset.touched = '1'; });
  dialog.addEventListener('input', refresh);
  dialog.addEventListener('change', refresh);
  dialog.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('.share-copy') : null;
    if (button) copy(button);
    if (event.target === dialog) dialog.close();  // a click on the backdrop
  });
  ['share-permalink', 'share-iframe', 'share-png-link'].forEach(function (id) {
    $(id).addEventListener('focus', function () { this.select(); });
  });

  var quick = $('share-png-quick');
  if (quick) {
    var updateQuick = function () { quick.href = quickSnapshotUrl(); };
    quick.addEventListener('mousedown', updateQuick);
    quick.addEventListener('focus', updateQuick);
    quick.addEventListener('click', updateQuick);
    updateQuick();
  }

  window.ConflictMapShare = { permalink: permalink, embedUrl: embedUrl, iframeSnippet: iframeSnippet, snapshotUrl: snapshotUrl, refresh: refresh };
})();
