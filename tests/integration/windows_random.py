#!/usr/bin/env python3
"""windows_random — sluice against the Spark reference model, batch by batch.

For each seed, tests/reference/spark_windows.py makes a random windowed
query (tumbling or sliding windows, with or without a watermark, append,
update or complete mode, a group key or none, every aggregate) and random
input cut into epochs (late, very late and null event times, times on
window boundaries, times before 1970). The input is written as a `batches`
source file (one section per epoch), sluice runs the query with
`trigger = 'available_now'`, and every console batch is compared with the
reference's batch of the same number: the same rows (as a multiset), and
the same count of late rows dropped (sluice counts (row, window) pairs:
the reference's dropped_late_pairs).

    windows_random.py [SEEDS] [FIRST_SEED] [--sessions] [--union]
        (default 40 seeds from 1; the meson test runs 200, and 200 more with
        --sessions, where a quarter of the queries use session_window with a
        fixed gap or a gap per row, and 200 more with --sessions --union,
        where each case reads two sources through UNION ALL, each with its
        own WATERMARK delay (or none for the second), under a random
        multiple_watermark_policy)

Environment: SLUICE (the binary), SRCDIR (the source tree). Exits 0, or 1
naming the first seed whose batches differ, with both sides printed.
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile

SRCDIR = os.environ.get("SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "reference"))
import spark_windows as ref  # noqa: E402

SLUICE = os.environ.get("SLUICE", os.path.join(SRCDIR, "build", "sluice"))
EPOCH = datetime.datetime(1970, 1, 1)


def ts_text(us):
    """A TIMESTAMP literal sluice's CAST reads: 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    return (EPOCH + datetime.timedelta(microseconds=us)).strftime("%Y-%m-%d %H:%M:%S.%f")


def parse_ts(text):
    text = text.strip()
    fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in text else "%Y-%m-%d %H:%M:%S"
    d = datetime.datetime.strptime(text, fmt) - EPOCH
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def field(v):
    if v is None:
        return "null"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def has_gap_col(query):
    return "session_gap_col" in query["window"]


def sql_of(query, path, path_b=None):
    w = query["window"]
    fn = "window"
    if "session_gap" in w:
        fn, args = "session_window", "ts, '%d microseconds'" % ref.parse_duration(w["session_gap"])
    elif "session_gap_col" in w:
        fn, args = "session_window", "ts, " + w["session_gap_col"]
    else:
        args = "ts, '%d microseconds'" % w["size"]
        if "slide" in w or "start" in w:
            args += ", '%d microseconds'" % w.get("slide", w["size"])
        if "start" in w:
            args += ", '%d microseconds'" % w["start"]
    def wm_of(delay):
        return "" if delay is None else " WATERMARK ts DELAY '%d microseconds'" % delay

    wm = wm_of(query["watermark"])
    aggs = []
    for a in query["aggregates"]:
        arg = "*" if a["col"] == "*" else a["col"]
        aggs.append("%s(%s) AS %s" % (a["fn"], arg, a["as"]))
    keys = ", ".join(query["group_by"])
    sel = "%s(%s) AS w%s, %s" % (fn, args, ", " + keys if keys else "", ", ".join(aggs))
    grp = "%s(%s)%s" % (fn, args, ", " + keys if keys else "")
    gcol = ", g STRING" if has_gap_col(query) else ""
    cols = "(ts TIMESTAMP, k STRING, v INT, x DOUBLE" + gcol + ")"
    if path_b is None:
        return (
            "CREATE SOURCE s " + cols + "\n"
            "  WITH (connector = 'batches', path = '%s')%s;\n"
            "CREATE SINK o WITH (connector = 'console', output_mode = '%s',\n"
            "  trigger = 'available_now', num_rows = 1000000, truncate = false)\n"
            "AS SELECT %s FROM s GROUP BY %s;\n" % (path, wm, query["output_mode"], sel, grp))
    names = "ts, k, v, x" + (", g" if gcol else "")
    inputs = query["inputs"]
    return (
        "SET multiple_watermark_policy = '%s';\n" % query["watermark_policy"] +
        "CREATE SOURCE a " + cols + "\n"
        "  WITH (connector = 'batches', path = '%s')%s;\n" % (path, wm_of(inputs[0]["watermark"])) +
        "CREATE SOURCE b " + cols + "\n"
        "  WITH (connector = 'batches', path = '%s')%s;\n" % (path_b, wm_of(inputs[1]["watermark"])) +
        "CREATE SINK o WITH (connector = 'console', output_mode = '%s',\n"
        "  trigger = 'available_now', num_rows = 1000000, truncate = false)\n"
        "AS SELECT %s FROM (SELECT %s FROM a UNION ALL SELECT %s FROM b) AS s GROUP BY %s;\n"
        % (query["output_mode"], sel, names, names, grp))


def gap_field(g):
    """A per-row session gap as the text a STRING gap column holds."""
    return "null" if g is None else "%d microseconds" % g


def batches_file(epochs, gap_col=False, src=None):
    """The batches source's text; src: only the rows of that union stream
    (every epoch with rows has rows of each: make_union sees to it)."""
    sections = []
    for ep in epochs:
        if src is not None:
            ep = [r for r in ep if r.get("src", 0) == src]
        if not ep:
            continue  # a trigger that found nothing: the source skips it too
        lines = []
        for r in ep:
            f = ["null" if r["ts"] is None else ts_text(r["ts"]), field(r["k"]), field(r["v"]),
                 field(r["x"])]
            if gap_col:
                f.append(gap_field(r.get("g")))
            lines.append(",".join(f))
        sections.append("\n".join(lines))
    return "\n---\n".join(sections) + "\n"


def parse_console(out):
    """[(batch id, [row dicts])] from the console sink's text."""
    batches, cur, header = [], None, None
    for line in out.splitlines():
        if line.startswith("Batch: "):
            cur = (int(line[7:]), [])
            batches.append(cur)
            header = None
        elif line.startswith("|") and cur is not None:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if header is None:
                header = cells
            else:
                cur[1].append(dict(zip(header, cells)))
    return batches


def norm_sluice(row, query):
    w = row["w"].strip("{}")
    start, end = w.split(", ")
    out = [parse_ts(start), parse_ts(end)]
    for k in query["group_by"]:
        out.append(None if row[k] == "NULL" else row[k])
    for a in query["aggregates"]:
        v = row[a["as"]]
        out.append(None if v == "NULL" else float(v))
    return tuple(out)


def norm_ref(row, query):
    out = [row["window_start_us"], row["window_end_us"]]
    for k in query["group_by"]:
        out.append(row[k])
    for a in query["aggregates"]:
        v = row[a["as"]]
        out.append(None if v is None else float(v))
    return tuple(out)


def sort_key(t):
    return tuple((x is None, x if x is not None else 0) for x in t)


def check_seed(seed, tmp, sessions=False, union=False):
    query, epochs = ref.random_case(seed, sessions=sessions, union=union)
    query["idle_between"] = True  # sluice's batches source: see the docstring
    want = ref.run(query, epochs)
    path = os.path.join(tmp, "in-%d.txt" % seed)
    path_b = os.path.join(tmp, "in-%d-b.txt" % seed) if union else None
    with open(path, "w") as f:
        f.write(batches_file(epochs, has_gap_col(query), 0 if union else None))
    if union:
        with open(path_b, "w") as f:
            f.write(batches_file(epochs, has_gap_col(query), 1))
    sql = os.path.join(tmp, "q-%d.sql" % seed)
    with open(sql, "w") as f:
        f.write(sql_of(query, path, path_b))
    p = subprocess.run([SLUICE, "run", sql, "--stats"], capture_output=True, text=True,
                       timeout=60)
    if p.returncode != 0:
        return "sluice exited %d:\n%s" % (p.returncode, p.stderr)
    got = parse_console(p.stdout)
    dropped = {}
    for line in p.stderr.splitlines():
        if line.startswith("sluice: batch ") and "rows dropped as late" in line:
            b = int(line.split()[2].rstrip(":"))
            dropped[b] = int(line.split("watermark ")[1].split(", ")[1].split()[0])
    problems = []
    if len(got) != len(want):
        problems.append("sluice ran %d batches, the reference %d" % (len(got), len(want)))
    for (gid, grows), wb in zip(got, want):
        g = sorted((norm_sluice(r, query) for r in grows), key=sort_key)
        w = sorted((norm_ref(r, query) for r in wb["rows"]), key=sort_key)
        if gid != wb["batch"]:
            problems.append("batch number %d where the reference has %d" % (gid, wb["batch"]))
        if g != w:
            problems.append("batch %d: rows differ\n  sluice:    %s\n  reference: %s"
                            % (gid, g, w))
        if query["watermark"] is not None and dropped.get(gid) != wb["dropped_late_pairs"]:
            problems.append("batch %d: sluice dropped %s late rows, the reference %d"
                            % (gid, dropped.get(gid), wb["dropped_late_pairs"]))
        if problems:
            break
    if problems:
        return ("\n".join(problems) + "\nquery: %s\nSQL:\n%s" % (json.dumps(query),
                                                              sql_of(query, path, path_b)))
    return None


def main():
    args = [a for a in sys.argv[1:] if a not in ("--sessions", "--union")]
    sessions = "--sessions" in sys.argv[1:]
    union = "--union" in sys.argv[1:]
    n = int(args[0]) if len(args) > 0 else 40
    first = int(args[1]) if len(args) > 1 else 1
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(first, first + n):
            err = check_seed(seed, tmp, sessions, union)
            if err:
                print("windows_random: seed %d: %s" % (seed, err), file=sys.stderr)
                return 1
    print("windows_random: %d seeds%s%s: every batch as the reference"
          % (n, " (a quarter of them session windows)" if sessions else "",
             ", each a UNION ALL of two sources" if union else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
