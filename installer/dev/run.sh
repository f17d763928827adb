#!/bin/bash
# make run: start a Steward server on ./data and a local agent enrolled to
# it, in the foreground. Ctrl-C stops both. Re-running reuses ./data.
# STEWARD_DATA (default ./data) and STEWARD_LISTEN (default
# 127.0.0.1:8443) change the data folder and the address.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${STEWARD_DATA:-$PWD/data}
LISTEN=${STEWARD_LISTEN:-127.0.0.1:8443}
URL="https://$LISTEN"
mkdir -p "$DATA"
start=$(date +%s.%N)

# The one-line installs download this machine's agent: serve the one
# `make build` made, under the name the server looks for (as `make dist`
# names them; a `make dist` adds every other platform).
DIST=$PWD/bin/dist
mkdir -p "$DIST"
GOOS=$(go env GOOS) GOARCH=$(go env GOARCH)
EXT=; [ "$GOOS" = windows ] && EXT=.exe
cp -f ./bin/steward-agent "$DIST/steward-agent-$GOOS-$GOARCH$EXT"

# The logs are the operator's alone; the server writes no secret into its log.
for log in server.log agent.log; do
	(umask 077 && : >>"$DATA/$log") && chmod 600 "$DATA/$log"
done
# The password vault's master key lives beside, not inside, the server's
# data folder (a copy of the data must not carry the key that opens it).
[ -f "$DATA/vault.key" ] || ./bin/steward-server vault gen-key --out "$DATA/vault.key" --data "$DATA/server" >/dev/null
./bin/steward-server --data "$DATA/server" --listen "$LISTEN" --agent-bin-dir "$DIST" --vault-key-file "$DATA/vault.key" >>"$DATA/server.log" 2>&1 &
SERVER_PID=$!
cleanup() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

for _ in $(seq 1 100); do
	curl -fsk "$URL/healthz" >/dev/null 2>&1 && break
	kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DATA/server.log"; exit 1; }
	sleep 0.1
done
FP=$(./bin/steward-server pin --data "$DATA/server")
TOKEN=$(cat "$DATA/server/admin-token")
api() { curl -fsSk -H "Authorization: Bearer $TOKEN" "$@"; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

if [ ! -f "$DATA/agent/agent.json" ]; then
	api -X POST "$URL/api/v1/clients" -d '{"name":"Local"}' >/dev/null 2>&1 || true
	ENROLL=$(api -X POST "$URL/api/v1/tokens" -d '{"client":"Local","max_uses":1,"expires_seconds":600}' | field token)
	./bin/steward-agent enroll --server "$URL" --token "$ENROLL" --pin "$FP" --config "$DATA/agent" >>"$DATA/agent.log" 2>&1 ||
		{ cat "$DATA/agent.log"; exit 1; }
fi

cat <<MSG

  Steward is running.
    Dashboard:       $URL/   (self-signed: the server pin below identifies it)
    Server pin:      $FP
    Log in as:       admin / $(cat "$DATA/server/admin-password")
    API token:       $DATA/server/admin-token   (setup only: expires 24 h after the first start)
    CLI:             export STEWARD_SERVER=$URL STEWARD_TOKEN=\$(cat $DATA/server/admin-token) STEWARD_CA_FINGERPRINT=$FP
                     ./bin/stewardctl devices list
    Logs:            $DATA/server.log, $DATA/agent.log
    Vault key:       $DATA/vault.key   (outside the data folder; without it no vault entry can be read)
    Agent builds:    $DIST   (one-line installs serve these; make dist adds every platform)

  Local agent running in the foreground (Ctrl-C stops agent and server).
MSG
# The agent logs to its file, not into the banner.
./bin/steward-agent run --config "$DATA/agent" >>"$DATA/agent.log" 2>&1 &
AGENT_PID=$!
trap 'kill $AGENT_PID 2>/dev/null; cleanup' EXIT INT TERM
# Report when this machine shows online, measured from the start of run.sh.
for _ in $(seq 1 600); do
	if api "$URL/api/v1/devices?online=true" 2>/dev/null | grep -q '"online":true'; then
		awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "  Device online %.1f s after start.\n\n", b - a }'
		break
	fi
	sleep 0.1
done
wait "$AGENT_PID"
