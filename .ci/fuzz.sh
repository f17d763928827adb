#!/bin/sh
# Runs every Fuzz target in the module for a short time each ($1, e.g. 4s).
set -eu
t=${1:-4s}
for dir in $(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do
	for f in $(grep -h '^func Fuzz' "$dir"/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
		echo "fuzz $dir $f ($t)"
		go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$dir" >/tmp/fuzz.$$.log 2>&1 || { cat /tmp/fuzz.$$.log; exit 1; }
	done
done
echo "fuzz: all targets ran"
