#!/bin/bash
# Browser tests of the dashboard (make test-browser, after make build):
# Debian's headless Chromium driven by playwright-core against a real
# steward-server, a real steward-agent and one simulated agent with a hostile
# hostname, all on 127.0.0.1 with temporary data directories. Then a second
# server seeded with 20,000 devices for a time-to-first-render measurement.
# Screenshots and logs go to server/web/e2e/artifacts/. Every process this
# script starts is stopped by its PID on exit.
set -euo pipefail
cd "$(dirname "$0")/../../.."
E2E=server/web/e2e
ART=${STEWARD_ARTIFACTS:-$PWD/$E2E/artifacts}
SEEDED=${STEWARD_SEEDED:-20000}
mkdir -p "$ART"
rm -f "$ART"/*.png "$ART"/*.log
TMP=$(mktemp -d "${TMPDIR:-/tmp}/steward-web-e2e.XXXXXX")
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do { wait "$pid"; } 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
started=$(date +%s)

# Debian's Chromium (never a browser download of Playwright's own).
if [ ! -x /usr/bin/chromium ] && [ -z "${STEWARD_CHROMIUM:-}" ]; then
	SUDO=
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { echo "browser tests: need /usr/bin/chromium (apt-get install chromium) and no sudo to install it" >&2; exit 1; }
		SUDO=sudo
	fi
	echo "browser tests: installing Debian's chromium"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "browser tests: installing Node.js and npm from the Debian packages"
	SUDO=
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null || true
fi
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null ||
	{ echo "browser tests: need Node.js 20+ and npm (playwright-core requires it)" >&2; exit 1; }
(cd server/web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)

# Rebuild (cached, quick): the dashboard is embedded in steward-server, so a
# stale binary would test stale pages.
make --no-print-directory build >/dev/null
go build -o "$TMP/steward-sim" ./agent/cmd/steward-sim
go build -o "$TMP/seed" ./$E2E/seed
go build -o "$TMP/importbench" ./$E2E/importbench

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

# start_server DATA LOG: starts a server on a free port; sets URL and TOKEN.
start_server() {
	local data=$1 log=$2 port
	port=$(free_port)
	URL="https://127.0.0.1:$port"
	# The vault's master key, outside the data folder.
	mkdir -p "$(dirname "$data")"
	[ -f "$data.vault.key" ] || ./bin/steward-server vault gen-key --out "$data.vault.key" --data "$data" >/dev/null
	./bin/steward-server --data "$data" --listen "127.0.0.1:$port" --heartbeat 10s --presence-flush 1s \
		--vault-key-file "$data.vault.key" >"$log" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	for _ in $(seq 1 300); do
		curl -fsk "$URL/healthz" >/dev/null 2>&1 && break
		kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; exit 1; }
		sleep 0.1
	done
	TOKEN=$(cat "$data/admin-token")
}
api() { curl -fsSk -H "Authorization: Bearer $TOKEN" "$@"; }
stop_pid() { kill "$1" 2>/dev/null || true; { wait "$1"; } 2>/dev/null || true; }

# Part 1: scenarios against a real agent and a hostile simulated one; every
# *.test.mjs file, one after the other, against the same server.
D=$TMP/main
start_server "$D/server" "$ART/server.log"
FP=$(./bin/steward-server ca-fingerprint --data "$D/server")
api -X POST "$URL/api/v1/clients" -d '{"name":"Local"}' >/dev/null
api -X POST "$URL/api/v1/clients" -d '{"name":"Hostile Corp"}' >/dev/null
ENROLL=$(api -X POST "$URL/api/v1/tokens" -d '{"client":"Local","max_uses":1,"expires_seconds":600}' | field token)
./bin/steward-agent enroll --server "$URL" --token "$ENROLL" --ca-fingerprint "$FP" --config "$D/agent" >"$ART/agent-enroll.log" 2>&1
# The tests read the first health report at once (a real agent waits 1-3 min).
STEWARD_HEALTH_DELAY=-1s ./bin/steward-agent run --config "$D/agent" >"$ART/agent.log" 2>&1 &
AGENT_PID=$!
PIDS+=("$AGENT_PID")
# The test kills this agent (SIGKILL, like a crash); disowned, so bash does
# not report that as a failure line. cleanup still stops it by its PID.
disown "$AGENT_PID"
HOSTILE_PREFIX='<img src=x onerror=alert(1)>'
ENROLL=$(api -X POST "$URL/api/v1/tokens" -d '{"client":"Hostile Corp","max_uses":1,"expires_seconds":600}' | field token)
"$TMP/steward-sim" --server "$URL" --ca-fingerprint "$FP" --token "$ENROLL" --agents 1 --dir "$D/sim" \
	--prefix "$HOSTILE_PREFIX" >"$ART/sim.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 300); do
	[ "$(api "$URL/api/v1/devices?online=true&limit=1" -o /dev/null -D - | tr -d '\r' | sed -n 's/^[Xx]-[Tt]otal-[Cc]ount: //p')" = 2 ] && break
	sleep 0.1
done

echo "browser tests: server $URL, agent pid $AGENT_PID"
status=0
STEWARD_URL=$URL STEWARD_ADMIN_PASSWORD=$(cat "$D/server/admin-password") STEWARD_AGENT_PID=$AGENT_PID \
	STEWARD_HOSTILE_HOSTNAME="$HOSTILE_PREFIX-00000" STEWARD_ARTIFACTS=$ART STEWARD_ADMIN_TOKEN=$TOKEN STEWARD_SHARED=$TMP \
	node --test --test-concurrency=1 --test-reporter=spec "$E2E"/*.test.mjs || status=$?
for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
PIDS=()

# Part 1b: the client tabs (*.flow.mjs) log in as the admin of a server of
# their own, each: the main server's admin second factor is the dashboard
# test's.
for flow in "$E2E"/*.flow.mjs; do
	D=$TMP/flow-$(basename "$flow" .flow.mjs)
	start_server "$D/server" "$ART/server-$(basename "$flow" .flow.mjs).log"
	api -X POST "$URL/api/v1/clients" -d '{"name":"Local"}' >/dev/null
	STEWARD_URL=$URL STEWARD_ADMIN_PASSWORD=$(cat "$D/server/admin-password") STEWARD_ARTIFACTS=$ART \
		node --test --test-reporter=spec "$flow" || status=$?
	stop_pid "$SERVER_PID"
	PIDS=()
done

# Part 2: time to first render of the devices page with a large fleet;
# the client page and contacts search with 2,000 clients and SEEDED*5
# contacts (100,000 for 20,000 devices); a 10,000-row contacts import.
D=$TMP/big
"$TMP/seed" --data "$D/server" --devices "$SEEDED" --clients 2000 --contacts $((SEEDED * 5))
start_server "$D/server" "$ART/server-big.log"
STEWARD_URL=$URL STEWARD_ADMIN_PASSWORD=$(cat "$D/server/admin-password") STEWARD_SEEDED=$SEEDED STEWARD_ARTIFACTS=$ART \
	node "$E2E/measure.mjs" || status=$?
# measure.mjs enrolled the admin's two-factor; the client page is measured
# as a helpdesk user of every client (the first-start token cannot grant
# more: it never passed two-factor).
api -X POST "$URL/api/v1/users" -d '{"name":"measure","password":"measure-password-1","role":"helpdesk","all_clients":true}' >/dev/null
STEWARD_URL=$URL STEWARD_MEASURE_USER=measure STEWARD_MEASURE_PASSWORD=measure-password-1 STEWARD_ARTIFACTS=$ART \
	node "$E2E/measure-clients.mjs" || status=$?
"$TMP/importbench" --url "$URL" --token "$TOKEN" --ca-fingerprint "$(./bin/steward-server ca-fingerprint --data "$D/server")" \
	--pid "$SERVER_PID" --rows 10000 --search-client cseed000 || status=$?
stop_pid "$SERVER_PID"
PIDS=()

echo "browser tests: done in $(($(date +%s) - started)) s; screenshots in $ART"
exit $status
