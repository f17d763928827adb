#!/bin/sh
# steward-agent postinstall: enroll this device if it has no identity yet,
# then enable and (re)start the agent.
#
# The enrollment comes from /etc/steward/enroll.env (KEY=VALUE lines) or
# the environment:
#   STEWARD_SERVER=https://rmm.example:8443
#   STEWARD_TOKEN=enr_...
#   STEWARD_CA_FINGERPRINT=<64 hex>
#   STEWARD_RELEASE_KEY=<64 hex>   (optional)
# The file is deleted after a successful enrollment: the token is a secret.
set -e
conf=/etc/steward
bin=/usr/lib/steward/steward-agent
envfile=$conf/enroll.env

# value KEY: KEY from the environment, else from the env file (read as
# data, never run).
value() {
	eval "v=\${$1:-}"
	if [ -z "$v" ] && [ -f "$envfile" ]; then
		v=$(sed -n "s/^[[:space:]]*$1=[\"']\{0,1\}\([^\"']*\)[\"']\{0,1\}[[:space:]]*\$/\1/p" "$envfile" | tail -n 1)
	fi
	printf '%s' "$v"
}

mkdir -p "$conf"
chmod 0700 "$conf"
if [ ! -f "$conf/agent.json" ]; then
	server=$(value STEWARD_SERVER)
	token=$(value STEWARD_TOKEN)
	fp=$(value STEWARD_CA_FINGERPRINT)
	key=$(value STEWARD_RELEASE_KEY)
	if [ -n "$server" ] && [ -n "$token" ] && [ -n "$fp" ]; then
		set -- enroll --config "$conf" --server "$server" --token "$token" --ca-fingerprint "$fp"
		[ -z "$key" ] || set -- "$@" --release-key "$key"
		"$bin" "$@"
		rm -f "$envfile"
	else
		echo "steward-agent: installed but not enrolled. Put STEWARD_SERVER, STEWARD_TOKEN and" >&2
		echo "STEWARD_CA_FINGERPRINT in $envfile and reinstall, or run:" >&2
		echo "  $bin enroll --config $conf --server URL --token T --ca-fingerprint FP" >&2
		echo "  systemctl enable --now steward-agent" >&2
		exit 0
	fi
fi

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	systemctl daemon-reload
	systemctl enable steward-agent.service
	# restart, not start: an upgrade must run the new binary.
	systemctl restart steward-agent.service
fi
