#!/usr/bin/env bash
#
# s3_sink — the file sink on an s3:// path, against s3rver on loopback:
#   - each batch's objects uploaded, then published by a commit log entry
#     (prefix/_sluice_log/N): read back through the log, the rows are the
#     input's, each once; no data object outside the log;
#   - a large batch goes up as a multipart upload of s3.part_size parts
#     (counted at a logging proxy), byte for byte the input;
#   - a batch staged again (an orphan of a failed attempt under the same
#     name, no log entry) replaces the orphan: never a duplicate;
#   - a restart from the checkpoint with no new input writes nothing;
#   - a missing bucket, a table sink onto a file sink's output, s3.* on a
#     local path, a bad
#     s3.part_size: refused with what to do.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout python3
it_s3_start bkt

obj() {
	{
		echo "name,n"
		awk -v nm="$2" -v n="$3" 'BEGIN { for (i = 1; i <= n; i++) print nm "," i }'
	} | it_s3 put "s3://bkt/$1" - || it_fail "upload of $1 failed"
}

# committed PREFIX: the rows of the data objects the commit log under
# s3://bkt/PREFIX/ lists, batch by batch; checks the entries are 0..N with
# no gap and every data object under the prefix is listed
committed() {
	it_s3 ls "s3://bkt/$1/" >"$IT_TMP/ls.out" || it_fail "cannot list s3://bkt/$1/"
	python3 - "$1" "$IT_TMP/ls.out" "$SLUICE_S3" <<'PY'
import json, subprocess, sys
prefix, lsfile, tool = sys.argv[1], sys.argv[2], sys.argv[3]
keys = [l.split("\t")[0] for l in open(lsfile).read().splitlines()]
log = sorted(int(k.rsplit("/", 1)[1]) for k in keys
             if "/_sluice_log/" in k and k.rsplit("/", 1)[1].isdigit())
if log != list(range(len(log))):
    sys.exit("log entries are not 0..N: %s" % log)
listed = set()
for b in log:
    text = subprocess.run([tool, "cat", "s3://bkt/%s/_sluice_log/%d" % (prefix, b)],
                          check=True, capture_output=True, text=True).stdout.splitlines()
    if text[0] != "v1":
        sys.exit("entry %d does not start with v1" % b)
    for line in text[1:]:
        e = json.loads(line)
        if "path" in e:
            listed.add(e["path"])
            body = subprocess.run([tool, "cat", "s3://bkt/%s/%s" % (prefix, e["path"])],
                                  check=True, capture_output=True, text=True).stdout
            if len(body.encode()) != e["size"]:
                sys.exit("%s: %d bytes, the log says %d" % (e["path"], len(body.encode()), e["size"]))
            sys.stdout.write(body)
data = {k[len(prefix) + 1:] for k in keys if "/_sluice_log/" not in k}
if data != listed:
    sys.exit("data objects the log does not list: %s" % sorted(data - listed))
PY
}

sink_sql() {
	cat >"$IT_TMP/$1.sql" <<SQL
CREATE SOURCE objs (name STRING, n INT)
  WITH (connector = 'file', path = 's3://bkt/$2/', format = 'csv', header = true,
        max_files_per_trigger = 1, s3.endpoint = '$S3_ENDPOINT', s3.path_style = true);
CREATE SINK out WITH (connector = 'file', path = 's3://bkt/$3', format = 'csv', trigger = 'available_now',
                      checkpoint = '$IT_TMP/ck-$1', s3.endpoint = '${4:-$S3_ENDPOINT}', s3.path_style = true ${5:-})
AS SELECT name, n FROM objs;
SQL
}

run() {
	timeout 90 "$SLUICE" run --no-socket --stats "$IT_TMP/$1.sql" >"$IT_TMP/$1.out" 2>"$IT_TMP/$1.err" ||
		{ cat "$IT_TMP/$1.err" >&2; it_fail "$1: sluice failed"; }
}

# --- batches published through the log -----------------------------------------
obj in/a.csv a 3
sleep 1.1
obj in/b.csv b 4
sleep 1.1
obj in/c.csv c 5
sink_sql one in out
run one
committed out | sort >"$IT_TMP/one.got" || it_fail "reading the sink's objects back failed"
{ for x in a:3 b:4 c:5; do awk -v nm="${x%:*}" -v n="${x#*:}" 'BEGIN { for (i = 1; i <= n; i++) print nm "," i }'; done; } | sort >"$IT_TMP/one.want"
it_same "$IT_TMP/one.want" "$IT_TMP/one.got" "the sink's objects read back through its log"
# the entries, and the marker put before the first data object
[[ $(it_s3 ls s3://bkt/out/_sluice_log/ | grep -c '_sluice_log/[0-9]') == 3 ]] || it_fail "not 3 log entries (one a batch): $(it_s3 ls s3://bkt/out/)"
it_s3 ls s3://bkt/out/_sluice_log/ | grep -q '_sluice_log/_writer' || it_fail "no marker _sluice_log/_writer: $(it_s3 ls s3://bkt/out/)"
it_log "three batches, three log entries, every row once: ok"

# --- a batch staged again replaces its orphan ---------------------------------------
printf 'zzz,999\n' | it_s3 put s3://bkt/out/part-00000-000003.csv - || it_fail "upload of the orphan failed"
obj in/d.csv d 2
run one
committed out | sort >"$IT_TMP/two.got" || it_fail "reading back after the second run failed"
{ cat "$IT_TMP/one.want"; printf 'd,1\nd,2\n'; } | sort >"$IT_TMP/two.want"
it_same "$IT_TMP/two.want" "$IT_TMP/two.got" "after a batch replaced its orphan"
it_s3 cat s3://bkt/out/part-00000-000003.csv | grep -q zzz && it_fail "the orphan of batch 3 was not replaced"
# a restart with nothing new writes nothing
run one
[[ $(it_s3 ls s3://bkt/out/_sluice_log/ | grep -c '_sluice_log/[0-9]') == 4 ]] || it_fail "a restart with no new input changed the log: $(it_s3 ls s3://bkt/out/_sluice_log/)"
committed out | sort >"$IT_TMP/three.got"
it_same "$IT_TMP/two.want" "$IT_TMP/three.got" "after a restart with no new input"
it_log "a batch staged again replaces its orphan; a restart adds nothing: ok"

# --- multipart upload ------------------------------------------------------------
n=1200000
awk -v n="$n" 'BEGIN { print "name,n"; for (i = 0; i < n; i++) print "big," i }' >"$IT_TMP/big.csv"
it_s3 put s3://bkt/bigin/big.csv "$IT_TMP/big.csv" || it_fail "upload of big.csv failed"
it_s3_proxy log=1
sink_sql big bigin bigout "$PROXY_ENDPOINT" ", s3.part_size = '5M'"
run big
parts=$(grep -c '^req PUT .*partNumber=' "$PROXY_LOG")
((parts >= 2)) || it_fail "a $(wc -c <"$IT_TMP/big.csv")-byte batch went up in $parts parts (s3.part_size 5M: expected several)"
grep -q '^req POST .*uploadId=' "$PROXY_LOG" || it_fail "no multipart upload was completed"
committed bigout >"$IT_TMP/big.got" || it_fail "reading the big batch back failed"
tail -n +2 "$IT_TMP/big.csv" >"$IT_TMP/big.want"
cmp -s "$IT_TMP/big.want" "$IT_TMP/big.got" || it_fail "the multipart object differs from the input"
it_log "a $(wc -c <"$IT_TMP/big.want")-byte batch as a multipart upload of $parts parts, byte for byte: ok"

# --- refusals ----------------------------------------------------------------------
refuse() {
	local name=$1 want=$2 rc
	timeout 30 "$SLUICE" run --no-socket "$IT_TMP/$name.sql" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err"
	rc=$?
	((rc != 0)) || it_fail "$name: sluice exited 0"
	grep -q -- "$want" "$IT_TMP/$name.err" || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: the error does not say '$want'"; }
}
sed "s#path = 's3://bkt/out'#path = 's3://no-such-bucket/out'#" "$IT_TMP/one.sql" >"$IT_TMP/nob.sql"
refuse nob "bucket 'no-such-bucket' does not exist"
sed "s#connector = 'file', path = 's3://bkt/out', format = 'csv',#connector = 'table', path = 's3://bkt/out',#" "$IT_TMP/one.sql" >"$IT_TMP/tbl.sql"
refuse tbl "holds a file sink's output (a commit log without _sluice_table), not a table"
sed "s#path = 's3://bkt/out'#path = '$IT_TMP/local-out'#" "$IT_TMP/one.sql" >"$IT_TMP/loc.sql"
refuse loc "applies only to an s3:// path"
sed "s#s3.path_style = true )#s3.path_style = true, s3.part_size = '1M')#" "$IT_TMP/one.sql" >"$IT_TMP/part.sql"
refuse part "s3.part_size' must be a size from 5M to 5G"
it_log "refusals: ok"
