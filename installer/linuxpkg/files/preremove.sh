#!/bin/sh
# steward-agent preremove: stop and disable the agent when the package is
# removed; an upgrade (deb "upgrade", rpm 1) keeps it, and the new
# package's postinstall restarts it.
set -e
case "${1:-}" in
upgrade | 1) exit 0 ;;
esac
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	systemctl stop steward-agent.service || true
	systemctl disable steward-agent.service || true
fi
