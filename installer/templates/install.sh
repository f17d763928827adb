#!/bin/sh
# Steward agent installer for Linux and macOS, made by the Steward server
# for one enrollment token.
#
# Nothing downloaded is trusted until checked: the server must match the
# pin below before it is trusted for anything (spki: its own public key;
# ca: a certificate for this server's host name under the CA with that
# SHA-256), and the agent binary must have the SHA-256 pinned below (the
# server's published checksum must agree too). The agent then enrolls
# over TLS pinned the same way, copies itself to a root-owned path and
# registers its service.
#
# STEWARD_INSTALL_ROOT=DIR stages the install under DIR: no root needed,
# and the service registration is recorded instead of made.
set -eu
umask 077

server={{shq .ServerURL}}
token={{shq .Token}}
pins={{shq .Pin}}
pin_kind={{shq .PinKind}}
pin={{shq .PinHex}}
pin_key={{shq .PinB64}}
release_key={{shq .ReleaseKey}}

say() { printf 'steward-install: %s\n' "$*" >&2; }
die() {
	say "$*"
	exit 1
}

if [ -z "${STEWARD_INSTALL_ROOT:-}" ] && [ "$(id -u)" -ne 0 ]; then
	if [ -f "$0" ] && command -v sudo >/dev/null 2>&1; then
		say "root is needed: re-running with sudo"
		exec sudo sh "$0" "$@"
	fi
	die "run this as root"
fi

case $(uname -s) in
Linux) os=linux ;;
Darwin) os=darwin ;;
*) die "unsupported operating system: $(uname -s)" ;;
esac
case $(uname -m) in
x86_64 | amd64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*) die "unsupported processor: $(uname -m)" ;;
esac
# A shell running under Rosetta on Apple silicon still wants the arm64 agent.
if [ "$os/$arch" = darwin/amd64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
	arch=arm64
fi

# The SHA-256 of each agent build the server had when it made this script.
case $os/$arch in
{{- range .Unix}}
{{.Key}}) want={{shq .Sum}} ;;
{{- end}}
*) want= ;;
esac
[ -n "$want" ] || die "the server has no agent build for $os/$arch"

command -v curl >/dev/null 2>&1 || die "curl is needed"

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -c1-64
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 "$1" | cut -c1-64
	elif command -v openssl >/dev/null 2>&1; then
		openssl dgst -sha256 -r "$1" | cut -c1-64
	else
		die "sha256sum, shasum or openssl is needed"
	fi
}

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t steward) || die "cannot make a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

if [ "$pin_kind" = spki ]; then
	# 1. The server's own key is pinned: curl checks it on every connection
	#    (and nothing else: -k only turns off the system trust store).
	say "pinning the server key of $server"
	fetch() { curl -fsS -k --proto =https --pinnedpubkey "sha256//$pin_key" --max-time "$1" "$2" -o "$3"; }
else
	# 1. The CA, fetched without verification and then checked against the pin.
	say "checking the server CA of $server"
	curl -fsSk --proto =https --max-time 60 "$server/install/ca.pem" -o "$tmp/download.pem" ||
		die "cannot reach $server"
	# Only the first certificate is checked, so only it is kept and trusted.
	awk '/-----BEGIN CERTIFICATE-----/ { p = 1 } p { print } p && /-----END CERTIFICATE-----/ { exit }' \
		"$tmp/download.pem" >"$tmp/ca.pem"
	sed -e '/-----/d' "$tmp/ca.pem" | tr -d ' \r\n' >"$tmp/ca.b64"
	{ base64 -d <"$tmp/ca.b64" || base64 -D <"$tmp/ca.b64" || openssl base64 -d -A <"$tmp/ca.b64"; } >"$tmp/ca.der" 2>/dev/null ||
		die "cannot decode the server CA (base64 or openssl is needed)"
	got=$(sha256 "$tmp/ca.der")
	[ "$got" = "$pin" ] ||
		die "the server CA has fingerprint ${got:-none}, not the pinned $pin: refusing to go on (wrong server, or the connection is intercepted)"
	# 2. Everything else over TLS that trusts only that CA, for the server's
	#    host name (curl checks the name).
	fetch() { curl -fsS --proto =https --cacert "$tmp/ca.pem" --max-time "$1" "$2" -o "$3"; }
fi

say "downloading the agent for $os/$arch"
fetch 60 "$server/agent/download/$os/$arch.sha256" "$tmp/agent.sha256" ||
	die "cannot fetch the agent checksum from $server (with the server pinned to $pin_kind:$pin: wrong server, or the connection is intercepted?)"
published=$(cut -c1-64 "$tmp/agent.sha256")
[ "$published" = "$want" ] ||
	die "the server publishes SHA-256 $published for this agent, but this script pins $want: the agent changed since this script was made; get a new install command"
fetch 900 "$server/agent/download/$os/$arch" "$tmp/steward-agent" ||
	die "cannot download the agent from $server"
got=$(sha256 "$tmp/steward-agent")
[ "$got" = "$want" ] ||
	die "the downloaded agent has SHA-256 $got, not the pinned $want: refusing to run it"
chmod 0700 "$tmp/steward-agent"

# 3. The agent enrolls, installs itself and starts its service.
set -- install --server "$server" --token "$token" --pin "$pins"
[ -z "$release_key" ] || set -- "$@" --release-key "$release_key"
"$tmp/steward-agent" "$@" || {
	rc=$?
	[ "$rc" -ne 126 ] || die "cannot run the agent from $tmp (mounted noexec?): set TMPDIR to another directory and run this again"
	die "the agent could not install itself (see above)"
}
say "done"
