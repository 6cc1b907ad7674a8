#!/usr/bin/env bash
# Refresh the vendored front-end libraries in static/vendor/ (make vendor).
#
# The map page works with no network: Leaflet, leaflet.markercluster, topojson-client and
# the Natural Earth admin-0 outlines (world-atlas) are served from static/vendor/. This
# script installs the pinned versions with npm's ordinary client (from the registry npm is
# configured with) into a temporary directory, copies the distribution files, and rewrites
# static/vendor/VERSIONS.md with the versions and SHA-256 sums of what it copied.
#
# To upgrade: change a version below, run `make vendor`, look at the page and the browser
# tests (make test ARGS=tests/browser), and commit static/vendor/ together.
set -euo pipefail
cd "$(dirname "$0")/.."

LEAFLET=1.9.4
MARKERCLUSTER=1.5.3
TOPOJSON_CLIENT=3.1.0
WORLD_ATLAS=2.0.2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(
  cd "$work"
  npm init -y >/dev/null
  npm install --no-audit --no-fund --ignore-scripts --save-exact \
    "leaflet@$LEAFLET" "leaflet.markercluster@$MARKERCLUSTER" \
    "topojson-client@$TOPOJSON_CLIENT" "world-atlas@$WORLD_ATLAS" >/dev/null
)
nm="$work/node_modules"
out=static/vendor
rm -rf "$out/leaflet" "$out/leaflet.markercluster" "$out/topojson-client" "$out/world-atlas"
mkdir -p "$out/leaflet/images" "$out/leaflet.markercluster" "$out/topojson-client" "$out/world-atlas"

cp "$nm/leaflet/dist/leaflet.js" "$nm/leaflet/dist/leaflet.css" "$nm/leaflet/LICENSE" "$out/leaflet/"
cp "$nm/leaflet/dist/images/"*.png "$out/leaflet/images/"
cp "$nm/leaflet.markercluster/dist/leaflet.markercluster.js" \
   "$nm/leaflet.markercluster/dist/MarkerCluster.css" \
   "$nm/leaflet.markercluster/dist/MarkerCluster.Default.css" \
   "$nm/leaflet.markercluster/MIT-LICENCE.txt" "$out/leaflet.markercluster/"
cp "$nm/topojson-client/dist/topojson-client.min.js" "$nm/topojson-client/LICENSE" "$out/topojson-client/"
# Natural Earth admin-0 countries at 1:50m (public domain), as TopoJSON.
cp "$nm/world-atlas/countries-50m.json" "$nm/world-atlas/LICENSE" "$out/world-atlas/"

{
  echo "# Vendored front-end libraries"
  echo
  echo "Refreshed by \`scripts/vendor.sh\` (\`make vendor\`), which installs these exact versions with npm"
  echo "into a temporary directory and copies their distribution files here. Do not edit the files by hand."
  echo
  echo "| package | version | licence | files |"
  echo "| --- | --- | --- | --- |"
  echo "| leaflet | $LEAFLET | BSD-2-Clause | leaflet/leaflet.js, leaflet.css, images/ |"
  echo "| leaflet.markercluster | $MARKERCLUSTER | MIT | leaflet.markercluster/leaflet.markercluster.js, MarkerCluster*.css |"
  echo "| topojson-client | $TOPOJSON_CLIENT | ISC | topojson-client/topojson-client.min.js |"
  echo "| world-atlas | $WORLD_ATLAS | ISC (data: Natural Earth, public domain) | world-atlas/countries-50m.json |"
  echo
  echo "## SHA-256"
  echo
  echo '```'
  (cd "$out" && find leaflet leaflet.markercluster topojson-client world-atlas -type f ! -name LICENSE ! -name '*LICENCE*' | sort | xargs sha256sum)
  echo '```'
} > "$out/VERSIONS.md"
echo "static/vendor refreshed:"; sed -n '/^| leaflet /,/^| world-atlas/p' "$out/VERSIONS.md"
