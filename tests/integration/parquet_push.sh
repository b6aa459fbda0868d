#!/usr/bin/env bash
#
# parquet_push — what the planner hands the file source to read less of a
# Parquet file, proved against DuckDB (tests/integration/parquet_duckdb.mjs):
#   - column pruning: a declared column the query does not use is not read
#     (its column chunk made garbage, or a list that sluice refuses, does
#     not matter), and the query fails as before when it uses it.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require node timeout python3

DUCK="$SRCDIR/tests/integration/parquet_duckdb.mjs"
[[ -f $SRCDIR/tools/.duckdb/node_modules/@duckdb/node-api/package.json ]] ||
	it_skip "DuckDB (@duckdb/node-api) is not in tools/.duckdb/ (tools/bootstrap installs it with npm)"
duck() { node "$DUCK" "$@" || it_fail "DuckDB failed: $*"; }

cd "$IT_TMP" || exit 1

# run_sql NAME WANT_RC: run NAME.sql (available_now) and check its exit status
run_sql() {
	local name=$1 want=${2:-0} rc
	timeout 120 "$SLUICE" run "$name.sql" --stats >"$name.out" 2>"$name.err"
	rc=$?
	((rc == 124)) && it_fail "$name: sluice still ran after 120 s"
	((rc == want)) || { cat "$name.err" >&2; it_fail "$name: sluice exited $rc (expected $want)"; }
}

# query NAME DIR DECL SELECT [SOURCE OPTIONS]: NAME.sql reading DIR's
# Parquet files with columns DECL, JSON Lines into NAME.out.d/
query() {
	local name=$1 dir=$2 decl=$3 sel=$4 extra=${5:-}
	cat >"$name.sql" <<-EOSQL
	CREATE SOURCE src ($decl)
	  WITH (connector = 'file', path = '$dir/', format = 'parquet'$extra);
	CREATE SINK o WITH (connector = 'file', path = '$name.out.d/', format = 'json',
	  trigger = 'available_now')
	AS $sel;
	EOSQL
}

# rows NAME: the rows NAME's sink wrote
rows() { cat "$1".out.d/*.json 2>/dev/null | wc -l; }

# --- column pruning -------------------------------------------------------
mkdir prune
duck sql "COPY (SELECT i::BIGINT AS id, md5(i::VARCHAR) AS s, [i, i + 1] AS tags
	FROM range(10000) t(i)) TO 'prune/p.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048)" >/dev/null
# column s's chunk of row group 1 made garbage (the middle of its bytes)
read -r off len < <(duck sql "SELECT data_page_offset, total_compressed_size FROM
	parquet_metadata('prune/p.parquet') WHERE row_group_id = 1 AND path_in_schema = 's'" |
	tr -d '[]"' | tr ',' ' ')
[[ $off =~ ^[0-9]+$ && $len =~ ^[0-9]+$ ]] || it_fail "no chunk offset for s: '$off' '$len'"
head -c $((len / 2)) /dev/zero | tr '\0' '\377' |
	dd of=prune/p.parquet bs=1 seek=$((off + len / 4)) conv=notrunc status=none
DECL='id BIGINT, s STRING, tags BIGINT'
query prune_id prune "$DECL" "SELECT id * 2 AS x FROM src WHERE id % 3 = 0" ", mode = 'FAILFAST'"
run_sql prune_id
n=$(rows prune_id)
((n == 3334)) || it_fail "prune_id: $n rows, wanted 3334"
[[ $(it_stat prune_id.err rows_malformed) == 0 ]] || it_fail "prune_id: rows counted as malformed"
grep -q "warning" prune_id.err && { cat prune_id.err >&2; it_fail "prune_id: a warning"; }
# the same query using s reads the garbage: FAILFAST names the file
query prune_s prune "$DECL" "SELECT id, length(s) AS n FROM src" ", mode = 'FAILFAST'"
run_sql prune_s 1
grep -q "parquet file 'prune/p.parquet': row group 1, column 's'" prune_s.err ||
	{ cat prune_s.err >&2; it_fail "prune_s: no message naming s's chunk"; }
# tags is a list: refused when used, not looked at when not
query prune_tags prune "$DECL" "SELECT id, tags FROM src"
run_sql prune_tags 1
grep -q "column 'tags' is a list" prune_tags.err ||
	{ cat prune_tags.err >&2; it_fail "prune_tags: no message naming the list column"; }
# used only by the WHERE, only by an aggregate, only as a key: read
query prune_where prune "$DECL" "SELECT id FROM src WHERE s > 'f'" ", mode = 'FAILFAST'"
run_sql prune_where 1
# (aggregates: to the console in complete mode)
agg() {
	cat >"$1.sql" <<-EOSQL
	CREATE SOURCE src ($DECL)
	  WITH (connector = 'file', path = 'prune/', format = 'parquet', mode = 'FAILFAST');
	CREATE SINK o WITH (connector = 'console', output_mode = 'complete',
	  trigger = 'available_now') AS $2;
	EOSQL
}
agg prune_agg "SELECT count(s) AS n FROM src"
run_sql prune_agg 1
agg prune_key "SELECT s, count(*) AS n FROM src GROUP BY s"
run_sql prune_key 1
agg prune_count "SELECT count(*) AS n, max(id) AS m FROM src"
run_sql prune_count
grep -q "| *10000 *| *9999 *|" prune_count.out || { cat prune_count.out >&2; it_fail "prune_count: no 10000 rows, max 9999"; }
# through a derived table that renames: only what the outer query reads
query prune_sub prune "$DECL" \
	"SELECT k FROM (SELECT id AS k, s AS v, tags AS t FROM src) q WHERE k < 10" ", mode = 'FAILFAST'"
run_sql prune_sub
[[ $(rows prune_sub) == 10 ]] || it_fail "prune_sub: $(rows prune_sub) rows, wanted 10"

it_log "ok"
