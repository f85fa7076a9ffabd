#!/usr/bin/env bash
# Runs every test. Installs what the integration tests need when it is missing
# (Debian packages: real servers, OSProfiler itself, Chromium, node and npm for the OpenTelemetry JS exporter), then runs
# `dotnet test` on the whole solution and prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

packages=(redis-server redis-sentinel mariadb-server postgresql chromium openssl
          python3-osprofiler python3-redis python3-sqlalchemy python3-pymysql python3-psycopg2)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm by command: a machine may have them from elsewhere (NodeSource's nodejs bundles npm and conflicts with
# Debian's npm package).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { echo "apt-get install ${missing[*]} failed: the integration tests need these packages" >&2; exit 1; }
fi
# Debian starts the servers it installs; the tests start their own on free ports and need none of them.
for s in redis-server redis-sentinel mariadb postgresql; do
  service "$s" stop >/dev/null 2>&1 || true
done

log=$(mktemp)
# Build once (in parallel), then run the test projects one at a time (-m:1): on a 2-core machine running them side by
# side gains little time and starves the real servers and browsers the tests start.
dotnet build Profiler.sln -c Release 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ]; then
  dotnet test Profiler.sln -c Release --no-build -m:1 "$@" 2>&1 | tee -a "$log"
  status=${PIPESTATUS[0]}
fi
# Sum the per-assembly summaries ("Passed!  - Failed: 0, Passed: 13, Skipped: 0, ...").
read -r passed failed < <(awk '/^[[:space:]]*(Passed|Failed)!/ {
    for (i = 1; i <= NF; i++) { if ($i == "Passed:") p += $(i+1); if ($i == "Failed:") f += $(i+1) } }
  END { print p + 0, f + 0 }' "$log")
rm -f "$log"
[ "$status" -ne 0 ] && [ "${failed:-0}" = 0 ] && failed=1
echo "${passed:-0} passed, ${failed:-0} failed"
exit "$status"
