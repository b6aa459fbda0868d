#!/usr/bin/env bash
#
# big_keys — group keys larger than a record block's string heap (64 KiB):
# lines of 100 000 and 200 000 bytes grouped by their whole text. They must
# be counted like any other key, with the ingest-side combiner (a partial
# state that travels in a block of its own) and without it (a row that
# travels in a block of its own).

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require nc python3 timeout

python3 - "$IT_TMP/in.txt" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(3):
        f.write("A" * 200000 + "\n")
        f.write("c\n")
    for i in range(2):
        f.write("B" * 100000 + "\n")
        f.write("c\n")
    f.write("c\n")
PY
printf '1\t6\n100000\t2\n200000\t3\n' >"$IT_TMP/want"

for combiner in true false; do
	port=$(it_free_port) || exit 1
	nc -N -l 127.0.0.1 "$port" <"$IT_TMP/in.txt" >/dev/null &
	it_track $!
	it_wait_listen "$port"
	cat >"$IT_TMP/q.sql" <<SQL
SET combiner = $combiner;
CREATE SOURCE lines WITH (connector = 'socket', host = '127.0.0.1', port = $port);
CREATE SINK sizes WITH (connector = 'console', output_mode = 'complete',
                        trigger = 'available_now')
AS SELECT length(value) AS len, count(*) AS n FROM lines GROUP BY value ORDER BY len;
SQL
	timeout 60 "$SLUICE" run "$IT_TMP/q.sql" --stats >"$IT_TMP/out" 2>"$IT_TMP/err"
	rc=$?
	((rc == 0)) || { cat "$IT_TMP/err" >&2; it_fail "combiner = $combiner: sluice exited $rc"; }
	it_last_table "$IT_TMP/out" >"$IT_TMP/got"
	it_same "$IT_TMP/want" "$IT_TMP/got" "combiner = $combiner: counts of big keys"
	[[ $(it_stat "$IT_TMP/err" rows_in) == 11 ]] || it_fail "combiner = $combiner: stat rows_in is not 11"
	it_log "combiner = $combiner: ok"
done
exit 0
