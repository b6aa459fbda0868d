#!/usr/bin/env bash
#
# parquet_push — what the planner hands the file source to read less of a
# Parquet file, proved against DuckDB (tests/integration/parquet_duckdb.mjs):
#   - column pruning: a declared column the query does not use is not read
#     (its column chunk made garbage, or a list that sluice refuses, does
#     not matter), and the query fails as before when it uses it;
#   - row groups skipped by their statistics: DuckDB writes a file sorted by
#     id in row groups of 2048 rows, with a column that is NULL in the whole
#     of one row group; each WHERE (every comparison, BETWEEN, a literal
#     first, strings, timestamps, doubles, IS [NOT] NULL, a derived table,
#     a LEFT and a RIGHT OUTER join with a static table)
#     gives exactly DuckDB's rows of the same file with the same WHERE, and
#     stat source.src.row_groups_skipped says row groups were skipped (and
#     how many, where the layout makes it certain); the same file written
#     again by sluice's sink (no statistics) skips none and gives the same
#     rows; a WATERMARK source skips none (its rows move the watermark);
#     EXPLAIN shows the columns read and the conjuncts handed over.

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

# --- row groups skipped by their statistics -------------------------------
mkdir sk
duck sql "COPY (SELECT i AS id, 'v' || lpad(i::VARCHAR, 6, '0') AS s,
	TIMESTAMP '2024-01-01 00:00:00' + to_seconds(i) AS ts, i / 4.0 AS d,
	CASE WHEN i >= 4096 AND i < 6144 THEN NULL ELSE (i % 10)::INTEGER END AS x,
	CASE WHEN i % 2 = 0 THEN NULL ELSE i END AS y
	FROM range(20000) t(i) ORDER BY i) TO 'sk/s.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048)" >/dev/null
groups=$(duck sql "SELECT count(DISTINCT row_group_id) FROM parquet_metadata('sk/s.parquet')")
[[ $groups == '["10"]' ]] || it_fail "DuckDB wrote $groups row groups, wanted 10 of 2048 rows"
SK_DECL='id BIGINT, s STRING, ts TIMESTAMP, d DOUBLE, x INT, y BIGINT'
SK_SCHEMA='id:BIGINT,s:STRING,ts:TIMESTAMP,d:DOUBLE,x:INT,y:BIGINT'
# skip NAME DIR WHERE DUCK_WHERE MIN_SKIPPED [MAX_SKIPPED]: sluice's rows of
# SELECT * ... WHERE equal DuckDB's, and the stat is in [MIN, MAX]
skip() {
	local name=$1 dir=$2 where=$3 dwhere=$4 lo=$5 hi=${6:-10} res n
	cat >"$name.sql" <<-EOSQL
	CREATE SOURCE src ($SK_DECL)
	  WITH (connector = 'file', path = '$dir/', format = 'parquet', mode = 'FAILFAST');
	CREATE SINK o WITH (connector = 'file', path = '$name.out.d/', format = 'json',
	  timestamp_format = 'yyyy-MM-dd HH:mm:ss.SSSSSS', trigger = 'available_now')
	AS SELECT * FROM src WHERE $where;
	EOSQL
	run_sql "$name"
	n=$(it_stat "$name.err" source.src.row_groups_skipped)
	((n >= lo && n <= hi)) || it_fail "$name: $n row groups skipped, wanted $lo to $hi"
	[[ $(it_stat "$name.err" rows_malformed) == 0 ]] || it_fail "$name: rows counted as malformed"
	mkdir -p "$name.out.d"
	[[ -n $(ls "$name.out.d/"*.json 2>/dev/null) ]] || : >"$name.out.d/empty.json"
	res=$(duck compare "$dir/*.parquet" "$name.out.d/*.json" "$SK_SCHEMA" "$dwhere")
	[[ $res == "rows "*" missing 0 extra 0" ]] || { echo "$res" >&2; it_fail "$name: sluice's rows differ from DuckDB's"; }
	it_log "$name: $n row groups skipped; ${res%%$'\n'*}"
}
# ids 2048 * g .. 2048 * g + 2047 in row group g (the last: 18432 .. 19999)
skip sk_range sk "id >= 5000 AND id < 7000" "id >= 5000 AND id < 7000" 8 8
skip sk_eq sk "id = 12345" "id = 12345" 9 9
skip sk_lit_first sk "7000 > id AND 100 <= id" "id < 7000 AND id >= 100" 6 6
skip sk_between sk "id BETWEEN 4095 AND 4096" "id BETWEEN 4095 AND 4096" 8 8
skip sk_gt sk "id > 18431" "id > 18431" 9 9
skip sk_none sk "id >= 0" "id >= 0" 0 0
skip sk_empty sk "id > 20000" "id > 20000" 10 10
skip sk_str sk "s >= 'v010000' AND s < 'v010100'" "s >= 'v010000' AND s < 'v010100'" 9 9
skip sk_ts sk "ts < '2024-01-01 01:00:00'" "ts < TIMESTAMP '2024-01-01 01:00:00'" 8 8
skip sk_dbl sk "d <= 511.75" "d <= 511.75" 9 9
skip sk_dbl_gt sk "d > 4000" "d > 4000" 0 0 # NaN would be > 4000: never by max
skip sk_int_as_dbl sk "id < 2047.5" "id < 2047.5" 9 9
# x is NULL in the whole of row group 2, y in half of every row
skip sk_null_eq sk "x = 5" "x = 5" 1 1
skip sk_is_null sk "x IS NULL" "x IS NULL" 9 9
skip sk_not_null sk "x IS NOT NULL" "x IS NOT NULL" 1 1
skip sk_y_null sk "y IS NULL" "y IS NULL" 0 0
skip sk_y_eq sk "y = 5" "y = 5" 9 9
# through a derived table that renames, and with an OR (not a conjunct)
cat >sk_sub.sql <<EOSQL
CREATE SOURCE src ($SK_DECL) WITH (connector = 'file', path = 'sk/', format = 'parquet');
CREATE SINK o WITH (connector = 'file', path = 'sk_sub.out.d/', format = 'json', trigger = 'available_now')
AS SELECT k, t FROM (SELECT id AS k, s AS t FROM src) q WHERE k < 100 AND (t = 'v000001' OR k = 3);
EOSQL
run_sql sk_sub
[[ $(it_stat sk_sub.err source.src.row_groups_skipped) == 9 ]] || it_fail "sk_sub: not 9 row groups skipped"
[[ $(rows sk_sub) == 2 ]] || it_fail "sk_sub: $(rows sk_sub) rows, wanted 2"
# through a join with a static table (LEFT OUTER and RIGHT OUTER: the
# stream's columns pass, in either place), a WHERE on both sides
printf 'k,name\n1,one\n3,three\n' >t.csv
for j in "src LEFT JOIN t ON src.x = t.k" "t RIGHT JOIN src ON src.x = t.k"; do
	cat >sk_join.sql <<EOSQL
CREATE SOURCE src ($SK_DECL) WITH (connector = 'file', path = 'sk/', format = 'parquet');
CREATE TABLE t (k INT, name STRING) WITH (connector = 'file', path = 't.csv', format = 'csv', header = true);
CREATE SINK o WITH (connector = 'file', path = 'sk_join.out.d/', format = 'json', trigger = 'available_now')
AS SELECT id, name FROM $j WHERE id >= 2040 AND id < 2050 AND (name IS NULL OR name <> 'x');
EOSQL
	rm -rf sk_join.out.d
	run_sql sk_join
	[[ $(it_stat sk_join.err source.src.row_groups_skipped) == 8 ]] ||
		it_fail "sk_join ($j): not 8 row groups skipped"
	got=$(cat sk_join.out.d/*.json | sort | tr -d '\n')
	want=$(for i in $(seq 2040 2049); do case $((i % 10)) in
		1) echo "{\"id\":$i,\"name\":\"one\"}" ;; 3) echo "{\"id\":$i,\"name\":\"three\"}" ;;
		*) echo "{\"id\":$i}" ;; esac; done | sort | tr -d '\n')
	[[ $got == "$want" ]] || { echo "got  $got" >&2; echo "want $want" >&2; it_fail "sk_join ($j): rows differ"; }
done
# EXPLAIN shows what the source reads (Spark's FileScan ReadSchema, PushedFilters)
cat >sk_explain.sql <<EOSQL
CREATE SOURCE src ($SK_DECL) WITH (connector = 'file', path = 'sk/', format = 'parquet');
EXPLAIN SELECT k FROM (SELECT id AS k, s AS t, ts FROM src) q
WHERE k BETWEEN 10 AND 20 AND t = 'v000011' AND ts > '2024-01-01' AND 3.5 >= k AND t IS NOT NULL;
EOSQL
"$SLUICE" run sk_explain.sql >sk_explain.out 2>sk_explain.err || { cat sk_explain.err >&2; it_fail "sk_explain: EXPLAIN failed"; }
want="ReadSchema=(id, s, ts), PushedFilters=[id >= 10, id <= 20, s = 'v000011', ts > '2024-01-01 00:00:00', id <= 3.5, s IS NOT NULL]"
grep -qF "$want" sk_explain.out || { cat sk_explain.out >&2; it_fail "sk_explain: no '$want'"; }
# an aggregate over a skipped file: the count of the rows that pass
cat >sk_agg.sql <<EOSQL
CREATE SOURCE src ($SK_DECL) WITH (connector = 'file', path = 'sk/', format = 'parquet');
CREATE SINK o WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT count(*) AS n, sum(id) AS total FROM src WHERE id >= 10000 AND id < 10010;
EOSQL
run_sql sk_agg
grep -q "| *10 *| *100045 *|" sk_agg.out || { cat sk_agg.out >&2; it_fail "sk_agg: not 10 rows summing to 100045"; }
# the same rows written again by sluice's sink, which writes statistics:
# null_count in every column chunk, min_value and max_value where a value
# is not NULL, and column_orders (TYPE_ORDER) so that readers trust them
cat >sk_copy.sql <<EOSQL
CREATE SOURCE src ($SK_DECL) WITH (connector = 'file', path = 'sk/', format = 'parquet');
CREATE SINK o WITH (connector = 'file', path = 'copy/', format = 'parquet',
  parquet.row_group_size = '16K', trigger = 'available_now') AS SELECT * FROM src;
EOSQL
run_sql sk_copy
stats=$(duck sql "SELECT count(*) FILTER (WHERE stats_null_count IS NULL),
	count(*) FILTER (WHERE (stats_min_value IS NULL OR stats_max_value IS NULL)
	                 AND stats_null_count < num_values),
	count(DISTINCT (file_name, row_group_id))
	FROM parquet_metadata('copy/*.parquet')")
re='^\["0","0","([0-9]+)"\]$'
[[ $stats =~ $re ]] && ((BASH_REMATCH[1] > 8)) ||
	it_fail "sluice's files: a chunk without statistics, or too few row groups: $stats"
groups=${BASH_REMATCH[1]}
# the rows of [5000, 7000) with x = 5 lie in a few row groups (x is NULL in [4096, 6144))
skip sk_copy_range copy "id >= 5000 AND id < 7000 AND x = 5" "id >= 5000 AND id < 7000 AND x = 5" \
	$((groups * 3 / 4)) "$groups"
skip sk_copy_str copy "s >= 'v010000' AND s < 'v010100'" "s >= 'v010000' AND s < 'v010100'" \
	$((groups * 3 / 4)) "$groups"
# DuckDB prunes with the same statistics: its counts over sluice's files
# equal its counts over its own
for w in "id BETWEEN 100 AND 300" "s > 'v019990'" "ts < TIMESTAMP '2024-01-01 00:10:00'" \
	"d >= 4999.5" "x = 5" "x IS NULL" "y IS NULL AND id > 19000" "d > 4000"; do
	same=$(duck sql "SELECT (SELECT count(*) FROM read_parquet('copy/*.parquet') WHERE $w) =
		(SELECT count(*) FROM read_parquet('sk/s.parquet') WHERE $w)")
	[[ $same == '[true]' ]] || it_fail "DuckDB counts '$w' differently over sluice's copy"
done
# a WATERMARK: every row is read (the rows the WHERE drops move the watermark)
cat >sk_wm.sql <<EOSQL
CREATE SOURCE src ($SK_DECL)
  WITH (connector = 'file', path = 'sk/', format = 'parquet') WATERMARK ts DELAY '1 hour';
CREATE SINK o WITH (connector = 'console', output_mode = 'append', trigger = 'available_now')
AS SELECT window(ts, '1 hour') AS w, count(*) AS n FROM src WHERE id < 100 GROUP BY window(ts, '1 hour');
EOSQL
run_sql sk_wm
[[ $(it_stat sk_wm.err source.src.row_groups_skipped) == 0 ]] || it_fail "sk_wm: row groups skipped under a WATERMARK"
grep -q "| *100 *|" sk_wm.out || { cat sk_wm.out >&2; it_fail "sk_wm: the window of the 100 rows was not emitted"; }

it_log "ok"
