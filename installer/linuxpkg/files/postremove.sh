#!/bin/sh
# steward-agent postremove: a purge (deb) also deletes the identity and
# spool; a plain removal keeps them so a reinstall is the same device.
set -e
if [ "${1:-}" = purge ]; then
	rm -rf /etc/steward
fi
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	systemctl daemon-reload || true
fi
