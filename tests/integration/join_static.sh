#!/usr/bin/env bash
#
# join_static — stream-static joins (CREATE TABLE), as Spark runs them:
#   - the Yahoo Streaming Benchmark's shape: ad events (a `batches` source,
#     three batches) joined to an ad -> campaign CSV table, views counted
#     per campaign in 10-second windows, append mode: each window once, when
#     the watermark (10 seconds) passes its end. An ad in two campaigns
#     counts in both; an unknown ad and a NULL ad count in none. Worked out
#     by hand:
#       window 12:00:00-12:00:10: a1 c1, a2 c1, a5 c2 and c3 -> c1 2, c2 1, c3 1
#                                 (a3 is a click, zz has no campaign)
#       window 12:00:10-12:00:20: a1 c1, a4 c3, a5 c2 and c3 -> c1 1, c2 1, c3 2
#       window 12:00:40-12:00:50: still open (watermark 12:00:30)
#   - a LEFT JOIN: every event, NULL campaign where none matches, a5 twice;
#     a residual condition in ON;
#   - a join inside each input of a UNION ALL (the table read once), and a
#     join over a union, counted per campaign in complete mode;
#   - a generated stream on two ingest cores sharing one table, checked
#     against awk: inner join counts per group and the left join's NULLs;
#   - errors: a missing table file (at start), an ambiguous column, a join
#     of two streams, a RIGHT JOIN with the stream on the left (Spark's
#     message), each before anything runs.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout

cd "$IT_TMP" || it_fail "no temp dir"

cat >ads.csv <<'EOF'
ad_id,campaign_id
a1,c1
a2,c1
a3,c2
a4,c3
a5,c2
a5,c3
EOF
printf '%s\n' \
	'2024-01-01 12:00:01,a1,view' '2024-01-01 12:00:02,a2,view' '2024-01-01 12:00:03,a3,click' \
	'2024-01-01 12:00:04,a5,view' '2024-01-01 12:00:05,zz,view' --- \
	'2024-01-01 12:00:11,a1,view' '2024-01-01 12:00:12,a4,view' '2024-01-01 12:00:13,,view' \
	'2024-01-01 12:00:14,a5,view' --- \
	'2024-01-01 12:00:40,a1,view' >events.txt
printf '%s\n' 'a1,1' 'a3,2' --- 'a4,3' 'zz,4' --- 'a5,5' >clicks.txt

defs() {
	cat <<'SQL'
CREATE SOURCE events (ts TIMESTAMP, ad_id STRING, event_type STRING)
  WITH (connector = 'batches', path = 'events.txt')
  WATERMARK ts DELAY '10 seconds';
CREATE SOURCE clicks (ad STRING, n INT) WITH (connector = 'batches', path = 'clicks.txt');
CREATE TABLE campaigns (ad_id STRING, campaign_id STRING)
  WITH (connector = 'file', path = 'ads.csv', format = 'csv', header = true);
SQL
}

run_ok() { # name; the query file is name.sql
	timeout 60 "$SLUICE" run "$1.sql" --stats >"$1.out" 2>"$1.err" ||
		{ cat "$1.err" >&2; it_fail "$1: sluice failed"; }
}

# --- the benchmark's query: windowed views per campaign -------------------
{
	defs
	cat <<'SQL'
CREATE SINK per_campaign
  WITH (connector = 'console', output_mode = 'append', trigger = 'available_now',
        truncate = false)
AS SELECT window(ts, '10 seconds') AS w, campaign_id, count(*) AS views
   FROM events e JOIN campaigns c ON e.ad_id = c.ad_id
   WHERE event_type = 'view'
   GROUP BY window(ts, '10 seconds'), campaign_id;
SQL
} >ysb.sql
run_ok ysb
grep '^|{' ysb.out | sed 's/ *| */|/g' | LC_ALL=C sort >ysb.got
cat >ysb.want <<'EOF'
|{2024-01-01 12:00:00, 2024-01-01 12:00:10}|c1|2|
|{2024-01-01 12:00:00, 2024-01-01 12:00:10}|c2|1|
|{2024-01-01 12:00:00, 2024-01-01 12:00:10}|c3|1|
|{2024-01-01 12:00:10, 2024-01-01 12:00:20}|c1|1|
|{2024-01-01 12:00:10, 2024-01-01 12:00:20}|c2|1|
|{2024-01-01 12:00:10, 2024-01-01 12:00:20}|c3|2|
EOF
it_same ysb.want ysb.got "windowed views per campaign"
[[ $(it_stat ysb.err rows_in) == 10 ]] || it_fail "ysb: stat rows_in is not 10"
it_log "windowed count per campaign (inner join, duplicate ad, append mode): ok"

# --- a left join, and a residual condition --------------------------------
{
	defs
	cat <<'SQL'
CREATE SINK enriched
  WITH (connector = 'console', output_mode = 'append', trigger = 'available_now',
        truncate = false, num_rows = 100)
AS SELECT ts, ad_id, c.campaign_id
   FROM events LEFT JOIN campaigns c USING (ad_id);
SQL
} >left.sql
run_ok left
{
	defs
	cat <<'SQL'
CREATE SINK filtered
  WITH (connector = 'console', output_mode = 'append', trigger = 'available_now',
        truncate = false, num_rows = 100)
AS SELECT e.ad_id, campaign_id AS cid
   FROM events AS e LEFT OUTER JOIN campaigns ON e.ad_id = campaigns.ad_id
        AND campaigns.campaign_id <> 'c3' AND e.event_type = 'view';
SQL
} >filtered.sql
run_ok filtered
grep '^|2024' left.out | sed 's/ *| */|/g' | LC_ALL=C sort >left.got
cat >left.want <<'EOF'
|2024-01-01 12:00:01|a1|c1|
|2024-01-01 12:00:02|a2|c1|
|2024-01-01 12:00:03|a3|c2|
|2024-01-01 12:00:04|a5|c2|
|2024-01-01 12:00:04|a5|c3|
|2024-01-01 12:00:05|zz|NULL|
|2024-01-01 12:00:11|a1|c1|
|2024-01-01 12:00:12|a4|c3|
|2024-01-01 12:00:13|NULL|NULL|
|2024-01-01 12:00:14|a5|c2|
|2024-01-01 12:00:14|a5|c3|
|2024-01-01 12:00:40|a1|c1|
EOF
it_same left.want left.got "the left join's rows"
grep '^|' filtered.out | grep -v '^|ad_id' | sed 's/ *| */|/g' | LC_ALL=C sort >filtered.got
cat >filtered.want <<'EOF'
|NULL|NULL|
|a1|c1|
|a1|c1|
|a1|c1|
|a2|c1|
|a3|NULL|
|a4|NULL|
|a5|c2|
|a5|c2|
|zz|NULL|
EOF
it_same filtered.want filtered.got "the left join with a residual condition"
it_log "left join (USING, NULLs for no match) and a residual condition: ok"

# --- joins and UNION ALL --------------------------------------------------
{
	defs
	cat <<'SQL'
CREATE SINK inside
  WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT campaign_id, count(*) AS n FROM (
     SELECT ad_id, campaign_id FROM events JOIN campaigns USING (ad_id)
     UNION ALL
     SELECT k.ad, c.campaign_id FROM clicks k JOIN campaigns c ON k.ad = c.ad_id)
   GROUP BY campaign_id ORDER BY campaign_id;
SQL
} >union_in.sql
run_ok union_in
it_last_table union_in.out >union_in.got
printf 'c1\t5\nc2\t5\nc3\t5\n' >union_in.want
it_same union_in.want union_in.got "joins inside the inputs of a union"
{
	defs
	cat <<'SQL'
CREATE SINK over
  WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT campaign_id, count(*) AS n
   FROM (SELECT ad_id FROM events UNION ALL SELECT ad FROM clicks) u
        JOIN campaigns USING (ad_id)
   GROUP BY campaign_id ORDER BY campaign_id;
SQL
} >union_over.sql
run_ok union_over
it_last_table union_over.out >union_over.got
it_same union_in.want union_over.got "a join over a union"
it_log "joins in and over UNION ALL: ok"

# --- a generated stream on two ingest cores, checked against awk ----------
"$SLUICE" gen-text --words 2000 --words-per-line 6 --rows 20000 --seed 11 >text ||
	it_fail "gen-text failed"
# the table: words starting with a..m, grouped by length % 5 (others absent)
tr ' ' '\n' <text | LC_ALL=C sort -u |
	awk 'BEGIN { print "word,grp" } /^[a-m]/ { print $0 ",g" length($0) % 5 }' >groups.csv
awk 'NR == FNR { if (FNR > 1) { split($0, f, ","); g[f[1]] = f[2] } next }
     { for (i = 1; i <= NF; i++) { if ($i in g) c[g[$i]]++; else miss++ } }
     END { for (k in c) printf "%s\t%d\n", k, c[k]; printf "NULL\t%d\n", miss }' \
	groups.csv text | LC_ALL=C sort >gen.want
cat >gen.sql <<'SQL'
CREATE SOURCE lines
  WITH (connector = 'generator', words = 2000, words_per_line = 6, rows = 20000, seed = 11);
CREATE TABLE groups (word STRING, grp STRING)
  WITH (connector = 'file', path = 'groups.csv', format = 'csv', header = true);
CREATE SINK per_group
  WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT coalesce(grp, 'NULL') AS g, count(*) AS n
   FROM (SELECT explode(split(value, ' ')) AS word FROM lines) w
        LEFT JOIN groups USING (word)
   GROUP BY coalesce(grp, 'NULL') ORDER BY g;
SQL
timeout 120 "$SLUICE" run gen.sql --ingest-cores 0,0 >gen.out 2>gen.err ||
	{ cat gen.err >&2; it_fail "generated stream: sluice failed"; }
it_last_table gen.out >gen.got
it_same gen.want gen.got "counts per group over two ingest cores"
it_log "a generated stream on two ingest cores, one shared table: ok"

# --- errors ----------------------------------------------------------------
check_error() { # name, rc wanted, the SQL after the definitions, what the message says
	{
		defs
		printf '%s\n' "$3"
	} >"$1.sql"
	local rc=0
	timeout 20 "$SLUICE" run "$1.sql" >/dev/null 2>"$1.err" || rc=$?
	((rc == $2)) || { cat "$1.err" >&2; it_fail "$1: exit status $rc, not $2"; }
	grep -qF -- "$4" "$1.err" ||
		{ cat "$1.err" >&2; it_fail "$1: the message does not say '$4'"; }
}
sink="CREATE SINK s WITH (connector = 'console', trigger = 'available_now') AS"
mv ads.csv ads.moved
check_error missing 1 "$sink SELECT * FROM events JOIN campaigns USING (ad_id);" \
	"line 5, column 1: table 'campaigns': cannot read 'ads.csv': No such file or directory"
mv ads.moved ads.csv
check_error ambiguous 2 "$sink SELECT ad_id FROM events e JOIN campaigns c ON e.ad_id = c.ad_id;" \
	"[AMBIGUOUS_REFERENCE] Reference \`ad_id\` is ambiguous, could be: [\`e\`.\`ad_id\`, \`c\`.\`ad_id\`]"
check_error two_streams 2 "$sink SELECT * FROM events e JOIN clicks k ON e.ad_id = k.ad;" \
	"joining two streams is not supported yet ('clicks' is a source)"
check_error right 2 "$sink SELECT * FROM events RIGHT JOIN campaigns USING (ad_id);" \
	"RightOuter join with a streaming DataFrame/Dataset on the left and a static DataFrame/DataSet on the right not supported"
# EXPLAIN shows the join
{
	defs
	echo "EXPLAIN SELECT ts, campaign_id FROM events JOIN campaigns USING (ad_id);"
} >explain.sql
timeout 20 "$SLUICE" run explain.sql >explain.out 2>explain.err ||
	{ cat explain.err >&2; it_fail "explain failed"; }
grep -qF "BroadcastHashJoin [ad_id], [ad_id], Inner, BuildRight, table campaigns (file 'ads.csv', format csv)" explain.out ||
	{ cat explain.out >&2; it_fail "EXPLAIN does not show the join"; }
it_log "errors (missing file at start, ambiguous column, stream-stream, RIGHT JOIN) and EXPLAIN: ok"
exit 0
