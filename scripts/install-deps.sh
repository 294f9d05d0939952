#!/usr/bin/env bash
# Installs the Debian 12 packages gdsweep needs to build, test and run its
# examples, if any is missing. Uses sudo when not root.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libboost-program-options-dev nlohmann-json3-dev libyaml-cpp-dev libsqlite3-dev libpq-dev
  libspdlog-dev doctest-dev libcurl4-openssl-dev libssl-dev libeigen3-dev liblbfgspp-dev
  python3 python3-optuna python3-scipy python3-sklearn python3-pandas sqlite3 openssl
  chromium libcpp-httplib-dev postgresql python3-psycopg2
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
