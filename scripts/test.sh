#!/usr/bin/env bash
# Installs everything and runs every test: type check, unit and integration tests (jest; the sandbox
# cluster driven by the real kubectl and client-node), then the browser tests (Playwright driving
# Debian's Chromium against the built portal, and against a fresh app from Backstage's template with the
# packed plugins installed by their READMEs' steps: e2e/freshApp.test.mjs).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$KT_ROOT"
bash scripts/setup.sh
bash scripts/ensure-chromium.sh
bash scripts/ensure-asciinema.sh
bash scripts/ensure-busybox.sh
bash scripts/ensure-postgres.sh
# Store tests run on SQLite and on this PostgreSQL (trust auth on loopback).
export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="${BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING:-postgresql://postgres@127.0.0.1:5432}"

results="$KT_ROOT/.cache/test-results"
rm -rf "$results" && mkdir -p "$results"

echo "== type check and lint"
yarn tsc
yarn tsc -p bench/tsconfig.json
yarn backstage-cli repo lint

echo "== API reports (a change of a plugin's public API must come with its report: yarn build:api-reports)"
yarn test:api-reports

echo "== unit and integration tests"
set +e
CI=true yarn test --json --outputFile="$results/jest.json"
jest_rc=$?
set -e

echo "== browser tests"
yarn workspace app build >"$results/app-build.log" 2>&1 || { tail -50 "$results/app-build.log"; exit 1; }
set +e
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$results/e2e.tap" "e2e/*.test.mjs"
e2e_rc=$?
set -e

echo "== benchmarks, quick mode (proves the suite runs; figures are not judged here)"
set +e
yarn bench --quick && yarn bench:resume --quick && yarn bench:agent --quick
bench_rc=$?
set -e

node scripts/summarize-tests.mjs "$results/jest.json" "$results/e2e.tap"
if [ $jest_rc -ne 0 ] || [ $e2e_rc -ne 0 ] || [ $bench_rc -ne 0 ]; then
  exit 1
fi
