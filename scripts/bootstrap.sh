#!/usr/bin/env bash
# Install what conflictmap needs on Debian 12, idempotently: Debian packages that are
# missing, and a .venv from Debian's /usr/bin/python3 (its sqlite3 can load SpatiaLite;
# other Pythons often cannot) rebuilt only when requirements.txt changes.
#   scripts/bootstrap.sh         what `make run` needs
#   scripts/bootstrap.sh --test  plus PostgreSQL/PostGIS, Redis and Chromium for the tests
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(python3 python3-venv python3-dev gcc libgdal32 libgeos-c1v5 libproj25 libsqlite3-mod-spatialite
          gettext chromium fonts-noto-core fonts-dejavu-core)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(postgresql postgresql-15-postgis-3 postgresql-client redis-server redis-tools)
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "Installing Debian packages: ${missing[*]}"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "Creating .venv from /usr/bin/python3"
  /usr/bin/python3 -m venv .venv
fi
want=$(sha256sum requirements.txt | cut -d' ' -f1)
have=$(cat .venv/.requirements.sha256 2>/dev/null || true)
if [[ "$want" != "$have" ]]; then
  echo "Installing Python packages from requirements.txt"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements.txt
  echo "$want" > .venv/.requirements.sha256
fi
