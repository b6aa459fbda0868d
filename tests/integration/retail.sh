#!/usr/bin/env bash
#
# retail — the retail story (DESIGN.md section 1) on the sales generator:
#   (a) `sluice gen-sales` prints the very rows the `sales` source makes:
#       per-store counts and sums from its CSV (awk) equal the engine's, run
#       on three ingest threads; stat bytes_in is the size of the CSV;
#   (b) the windowed retail query in append mode under available_now, with
#       paced rows so that the watermark moves batch after batch: every
#       (window, store) at most once, only windows the final watermark
#       closed, each count at most the CSV's, and the CSV's rows in closed
#       windows minus the engine's counts is exactly the rows the engine
#       reports as dropped late (> 0: some rows are very late);
#   (c) `gen-sales --dir` writes whole files of --file-rows rows, no hidden
#       temporary left, the same rows as stdout; `--to` sends them to a
#       TCP server;
#   (d) `sluice demo retail` runs, prints batches, and stops cleanly on
#       Ctrl-C (also in append mode); examples/retail.sql plans.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk timeout python3

# --- (a) gen-sales = the sales source -----------------------------------

"$SLUICE" gen-sales --rows 20000 --seed 3 >"$IT_TMP/a.csv" || it_fail "(a) gen-sales failed"
[[ $(wc -l <"$IT_TMP/a.csv") == 20000 ]] || it_fail "(a) gen-sales did not print 20000 lines"

cat >"$IT_TMP/a.sql" <<'SQL'
CREATE SOURCE sales
  WITH (connector = 'sales', rows = 20000, rows_per_second = 0, seed = 3);
CREATE SINK per_store
  WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now',
        num_rows = 1000)
AS SELECT store, count(*) AS n, sum(amount) AS total
   FROM sales
   GROUP BY store
   ORDER BY store;
SQL
timeout 60 "$SLUICE" run "$IT_TMP/a.sql" --stats --ingest-cores 0,0,0 --agg-cores 0,0 \
	>"$IT_TMP/a.out" 2>"$IT_TMP/a.err"
rc=$?
((rc == 0)) || { cat "$IT_TMP/a.err" >&2; it_fail "(a) sluice exited $rc"; }
it_last_table "$IT_TMP/a.out" >"$IT_TMP/a.got"
# per store: count, and the sum in cents (exact: the CSV has two decimals)
awk -F, '{ split($3, p, "."); n[$1]++; c[$1] += p[1] * 100 + p[2] }
	END { for (s in n) printf "%d\t%d\t%d\n", s, n[s], c[s] }' "$IT_TMP/a.csv" |
	sort -n >"$IT_TMP/a.want"
awk -F'\t' 'NR == FNR { n[$1] = $2; c[$1] = $3; next }
	{
		seen++
		if (!($1 in n)) { print "store " $1 " is not in the CSV"; bad = 1; next }
		if ($2 != n[$1]) { print "store " $1 ": count " $2 ", CSV " n[$1]; bad = 1 }
		want = c[$1] / 100
		d = $3 - want; if (d < 0) d = -d
		if (d > 1e-6 * want) { printf "store %s: sum %s, CSV %.2f\n", $1, $3, want; bad = 1 }
	}
	END { for (s in n) m++; if (seen != m) { print seen " stores, CSV " m; bad = 1 }
	      exit bad }' "$IT_TMP/a.want" "$IT_TMP/a.got" >&2 ||
	it_fail "(a) the per-store counts and sums differ from gen-sales' CSV"
[[ $(it_stat "$IT_TMP/a.err" rows_in) == 20000 ]] || it_fail "(a) stat rows_in is not 20000"
[[ $(it_stat "$IT_TMP/a.err" bytes_in) == "$(wc -c <"$IT_TMP/a.csv")" ]] ||
	it_fail "(a) stat bytes_in is not the size of gen-sales' CSV"
it_log "(a) gen-sales and the sales source agree: $(wc -l <"$IT_TMP/a.got") stores"

# --- (b) the windowed query in append mode, late rows dropped ------------

# 20000 rows in 2 s; the shop clock runs an hour a second (two hours, eight
# 15-minute windows); 2% of the rows 20 to 40 minutes late.
opts=(--rows 20000 --seed 5 --rows-per-second 10000 --speed 3600 --very-late-share 0.02)
"$SLUICE" gen-sales "${opts[@]}" >"$IT_TMP/b.csv" || it_fail "(b) gen-sales failed"
cat >"$IT_TMP/b.sql" <<'SQL'
CREATE SOURCE sales (store INT, counter INT, amount DOUBLE, ts TIMESTAMP)
  WITH (connector = 'sales', rows = 20000, seed = 5, rows_per_second = 10000, speed = 3600,
        very_late_share = 0.02)
  WATERMARK ts DELAY '10 minutes';
CREATE SINK store_totals
  WITH (connector = 'console', output_mode = 'append', trigger = 'available_now',
        num_rows = 100000, truncate = false)
AS SELECT window(ts, '15 minutes') AS w, store, sum(amount) AS total, count(*) AS n
   FROM sales
   GROUP BY window(ts, '15 minutes'), store;
SQL
timeout 60 "$SLUICE" run "$IT_TMP/b.sql" --stats >"$IT_TMP/b.out" 2>"$IT_TMP/b.err"
rc=$?
((rc == 0)) || { cat "$IT_TMP/b.err" >&2; it_fail "(b) sluice exited $rc"; }
dropped=$(it_stat "$IT_TMP/b.err" rows_dropped_by_watermark)
wm=$(it_stat "$IT_TMP/b.err" watermark_us)
batches=$(it_stat "$IT_TMP/b.err" batches)
((dropped > 0)) || it_fail "(b) no row was dropped as late (very_late_share = 0.02)"
((batches > 2)) || it_fail "(b) only $batches batches: the paced source should make many"
# engine rows "start<TAB>end<TAB>store<TAB>total<TAB>n"
awk -F'|' '/^\|\{/ {
		w = $2; gsub(/[{}]/, "", w); split(w, se, ", ")
		for (i = 3; i <= 5; i++) gsub(/^ +| +$/, "", $i)
		printf "%s\t%s\t%s\t%s\t%s\n", se[1], se[2], $3, $4, $5
	}' "$IT_TMP/b.out" >"$IT_TMP/b.got"
[[ -s $IT_TMP/b.got ]] || it_fail "(b) append mode printed no window"
# CSV rows "start<TAB>store<TAB>cents": the window start from the text of ts
awk -F, '{
		split($4, t, /[- :]/); split($3, p, ".")
		printf "%s-%s-%s %s:%02d:00\t%s\t%d\n", t[1], t[2], t[3], t[4], int(t[5] / 15) * 15, $1,
			p[1] * 100 + p[2]
	}' "$IT_TMP/b.csv" >"$IT_TMP/b.rows"
awk -F'\t' -v wm="$wm" -v dropped="$dropped" '
	# "YYYY-MM-DD HH:MM:SS" (UTC) to microseconds since the epoch
	function us(s,   a, y, m, era, yoe, doy, doe) {
		split(s, a, /[- :]/); y = a[1] - (a[2] <= 2); m = a[2] + 0
		era = int((y >= 0 ? y : y - 399) / 400); yoe = y - era * 400
		doy = int((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + a[3] - 1
		doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
		return ((era * 146097 + doe - 719468) * 86400 + a[4] * 3600 + a[5] * 60 + a[6]) * 1000000
	}
	FILENAME ~ /b\.rows$/ { k = $1 "\t" $2; n[k]++; c[k] += $3; next }
	{
		k = $1 "\t" $3
		if (k in e) { print "window " $1 " store " $3 " appears twice"; bad = 1 }
		e[k] = $5
		if (us($1) + 900 * 1000000 != us($2)) { print "window " $1 ", " $2 " is not 15 minutes"; bad = 1 }
		if (us($2) > wm) { print "window " $1 " (store " $3 ") is open (watermark " wm ") but was emitted"; bad = 1 }
		if (!(k in n) || $5 > n[k]) { print "window " $1 " store " $3 ": count " $5 ", CSV " n[k] + 0; bad = 1 }
		if (k in n && $5 == n[k]) {   # no row lost: the sum is the CSV sum
			d = $4 - c[k] / 100; if (d < 0) d = -d
			if (d > 1e-6 * c[k] / 100) { print "window " $1 " store " $3 ": total " $4 ", CSV " c[k] / 100; bad = 1 }
		}
	}
	END {
		for (k in n) {
			split(k, ks, "\t")
			if (us(ks[1]) + 900 * 1000000 <= wm) { closed++; lost += n[k] - (k in e ? e[k] : 0) }
		}
		if (lost != dropped) { print "the CSV has " lost " more rows in closed windows than the engine counted; it dropped " dropped; bad = 1 }
		if (closed < 20) { print "only " closed " closed (window, store) pairs"; bad = 1 }
		exit bad
	}' "$IT_TMP/b.rows" "$IT_TMP/b.got" >&2 ||
	it_fail "(b) the windowed counts do not match the CSV minus the rows dropped as late"
it_log "(b) append mode: $(wc -l <"$IT_TMP/b.got") final (window, store) rows, $dropped rows dropped as late, $batches batches"

# --- (c) gen-sales --dir and --to -----------------------------------------

"$SLUICE" gen-sales --rows 10000 --seed 3 >"$IT_TMP/c.want" || it_fail "(c) gen-sales failed"
"$SLUICE" gen-sales --rows 10000 --seed 3 --dir "$IT_TMP/in" --file-rows 3000 --header ||
	it_fail "(c) gen-sales --dir failed"
ls -A "$IT_TMP/in" >"$IT_TMP/c.files"
printf 'sales-%06d.csv\n' 1 2 3 4 >"$IT_TMP/c.files.want"
it_same "$IT_TMP/c.files.want" "$IT_TMP/c.files" "(c) the files in --dir (no hidden temporary may be left)"
for f in 1 2 3 4; do
	want=$((f < 4 ? 3001 : 1001))
	[[ $(wc -l <"$IT_TMP/in/sales-00000$f.csv") == "$want" ]] ||
		it_fail "(c) sales-00000$f.csv does not have $want lines (a header and its rows)"
	[[ $(head -n 1 "$IT_TMP/in/sales-00000$f.csv") == store,counter,amount,ts ]] ||
		it_fail "(c) sales-00000$f.csv does not start with the header"
done
for f in 1 2 3 4; do tail -n +2 "$IT_TMP/in/sales-00000$f.csv"; done >"$IT_TMP/c.got"
it_same "$IT_TMP/c.want" "$IT_TMP/c.got" "(c) the rows of the --dir files"

python3 -c 'import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
with open(sys.argv[1], "wb") as f:
    while True:
        b = c.recv(65536)
        if not b:
            break
        f.write(b)' "$IT_TMP/c.sock" >"$IT_TMP/c.port" &
it_track $!
listener=$!
for ((i = 0; i < 200; i++)); do
	[[ -s $IT_TMP/c.port ]] && break
	sleep 0.05
done
port=$(cat "$IT_TMP/c.port")
[[ -n $port ]] || it_fail "(c) the test's TCP listener did not start"
timeout 30 "$SLUICE" gen-sales --rows 10000 --seed 3 --to "127.0.0.1:$port" ||
	it_fail "(c) gen-sales --to failed"
wait "$listener"
it_same "$IT_TMP/c.want" "$IT_TMP/c.sock" "(c) the rows gen-sales --to sent"
"$SLUICE" gen-sales --rows 10 --to "127.0.0.1:$(it_free_port)" 2>"$IT_TMP/c.err"
rc=$?
((rc == 1)) && grep -q 'cannot connect' "$IT_TMP/c.err" ||
	it_fail "(c) gen-sales --to a closed port: exit $rc, '$(cat "$IT_TMP/c.err")'"
it_log "(c) --dir: 4 whole files, no temporary left; --to: the same bytes"

# --- (d) sluice demo retail ----------------------------------------------

for mode in update append; do
	args=(demo retail)
	[[ $mode == append ]] && args+=(--mode append)
	# --foreground: timeout signals sluice alone, once (otherwise it also
	# signals its process group, and a second SIGINT stops sluice at once)
	timeout --foreground -s INT -k 10 --preserve-status 4 "$SLUICE" "${args[@]}" \
		>"$IT_TMP/d.$mode.out" 2>"$IT_TMP/d.$mode.err"
	rc=$?
	((rc == 0)) || { cat "$IT_TMP/d.$mode.err" >&2; it_fail "(d) demo retail ($mode): exit $rc after Ctrl-C"; }
	(($(it_count_batches "$IT_TMP/d.$mode.out") >= 1)) ||
		it_fail "(d) demo retail ($mode) printed no 'Batch:'"
	grep -q "^sluice: batch 0: watermark " "$IT_TMP/d.$mode.err" ||
		it_fail "(d) demo retail ($mode) printed no progress line"
done
grep -q '^|{2024-03-01 09:00:00, 2024-03-01 09:15:00}|' "$IT_TMP/d.update.out" ||
	it_fail "(d) demo retail shows no total for the 09:00-09:15 window"
"$SLUICE" demo retail --mode sideways 2>/dev/null
(($? == 2)) || it_fail "(d) demo retail --mode sideways is not refused with exit 2"
"$SLUICE" explain "$SRCDIR/examples/retail.sql" >"$IT_TMP/d.plan" ||
	it_fail "(d) examples/retail.sql does not plan"
grep -q 'Source sales: sales' "$IT_TMP/d.plan" || it_fail "(d) examples/retail.sql reads no sales source"
it_log "(d) demo retail: update and append run and stop cleanly"
exit 0
