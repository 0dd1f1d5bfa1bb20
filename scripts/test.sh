#!/usr/bin/env bash
# The whole test suite from a clean checkout on a fresh Debian/Ubuntu machine with
# Node.js 20: installs what the tests need and is missing (as root, with apt-get),
# then `npm ci` and `npm test`. .ci/run calls this. Where Redis, PostgreSQL,
# Chromium and torch are already installed, `npm test` alone is the same run.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests start a private redis-server and a private PostgreSQL (initdb +
# postgres) when REDIS_URL / DATABASE_URL are not given (test/global-setup.ts).
# Debian keeps initdb and postgres off PATH, in /usr/lib/postgresql/<ver>/bin.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
missing=()
# The Redis Cluster tests start their own cluster (test/harness/redis-cluster-service.ts) whatever REDIS_URL
# says: redis-server and redis-cli (redis-tools) are needed either way.
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
if [ -z "${DATABASE_URL:-}" ] && ! command -v initdb >/dev/null 2>&1 && [ -z "$(pg_bin)" ]; then missing+=(postgresql); fi
# The dashboard's browser tests (test/browser) drive a headless Chromium at /usr/bin/chromium.
if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
# The launcher tests and the Python client's tests (pytest) run torch scripts under /usr/bin/python3.
py_has() { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import $1" >/dev/null 2>&1; }
py_has torch || missing+=(python3-torch)
py_has pytest || missing+=(python3-pytest)
py_has setuptools || missing+=(python3-setuptools)
# clients/python's install test makes a venv (Debian keeps ensurepip in python3-venv).
py_has ensurepip || missing+=(python3-venv)
# better-sqlite3 compiles SQLite with node-gyp when no prebuilt binary can be fetched
# (npm ci offline; test/pack installs the packed CLI with no network).
for tool in python3 make g++; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "scripts/test.sh: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "scripts/test.sh: missing ${missing[*]} (install them, as root: apt-get install ${missing[*]}); the tests that need them will fail" >&2
  fi
fi
if ! command -v initdb >/dev/null 2>&1 && [ -n "$(pg_bin)" ]; then export PATH="$PATH:$(pg_bin)"; fi

npm ci --no-audit --no-fund
npm test
