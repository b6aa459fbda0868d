#!/usr/bin/env python3
"""Tests of the Spark reference model (spark_windows.py): Spark's documented
example, table-driven cases for each rule, and properties on random inputs.

Run: python3 tests/reference/test_spark_windows.py   (or via meson test)
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True      # no __pycache__ in the source tree

import spark_windows as sw  # noqa: E402

S = sw.MICROS_PER_SECOND
MIN = sw.MICROS_PER_MINUTE
DAY = sw.parse_timestamp("2024-01-01T00:00:00Z")


def t(hhmm):
    """'12:07' -> microseconds at that time on 2024-01-01 UTC; 0 stays 0."""
    if hhmm == 0:
        return 0
    h, m = hhmm.split(":")
    return DAY + int(h) * 60 * MIN + int(m) * MIN


def words(*pairs):
    return [{"ts": t(hhmm), "word": w} for hhmm, w in pairs]


def project(batches):
    """Batches as (batch, no_data, watermark, dropped, rows) with rows as
    (start, end, word, count) tuples: the shape of the tables below."""
    out = []
    for b in batches:
        rows = [(r["window_start_us"], r["window_end_us"], r["word"],
                 r["count"]) for r in b["rows"]]
        out.append((b["batch"], b["no_data"], b["watermark_us"],
                    b["dropped_late"], rows))
    return out


def table(spec):
    """Expected batches written with 'HH:MM' times -> project()'s shape."""
    out = []
    for batch, no_data, wm, dropped, rows in spec:
        out.append((batch, no_data, t(wm), dropped,
                    [(t(s), t(e), w, n) for s, e, w, n in rows]))
    return out


# ---------------------------------------------------------------------------
# 1. The Structured Streaming Programming Guide, "Handling Late Data and
#    Watermarking": words.withWatermark("timestamp", "10 minutes")
#    .groupBy(window($"timestamp", "10 minutes", "5 minutes"), $"word")
#    .count(), with the records of the guide's figures
#    (img/structured-streaming-watermark-update-mode.png and
#    -append-mode.png). Triggers every 5 minutes; the 12:05 trigger finds
#    nothing, so Spark's batch 0 is the 12:10 trigger.
# ---------------------------------------------------------------------------

GUIDE_QUERY = {
    "time_col": "ts",
    "window": {"size": "10 minutes", "slide": "5 minutes"},
    "group_by": ["word"],
    "aggregates": [{"fn": "count", "col": "*", "as": "count"}],
    "watermark": "10 minutes",
}

GUIDE_EPOCHS = [
    # trigger 12:10
    words(("12:07", "dog"), ("12:08", "owl")),
    # trigger 12:15: (12:09, cat) is out of order but ahead of the watermark
    words(("12:14", "dog"), ("12:09", "cat")),
    # trigger 12:20: (12:08, dog) is late yet counted (watermark 12:04)
    words(("12:15", "cat"), ("12:08", "dog"), ("12:13", "owl"),
          ("12:21", "owl")),
    # trigger 12:25: the watermark is 12:11; (12:04, donkey) is too late
    words(("12:04", "donkey"), ("12:17", "owl")),
]

# What the guide's figures show, batch by batch. Every trigger had data, so
# no idle trigger (no no-data batch) falls between them. The figures were
# drawn for Spark 2.x, where the late-row filter used the batch's own
# watermark: late_filter = "current_batch".
GUIDE_UPDATE_FIGURE = [
    # batch, no_data, watermark, numRowsDroppedByWatermark, updated rows
    (0, False, 0, 0, [
        ("12:00", "12:10", "dog", 1),
        ("12:00", "12:10", "owl", 1),
        ("12:05", "12:15", "dog", 1),
        ("12:05", "12:15", "owl", 1)]),
    (1, False, "11:58", 0, [
        ("12:00", "12:10", "cat", 1),
        ("12:05", "12:15", "cat", 1),
        ("12:05", "12:15", "dog", 2),
        ("12:10", "12:20", "dog", 1)]),
    (2, False, "12:04", 0, [
        ("12:00", "12:10", "dog", 2),
        ("12:05", "12:15", "dog", 3),
        ("12:05", "12:15", "owl", 2),
        ("12:10", "12:20", "cat", 1),
        ("12:10", "12:20", "owl", 1),
        ("12:15", "12:25", "cat", 1),
        ("12:15", "12:25", "owl", 1),
        ("12:20", "12:30", "owl", 1)]),
    # donkey's two windows (11:55-12:05, 12:00-12:10) end <= 12:11: dropped,
    # two groups; then the 12:00-12:10 state is cleared.
    (3, False, "12:11", 2, [
        ("12:10", "12:20", "owl", 2),
        ("12:15", "12:25", "owl", 2)]),
]

GUIDE_APPEND_FIGURE = [
    (0, False, 0, 0, []),
    (1, False, "11:58", 0, []),
    (2, False, "12:04", 0, []),
    # "the final counts of window 12:00 - 12:10 is appended to the Result
    # Table only after the watermark is updated to 12:11"
    (3, False, "12:11", 2, [
        ("12:00", "12:10", "cat", 1),
        ("12:00", "12:10", "dog", 2),
        ("12:00", "12:10", "owl", 1)]),
]

# The same triggers on Spark 3.5 as configured by default: the late-row
# filter of batch k uses batch k-1's watermark (SPARK-40925,
# PropagateWatermarkSimulator.getInputWatermarkForLateEvents). In batch 3 it
# is 12:04, so donkey's windows (ends 12:05 and 12:10) are not late: donkey
# is counted, output, and evicted at once with the 12:11 watermark.
GUIDE_UPDATE_SPARK35 = GUIDE_UPDATE_FIGURE[:3] + [
    (3, False, "12:11", 0, [
        ("11:55", "12:05", "donkey", 1),
        ("12:00", "12:10", "donkey", 1),
        ("12:10", "12:20", "owl", 2),
        ("12:15", "12:25", "owl", 2)]),
]

GUIDE_APPEND_SPARK35 = GUIDE_APPEND_FIGURE[:3] + [
    (3, False, "12:11", 0, [
        ("11:55", "12:05", "donkey", 1),
        ("12:00", "12:10", "cat", 1),
        ("12:00", "12:10", "dog", 2),
        ("12:00", "12:10", "donkey", 1),
        ("12:00", "12:10", "owl", 1)]),
]

# Spark 3.5 when each arrival finds the engine idle (the default model,
# idle_between): after every batch that moved the watermark, the next
# trigger has no data and runs a no-data batch. Then the late filter and the
# eviction see the same watermark, and the figures' rule holds again.
GUIDE_UPDATE_IDLE = [
    (0, False, 0, 0, GUIDE_UPDATE_FIGURE[0][4]),
    (1, True, "11:58", 0, []),
    (2, False, "11:58", 0, GUIDE_UPDATE_FIGURE[1][4]),
    (3, True, "12:04", 0, []),
    (4, False, "12:04", 0, GUIDE_UPDATE_FIGURE[2][4]),
    (5, True, "12:11", 0, []),      # evicts 12:00-12:10, outputs nothing
    (6, False, "12:11", 2, GUIDE_UPDATE_FIGURE[3][4]),
    # the last batch did not move the watermark (12:17 - 10 < 12:11): no
    # further batch.
]

GUIDE_APPEND_IDLE = [
    (0, False, 0, 0, []),
    (1, True, "11:58", 0, []),
    (2, False, "11:58", 0, []),
    (3, True, "12:04", 0, []),
    (4, False, "12:04", 0, []),
    (5, True, "12:11", 0, GUIDE_APPEND_FIGURE[3][4]),
    (6, False, "12:11", 2, []),
]

# Complete mode ignores the watermark: nothing is late, nothing is evicted,
# every batch outputs the whole table. The last batch's table:
GUIDE_COMPLETE_LAST = [
    ("11:55", "12:05", "donkey", 1),
    ("12:00", "12:10", "cat", 1),
    ("12:00", "12:10", "dog", 2),
    ("12:00", "12:10", "donkey", 1),
    ("12:00", "12:10", "owl", 1),
    ("12:05", "12:15", "cat", 1),
    ("12:05", "12:15", "dog", 3),
    ("12:05", "12:15", "owl", 2),
    ("12:10", "12:20", "cat", 1),
    ("12:10", "12:20", "dog", 1),
    ("12:10", "12:20", "owl", 2),
    ("12:15", "12:25", "cat", 1),
    ("12:15", "12:25", "owl", 2),
    ("12:20", "12:30", "owl", 1),
]


def guide(mode, **options):
    q = dict(GUIDE_QUERY, output_mode=mode, **options)
    return project(sw.run(q, GUIDE_EPOCHS))


class GuideExample(unittest.TestCase):
    maxDiff = None

    def test_update_mode_as_in_the_figure(self):
        self.assertEqual(
            guide("update", late_filter="current_batch", idle_between=False,
                  idle_at_end=False),
            table(GUIDE_UPDATE_FIGURE))

    def test_append_mode_as_in_the_figure(self):
        self.assertEqual(
            guide("append", late_filter="current_batch", idle_between=False,
                  idle_at_end=False),
            table(GUIDE_APPEND_FIGURE))

    def test_update_mode_spark35_back_to_back_triggers(self):
        self.assertEqual(
            guide("update", idle_between=False, idle_at_end=False),
            table(GUIDE_UPDATE_SPARK35))

    def test_append_mode_spark35_back_to_back_triggers(self):
        self.assertEqual(
            guide("append", idle_between=False, idle_at_end=False),
            table(GUIDE_APPEND_SPARK35))

    def test_update_mode_spark35_idle_between_arrivals(self):
        self.assertEqual(guide("update"), table(GUIDE_UPDATE_IDLE))
        # With no-data batches in between, both late filters agree.
        self.assertEqual(guide("update", late_filter="current_batch"),
                         table(GUIDE_UPDATE_IDLE))

    def test_append_mode_spark35_idle_between_arrivals(self):
        self.assertEqual(guide("append"), table(GUIDE_APPEND_IDLE))
        self.assertEqual(guide("append", late_filter="current_batch"),
                         table(GUIDE_APPEND_IDLE))

    def test_complete_mode_keeps_everything(self):
        got = guide("complete")
        self.assertEqual(len(got), 4)               # no no-data batches
        self.assertTrue(all(b[3] == 0 for b in got))   # nothing dropped
        last = got[-1]
        self.assertEqual(last[4], table([(0, 0, 0, 0, GUIDE_COMPLETE_LAST)])
                         [0][4])

    def test_watermark_per_batch_matches_the_guide_text(self):
        # "when the engine observes the data (12:14, dog), it sets the
        # watermark for the next trigger as 12:04"
        got = guide("update", idle_between=False, idle_at_end=False)
        self.assertEqual([b[2] for b in got],
                         [0, t("11:58"), t("12:04"), t("12:11")])


# ---------------------------------------------------------------------------
# 2. Table-driven cases, rule by rule
# ---------------------------------------------------------------------------

def brute_force_windows(ts, size, slide, start):
    """Every [s, s + size) holding ts with s = start (mod slide)."""
    first = ts - size + 1
    s = first + ((start - first) % slide)
    out = []
    while s <= ts:
        out.append((s, s + size))
        s += slide
    return sorted(out, reverse=True)


class WindowAssignment(unittest.TestCase):
    CASES = [
        # (ts, size, slide, start, expected windows, latest start first)
        # tumbling, boundaries exactly at ts
        (0, 10 * S, None, 0, [(0, 10 * S)]),
        (10 * S - 1, 10 * S, None, 0, [(0, 10 * S)]),
        (10 * S, 10 * S, None, 0, [(10 * S, 20 * S)]),
        (25 * S, 10 * S, None, 0, [(20 * S, 30 * S)]),
        # tumbling, negative timestamps (Java % keeps the dividend's sign)
        (-1, 10 * S, None, 0, [(-10 * S, 0)]),
        (-10 * S, 10 * S, None, 0, [(-10 * S, 0)]),
        (-10 * S - 1, 10 * S, None, 0, [(-20 * S, -10 * S)]),
        (-25 * S, 10 * S, None, 0, [(-30 * S, -20 * S)]),
        # tumbling with a start offset
        (1 * S, 10 * S, None, 2 * S, [(-8 * S, 2 * S)]),
        (2 * S, 10 * S, None, 2 * S, [(2 * S, 12 * S)]),
        (-9 * S, 10 * S, None, -3 * S, [(-13 * S, -3 * S)]),
        # sliding, size a multiple of slide
        (12 * S, 10 * S, 5 * S, 0, [(10 * S, 20 * S), (5 * S, 15 * S)]),
        (10 * S, 10 * S, 5 * S, 0, [(10 * S, 20 * S), (5 * S, 15 * S)]),
        (-3 * S, 10 * S, 5 * S, 0, [(-5 * S, 5 * S), (-10 * S, 0)]),
        (-5 * S, 10 * S, 5 * S, 0, [(-5 * S, 5 * S), (-10 * S, 0)]),
        # sliding, size not a multiple of slide: 4 candidates, filtered
        (12 * S, 10 * S, 3 * S, 0,
         [(12 * S, 22 * S), (9 * S, 19 * S), (6 * S, 16 * S),
          (3 * S, 13 * S)]),
        (13 * S, 10 * S, 3 * S, 0,
         [(12 * S, 22 * S), (9 * S, 19 * S), (6 * S, 16 * S)]),
        (-1 * S, 10 * S, 3 * S, 0,
         [(-3 * S, 7 * S), (-6 * S, 4 * S), (-9 * S, 1 * S)]),
        # Spark's own example (TimeWindowing's comment): 12:05 with window
        # 12m, slide 5m, start 0m and start 2m
        (t("12:05"), 12 * MIN, 5 * MIN, 0,
         [(t("12:05"), t("12:17")), (t("12:00"), t("12:12")),
          (t("11:55"), t("12:07"))]),
        (t("12:05"), 12 * MIN, 5 * MIN, 2 * MIN,
         [(t("12:02"), t("12:14")), (t("11:57"), t("12:09"))]),
        # null event time: no window at all
        (None, 10 * S, None, 0, []),
        (None, 10 * S, 3 * S, 0, []),
    ]

    def test_table(self):
        for ts, size, slide, start, want in self.CASES:
            with self.subTest(ts=ts, size=size, slide=slide, start=start):
                self.assertEqual(sw.assign_windows(ts, size, slide, start),
                                 want)

    def test_agrees_with_brute_force(self):
        rng = random.Random(7)
        for _ in range(3000):
            slide = rng.randrange(1, 40)
            size = slide * rng.randrange(1, 5) + rng.choice(
                [0, 0, rng.randrange(slide)])
            start = rng.randrange(-slide + 1, slide)
            ts = rng.randrange(-500, 500)
            with self.subTest(ts=ts, size=size, slide=slide, start=start):
                self.assertEqual(sw.assign_windows(ts, size, slide, start),
                                 brute_force_windows(ts, size, slide, start))

    def test_java_remainder(self):
        self.assertEqual(sw.java_rem(-7, 3), -1)
        self.assertEqual(sw.java_rem(7, 3), 1)
        self.assertEqual(sw.java_rem(-6, 3), 0)
        self.assertEqual(sw.java_div(-7, 1000), 0)
        self.assertEqual(sw.java_div(-1007, 1000), -1)

    def test_invalid_windows_are_refused_with_sparks_words(self):
        bad = [
            ({"size": 0}, "window duration"),
            ({"size": 10, "slide": 0}, "slide duration"),
            ({"size": 10, "slide": 20}, "less than or equal"),
            ({"size": 10, "slide": 5, "start": 5}, "start time"),
            ({"size": 10, "slide": 5, "start": -5}, "start time"),
        ]
        for window, words_ in bad:
            with self.subTest(window=window):
                with self.assertRaisesRegex(ValueError, words_):
                    sw.Query({"window": window, "output_mode": "complete"})

    def test_durations(self):
        self.assertEqual(sw.parse_duration("10 minutes"), 10 * MIN)
        self.assertEqual(sw.parse_duration("interval 1 hour 30 minutes"),
                         90 * MIN)
        self.assertEqual(sw.parse_duration("500 milliseconds"), 500_000)
        self.assertEqual(sw.parse_duration(42), 42)
        with self.assertRaises(ValueError):
            sw.parse_duration("1 month")


def q(mode="update", watermark=None, size=10 * S, slide=None, group_by=(),
      aggregates=None, **extra):
    spec = {"window": {"size": size}, "output_mode": mode,
            "watermark": watermark, "group_by": list(group_by),
            "aggregates": aggregates or [{"fn": "count", "col": "*",
                                          "as": "n"}]}
    if slide is not None:
        spec["window"]["slide"] = slide
    spec.update(extra)
    return spec


def rows_of(batch, *cols):
    return [tuple(r[c] for c in ("window_start_us",) + cols)
            for r in batch["rows"]]


class NullEventTimes(unittest.TestCase):
    def test_null_rows_are_input_but_reach_no_window(self):
        epochs = [[{"ts": None}, {"ts": 3 * S}, {"ts": None}]]
        for mode in ("complete", "update"):
            with self.subTest(mode=mode):
                b = sw.run(q(mode), epochs)[0]
                self.assertEqual(b["input_rows"], 3)
                self.assertEqual(rows_of(b, "n"), [(0, 1)])
                self.assertEqual(b["dropped_late"], 0)

    def test_only_null_rows_leave_the_watermark_alone(self):
        epochs = [[{"ts": 100 * S}], [{"ts": None}], [{"ts": None}]]
        got = sw.run(q("update", watermark=0, idle_between=False), epochs)
        self.assertEqual([b["watermark_us"] for b in got],
                         [0, 100 * S, 100 * S])
        self.assertEqual([b["rows"] for b in got[1:]], [[], []])


class Watermark(unittest.TestCase):
    def test_never_moves_back_and_counts_late_rows_seen(self):
        # The watermark is computed from every row the batch saw, the dropped
        # ones included (EventTimeWatermarkExec sits below the aggregation).
        epochs = [[{"ts": 100 * S}], [{"ts": 50 * S}], [{"ts": 120 * S}],
                  [{"ts": 10 * S}], [{"ts": 115 * S}]]
        got = sw.run(q("update", watermark=5 * S, idle_between=False),
                     epochs)
        self.assertEqual([b["watermark_us"] for b in got],
                         [0, 95 * S, 95 * S, 115 * S, 115 * S])

    def test_starts_at_zero_and_negative_times_never_raise_it(self):
        epochs = [[{"ts": -50 * S}], [{"ts": -1}], [{"ts": -999}]]
        got = sw.run(q("update", watermark=0, idle_between=False), epochs)
        self.assertEqual([b["watermark_us"] for b in got], [0, 0, 0])

    def test_watermark_is_whole_milliseconds(self):
        # 1.0009999 s -> 1000 ms; delay 0 -> watermark 1 s exactly.
        got = sw.run(q("update", watermark=0), [[{"ts": S + 999}]])
        self.assertEqual(got[1]["watermark_us"], S)

    def test_windows_ending_at_or_before_zero_are_late_from_the_start(self):
        # Batch 0's watermark is 0: with a watermark, Append and Update drop
        # window.end <= 0; Complete keeps them.
        epochs = [[{"ts": -15 * S}, {"ts": -10 * S}, {"ts": -1}, {"ts": 0}]]
        up = sw.run(q("update", watermark=S), epochs)[0]
        self.assertEqual(rows_of(up, "n"), [(0, 1)])
        self.assertEqual(up["dropped_late"], 2)          # two late groups
        self.assertEqual(up["dropped_late_pairs"], 3)    # three late rows
        full = sw.run(q("complete", watermark=S), epochs)[0]
        self.assertEqual(rows_of(full, "n"),
                         [(-20 * S, 1), (-10 * S, 2), (0, 1)])
        none = sw.run(q("update"), epochs)[0]            # no watermark
        self.assertEqual(len(none["rows"]), 3)

    def test_late_boundary_is_end_le_watermark(self):
        # Watermark 20 s: window [10, 20) is late, [20, 30) is not.
        epochs = [[{"ts": 25 * S}], [{"ts": 19 * S}, {"ts": 20 * S}]]
        got = sw.run(q("update", watermark=5 * S), epochs)
        self.assertEqual(got[1]["no_data"], True)
        last = got[2]
        self.assertEqual(last["watermark_us"], 20 * S)
        self.assertEqual(rows_of(last, "n"), [(20 * S, 2)])
        self.assertEqual(last["dropped_late"], 1)

    def test_delay_in_words(self):
        got = sw.run(q("update", watermark="2 seconds"), [[{"ts": 10 * S}]])
        self.assertEqual(got[1]["watermark_us"], 8 * S)


class Aggregates(unittest.TestCase):
    AGGS = [{"fn": "count", "col": "*", "as": "n"},
            {"fn": "count", "col": "v"},
            {"fn": "sum", "col": "v"},
            {"fn": "min", "col": "v"},
            {"fn": "max", "col": "v"},
            {"fn": "avg", "col": "v"}]
    NAMES = ["n", "count(v)", "sum(v)", "min(v)", "max(v)", "avg(v)"]
    CASES = [
        # values of v in one window -> n, count(v), sum, min, max, avg
        ([None, None], [2, 0, None, None, None, None]),
        ([None, 4, None], [3, 1, 4, 4, 4, 4.0]),
        ([3, -1, None, 4], [4, 3, 6, -1, 4, 2.0]),
        ([1.5, None, 2], [3, 2, 3.5, 1.5, 2, 1.75]),
        ([2 ** 63 - 1, 1], [2, 2, -2 ** 63, 1, 2 ** 63 - 1, 2.0 ** 62]),
    ]

    def test_table(self):
        for values, want in self.CASES:
            with self.subTest(values=values):
                epochs = [[{"ts": S, "v": v} for v in values]]
                b = sw.run(q("complete", aggregates=self.AGGS), epochs)[0]
                self.assertEqual(len(b["rows"]), 1)
                self.assertEqual([b["rows"][0][k] for k in self.NAMES], want)

    def test_null_group_key_is_a_group(self):
        epochs = [[{"ts": S, "k": None}, {"ts": S, "k": "a"},
                   {"ts": S, "k": None}]]
        b = sw.run(q("complete", group_by=["k"]), epochs)[0]
        self.assertEqual(rows_of(b, "k", "n"), [(0, None, 2), (0, "a", 1)])

    def test_star_only_for_count(self):
        with self.assertRaises(ValueError):
            sw.Query(q(aggregates=[{"fn": "sum", "col": "*"}]))


class OutputModes(unittest.TestCase):
    def test_update_emits_a_group_then_evicts_it_in_the_same_batch(self):
        # Back-to-back triggers: batch 1 filters late rows with batch 0's
        # watermark (0) but evicts with its own (25 s). [10, 20) is accepted,
        # output, and evicted; the next row for it is late.
        epochs = [[{"ts": 30 * S}], [{"ts": 15 * S}], [{"ts": 16 * S}]]
        got = sw.run(q("update", watermark=5 * S, idle_between=False,
                       idle_at_end=False), epochs)
        self.assertEqual([rows_of(b, "n") for b in got],
                         [[(30 * S, 1)], [(10 * S, 1)], []])
        self.assertEqual([b["dropped_late"] for b in got], [0, 0, 1])

    def test_append_emits_each_window_once_when_the_watermark_passes(self):
        epochs = [[{"ts": 1 * S}, {"ts": 2 * S}], [{"ts": 12 * S}],
                  [{"ts": 3 * S}, {"ts": 25 * S}]]
        got = sw.run(q("append", watermark=1 * S), epochs)
        # batch 0 data (W 0), batch 1 no-data (W 1 s), batch 2 data (W 1 s),
        # batch 3 no-data (W 11 s: [0, 10) final), batch 4 data (W 11 s:
        # 3 s is late), batch 5 no-data (W 24 s: [10, 20) final).
        self.assertEqual([(b["no_data"], b["watermark_us"], rows_of(b, "n"),
                           b["dropped_late"]) for b in got],
                         [(False, 0, [], 0),
                          (True, 1 * S, [], 0),
                          (False, 1 * S, [], 0),
                          (True, 11 * S, [(0, 2)], 0),
                          (False, 11 * S, [], 1),
                          (True, 24 * S, [(10 * S, 1)], 0)])

    def test_append_refused_without_watermark(self):
        with self.assertRaisesRegex(ValueError, "without watermark"):
            sw.run(q("append"), [[{"ts": S}]])

    def test_complete_never_drops_nor_evicts(self):
        epochs = [[{"ts": 100 * S}], [{"ts": 1 * S}]]
        got = sw.run(q("complete", watermark=0), epochs)
        self.assertEqual(len(got), 2)                   # no no-data batch
        self.assertEqual(rows_of(got[1], "n"), [(0, 1), (100 * S, 1)])
        self.assertEqual(got[1]["dropped_late"], 0)


class NoDataBatches(unittest.TestCase):
    def test_runs_when_the_watermark_advanced(self):
        # Spark's condition (StateStoreSaveExec.shouldRunAnotherBatch):
        # append/update, a watermark, and new watermark > the last batch's.
        # It does not check that anything would be evicted: here the state
        # holds only [100, 110), which W = 95 s does not close.
        got = sw.run(q("update", watermark=5 * S), [[{"ts": 100 * S}]])
        self.assertEqual([(b["no_data"], b["watermark_us"]) for b in got],
                         [(False, 0), (True, 95 * S)])

    def test_not_when_the_watermark_stayed(self):
        got = sw.run(q("update", watermark=5 * S),
                     [[{"ts": 100 * S}], [{"ts": 90 * S}]])
        self.assertEqual([b["no_data"] for b in got], [False, True, False])

    def test_not_in_complete_mode_nor_without_watermark(self):
        for spec in (q("complete", watermark=0), q("update")):
            with self.subTest(spec=spec):
                got = sw.run(spec, [[{"ts": 100 * S}], [], []])
                self.assertEqual([b["no_data"] for b in got], [False])

    def test_empty_epochs_are_idle_triggers(self):
        # With idle_between off, only the explicit empty epoch (and the end)
        # can run a no-data batch, and only once per watermark advance.
        spec = q("append", watermark=0, idle_between=False)
        got = sw.run(spec, [[{"ts": 5 * S}], [{"ts": 12 * S}], [], [],
                            [{"ts": 25 * S}]])
        self.assertEqual([(b["no_data"], b["watermark_us"], rows_of(b, "n"))
                          for b in got],
                         [(False, 0, []),
                          (False, 5 * S, []),
                          (True, 12 * S, [(0, 1)]),
                          (False, 12 * S, []),
                          (True, 25 * S, [(10 * S, 1)])])


class UnionWatermarks(unittest.TestCase):
    """Several streams (a union): each watermark operator its own value, the
    global one by multipleWatermarkPolicy (WatermarkTracker). The case of
    tests/integration/windows_union.sh: stream a delay 10 minutes, stream b
    delay 5 minutes, tumbling 10-minute windows, update mode."""

    EPOCHS = [
        [{"ts": "2024-01-01 12:20:00", "word": "x", "src": 0},
         {"ts": "2024-01-01 12:02:00", "word": "y", "src": 1}],
        [{"ts": "2024-01-01 12:05:00", "word": "x", "src": 0},
         {"ts": "2024-01-01 12:09:00", "word": "y", "src": 1}],
        [{"ts": "2024-01-01 12:31:00", "word": "x", "src": 0},
         {"ts": "2024-01-01 12:12:00", "word": "y", "src": 1}],
    ]

    def run_policy(self, policy):
        query = {"window": {"size": "10 minutes"}, "group_by": ["word"],
                 "aggregates": [{"fn": "count", "col": "*", "as": "count"}],
                 "inputs": [{"watermark": "10 minutes"}, {"watermark": "5 minutes"}],
                 "watermark_policy": policy, "output_mode": "update"}
        return [(b["batch"], b["no_data"], b["watermark_us"], b["dropped_late"])
                for b in sw.run(query, self.EPOCHS)]

    def test_min_waits_for_the_slowest_stream(self):
        self.assertEqual(self.run_policy("min"), [
            (0, False, 0, 0), (1, True, t("11:57"), 0),
            (2, False, t("11:57"), 0), (3, True, t("12:04"), 0),
            (4, False, t("12:04"), 0), (5, True, t("12:07"), 0)])

    def test_max_follows_the_fastest_stream(self):
        self.assertEqual(self.run_policy("max"), [
            (0, False, 0, 0), (1, True, t("12:10"), 0),
            (2, False, t("12:10"), 2), (3, False, t("12:10"), 0),
            (4, True, t("12:21"), 0)])

    def test_a_stream_without_rows_holds_min_at_zero(self):
        query = {"window": {"size": "10 minutes"}, "group_by": [],
                 "aggregates": [{"fn": "count", "col": "*", "as": "count"}],
                 "inputs": [{"watermark": "1 minute"}, {"watermark": "1 minute"}],
                 "output_mode": "append"}
        epochs = [[{"ts": "2024-01-01 12:20:00", "src": 0}]]
        batches = sw.run(query, epochs)
        self.assertEqual([b["watermark_us"] for b in batches], [0])
        query["watermark_policy"] = "max"
        batches = sw.run(query, epochs)
        self.assertEqual([b["watermark_us"] for b in batches], [0, t("12:19")])

    def test_the_first_stream_decides_event_time(self):
        query = {"window": {"size": "10 minutes"}, "group_by": [],
                 "aggregates": [{"fn": "count", "col": "*", "as": "count"}],
                 "inputs": [{"watermark": None}, {"watermark": "1 minute"}],
                 "output_mode": "append"}
        with self.assertRaisesRegex(ValueError, "without watermark"):
            sw.run(query, [])

    def test_bad_policy(self):
        with self.assertRaisesRegex(ValueError, "watermark_policy"):
            sw.run({"window": {"size": "1 minute"}, "watermark_policy": "avg"}, [])


class CommandLine(unittest.TestCase):
    def test_cli_prints_the_batches(self):
        with tempfile.TemporaryDirectory() as d:
            qp = os.path.join(d, "query.json")
            ip = os.path.join(d, "input.json")
            with open(qp, "w") as f:
                json.dump(dict(GUIDE_QUERY, output_mode="update",
                               idle_between=False, idle_at_end=False,
                               late_filter="current_batch"), f)
            with open(ip, "w") as f:
                json.dump({"epochs": GUIDE_EPOCHS}, f)
            out = subprocess.run(
                [sys.executable, os.path.join(HERE, "spark_windows.py"),
                 "--query", qp, "--input", ip],
                check=True, capture_output=True, text=True).stdout
        self.assertEqual(project(json.loads(out)), table(GUIDE_UPDATE_FIGURE))

    def test_cli_generates_a_case(self):
        out = subprocess.run(
            [sys.executable, os.path.join(HERE, "spark_windows.py"),
             "--generate", "3"],
            check=True, capture_output=True, text=True).stdout
        case = json.loads(out)
        self.assertEqual(sum(len(e) for e in case["epochs"]), 200)
        sw.run(case["query"], case["epochs"])


# ---------------------------------------------------------------------------
# 3. Properties on random inputs, against a direct recount that shares no
#    code with the batch loop (only assign_windows, tested above).
# ---------------------------------------------------------------------------

def recount(query, pairs):
    """Aggregate (key, row) pairs directly, the aggregates spelled out here
    again: {key: {name: value}}."""
    groups = {}
    for key, row in pairs:
        groups.setdefault(key, []).append(row)
    out = {}
    for key, rows in groups.items():
        vals = {}
        for agg in query["aggregates"]:
            col, name = agg["col"], agg["as"]
            nonnull = [r[col] for r in rows if col != "*" and
                       r[col] is not None]
            if agg["fn"] == "count":
                vals[name] = len(rows) if col == "*" else len(nonnull)
            elif not nonnull:
                vals[name] = None
            elif agg["fn"] == "sum":
                vals[name] = sum(nonnull)
            elif agg["fn"] == "min":
                vals[name] = min(nonnull)
            elif agg["fn"] == "max":
                vals[name] = max(nonnull)
            else:
                vals[name] = sum(nonnull) / len(nonnull)
        out[key] = vals
    return out


def windows_of(query, row):
    w = query["window"]
    return sw.assign_windows(row["ts"], w["size"], w.get("slide"),
                             w.get("start", 0))


def key_of(query, row, window):
    return window + tuple(row[c] for c in query["group_by"])


def out_key(query, out_row):
    return (out_row["window_start_us"], out_row["window_end_us"]) + tuple(
        out_row[c] for c in query["group_by"])


def out_vals(query, out_row):
    return {a["as"]: out_row[a["as"]] for a in query["aggregates"]}


class RandomProperties(unittest.TestCase):
    SEEDS = range(120)

    def cases(self, mode=None):
        for seed in self.SEEDS:
            query, epochs = sw.random_case(seed)
            if mode is not None:
                query["output_mode"] = mode
                if mode == "append" and query["watermark"] is None:
                    query["watermark"] = 0
            yield seed, query, epochs

    def data_batches(self, batches):
        return [b for b in batches if not b["no_data"]]

    def test_batches_line_up_with_the_epochs(self):
        for seed, query, epochs in self.cases():
            batches = sw.run(query, epochs)
            data = self.data_batches(batches)
            self.assertEqual([b["input_rows"] for b in data],
                             [len(e) for e in epochs if e], seed)
            self.assertEqual([b["batch"] for b in batches],
                             list(range(len(batches))), seed)

    def test_watermark_is_max_event_time_minus_delay_never_back(self):
        for seed, query, epochs in self.cases():
            if query["watermark"] is None:
                continue
            delay_ms = query["watermark"] // 1000
            batches = sw.run(query, epochs)
            seen_ms = []
            data = iter(e for e in epochs if e)
            for b in batches:
                want = max([0] + [m - delay_ms for m in seen_ms]) * 1000
                self.assertEqual(b["watermark_us"], want, seed)
                if not b["no_data"]:
                    seen_ms += [r["ts"] // 1000 for r in next(data)
                                if r["ts"] is not None]
            wms = [b["watermark_us"] for b in batches]
            self.assertEqual(wms, sorted(wms), seed)

    def test_complete_totals_equal_a_recount_of_all_rows(self):
        for seed, query, epochs in self.cases("complete"):
            batches = sw.run(query, epochs)
            pairs = [(key_of(query, r, w), r) for e in epochs for r in e
                     for w in windows_of(query, r)]
            want = recount(query, pairs)
            last = batches[-1]
            got = {out_key(query, r): out_vals(query, r)
                   for r in last["rows"]}
            self.assertEqual(got, want, seed)
            self.assertEqual(sum(v["n"] for v in got.values()), len(pairs),
                             seed)
            self.assertTrue(all(b["dropped_late"] == 0 for b in batches))

    def non_late_pairs(self, query, epochs, batches):
        """(key, row) pairs that a direct reading of rule 4 accepts: with a
        watermark, a pair in batch k is late iff window end <= batch k's
        late watermark."""
        filters = query["watermark"] is not None
        pairs = []
        data = iter(e for e in epochs if e)
        for b in batches:
            if b["no_data"]:
                continue
            late_keys = set()
            for r in next(data):
                for w in windows_of(query, r):
                    if filters and w[1] <= b["late_watermark_us"]:
                        late_keys.add(key_of(query, r, w))
                    else:
                        pairs.append((key_of(query, r, w), r))
            self.assertEqual(b["dropped_late"], len(late_keys))
        return pairs

    def test_append_emits_each_window_once_with_its_final_value(self):
        for seed, query, epochs in self.cases("append"):
            batches = sw.run(query, epochs)
            want = recount(query, self.non_late_pairs(query, epochs, batches))
            emitted = {}
            for b in batches:
                for r in b["rows"]:
                    k = out_key(query, r)
                    self.assertNotIn(k, emitted, seed)     # at most once
                    self.assertLessEqual(k[1], b["watermark_us"], seed)
                    emitted[k] = out_vals(query, r)
            final_wm = batches[-1]["watermark_us"]
            self.assertEqual(
                emitted,
                {k: v for k, v in want.items() if k[1] <= final_wm}, seed)

    def test_update_last_emission_is_the_recount(self):
        for seed, query, epochs in self.cases("update"):
            batches = sw.run(query, epochs)
            want = recount(query, self.non_late_pairs(query, epochs, batches))
            last = {}
            for b in batches:
                for r in b["rows"]:
                    last[out_key(query, r)] = out_vals(query, r)
            self.assertEqual(last, want, seed)

    def test_idle_between_makes_both_late_filters_agree(self):
        for seed, query, epochs in self.cases():
            query["idle_between"] = True
            a = sw.run(dict(query, late_filter="previous_batch"), epochs)
            b = sw.run(dict(query, late_filter="current_batch"), epochs)
            self.assertEqual([x["rows"] for x in a], [x["rows"] for x in b],
                             seed)



# ---------------------------------------------------------------------------
# 4. Session windows: session_window(ts, gap) (spark_windows.py rules 8-12)
# ---------------------------------------------------------------------------

def sq(mode="complete", gap=10 * S, watermark=None, gap_col=None, **extra):
    """A session query grouped by k, counting rows as n."""
    window = ({"session_gap_col": gap_col} if gap_col is not None
              else {"session_gap": gap})
    spec = {"window": window, "output_mode": mode, "watermark": watermark,
            "group_by": ["k"],
            "aggregates": [{"fn": "count", "col": "*", "as": "n"}]}
    spec.update(extra)
    return spec


def ev(k, sec, **cols):
    """A row of key k at sec seconds (an int or a float)."""
    row = {"ts": None if sec is None else int(sec * S), "k": k}
    row.update(cols)
    return row


def srows(batch):
    """A batch's rows as (start s, end s, k, n); seconds as in the tables."""
    def sec(us):
        return us // S if us % S == 0 else us / S
    return [(sec(r["window_start_us"]), sec(r["window_end_us"]), r["k"],
             r["n"]) for r in batch["rows"]]


def sbatches(batches):
    """Batches as (no_data, watermark s, late watermark s, dropped_late,
    dropped_late_pairs, rows)."""
    return [(b["no_data"], b["watermark_us"] // S,
             b["late_watermark_us"] // S, b["dropped_late"],
             b["dropped_late_pairs"], srows(b)) for b in batches]


class SessionAssignment(unittest.TestCase):
    def test_session_window_of_a_row(self):
        # SessionWindowing: [ts, ts + gap); IsNotNull(ts) and end > start.
        for ts, gap, want in [
                (5 * S, 10 * S, (5 * S, 15 * S)),
                (-5 * S, 10 * S, (-5 * S, 5 * S)),
                (0, 1, (0, 1)),
                (None, 10 * S, None),          # null event time
                (5 * S, None, None),           # null gap
                (5 * S, 0, None),              # zero gap
                (5 * S, -1, None)]:            # negative gap
            with self.subTest(ts=ts, gap=gap):
                self.assertEqual(sw.session_window(ts, gap), want)

    def test_row_gap_reads_microseconds_or_interval_words(self):
        self.assertEqual(sw.row_gap(7), 7)
        self.assertEqual(sw.row_gap("10 seconds"), 10 * S)
        self.assertEqual(sw.row_gap("-10 seconds"), -10 * S)
        self.assertIsNone(sw.row_gap(None))
        self.assertIsNone(sw.row_gap("soon"))     # Cast to interval: null
        with self.assertRaises(ValueError):
            sw.row_gap("1 month")                 # calendar gaps: not modelled

    MERGES = [
        # sessions (start, end) in any order -> merged (start, end, count)
        ([(0, 10), (5, 15)], [(0, 15, 2)]),              # overlap
        ([(0, 10), (10, 20)], [(0, 20, 2)]),             # touch: start <= end
        ([(0, 10), (11, 21)], [(0, 10, 1), (11, 21, 1)]),    # gap
        ([(0, 30), (5, 6), (29, 31)], [(0, 31, 3)]),     # contained, grows
        ([(20, 30), (0, 10), (10, 20)], [(0, 30, 3)]),   # unsorted, bridged
        ([(0, 10), (20, 30), (40, 50)],
         [(0, 10, 1), (20, 30, 1), (40, 50, 1)]),
        ([], []),
    ]

    def test_merge_sessions_table(self):
        for sessions, want in self.MERGES:
            with self.subTest(sessions=sessions):
                got = sw.merge_sessions([[s, e, [(s, e)]]
                                         for s, e in sessions])
                self.assertEqual([(s, e, len(r)) for s, e, r in got], want)


class SessionMerging(unittest.TestCase):
    """Complete mode without a watermark: the last batch shows every session
    (Complete outputs the whole state)."""
    CASES = [
        # (name, gap s, epochs, last batch's rows (start, end, k, n))
        ("rows within the gap merge into one session", 10,
         [[ev("a", 0), ev("a", 5), ev("a", 12)]],
         [(0, 22, "a", 3)]),
        ("out of order within a batch", 10,
         [[ev("a", 12), ev("a", 0), ev("a", 5)]],
         [(0, 22, "a", 3)]),
        ("a gap splits sessions", 10,
         [[ev("a", 0), ev("a", 11)]],
         [(0, 10, "a", 1), (11, 21, "a", 1)]),
        # MergingSessionsIterator: sessionStart <= getSessionEnd(current)
        ("touching sessions merge", 10,
         [[ev("a", 0), ev("a", 10)]],
         [(0, 20, "a", 2)]),
        ("touching a stored session merges", 10,
         [[ev("a", 10)], [ev("a", 0)]],
         [(0, 20, "a", 2)]),
        ("one microsecond past the end does not merge", 10,
         [[ev("a", 0), ev("a", 10.000001)]],
         [(0, 10, "a", 1), (10.000001, 20.000001, "a", 1)]),
        ("keys merge apart", 10,
         [[ev("a", 0), ev("b", 5), ev("a", 8), ev("b", 30)]],
         [(0, 18, "a", 2), (5, 15, "b", 1), (30, 40, "b", 1)]),
        ("a null key is a key", 10,
         [[ev(None, 0), ev(None, 5), ev("a", 5)]],
         [(0, 15, None, 2), (5, 15, "a", 1)]),
        ("a row inside a session does not move its end", 10,
         [[ev("a", 0), ev("a", 2)], [ev("a", 1)]],
         [(0, 12, "a", 3)]),
        ("a row bridging two stored sessions merges all three", 10,
         [[ev("a", 0), ev("a", 20)], [ev("a", 10)]],
         [(0, 30, "a", 3)]),
        ("a row reaching only one stored session", 10,
         [[ev("a", 0), ev("a", 20)], [ev("a", 5)]],
         [(0, 15, "a", 2), (20, 30, "a", 1)]),
        ("a new session before the stored ones", 10,
         [[ev("a", 40)], [ev("a", 25)]],
         [(25, 35, "a", 1), (40, 50, "a", 1)]),
        ("gap in Spark's words", "5 seconds",
         [[ev("a", 0), ev("a", 5), ev("a", 11)]],
         [(0, 10, "a", 2), (11, 16, "a", 1)]),
    ]

    def test_table(self):
        for name, gap, epochs, want in self.CASES:
            with self.subTest(name):
                g = gap * S if isinstance(gap, int) else gap
                got = sw.run(sq("complete", gap=g), epochs)
                self.assertEqual(len(got), len([e for e in epochs if e]))
                self.assertEqual(srows(got[-1]), want)

    def test_bridging_row_in_append_mode(self):
        # Gap 10 s, delay 30 s. Batch 0 stores a [100, 110) and [115, 125);
        # the late (out of order, not too late) row at 108 s opens
        # [108, 118), which overlaps both: one session [100, 125) of 3 rows,
        # emitted once the watermark (170 s after b@200) passes 125 s.
        epochs = [[ev("a", 100), ev("a", 115)], [ev("a", 108)],
                  [ev("b", 200)]]
        got = sw.run(sq("append", watermark=30 * S), epochs)
        self.assertEqual(sbatches(got), [
            (False, 0, 0, 0, 0, []),
            (True, 85, 0, 0, 0, []),
            (False, 85, 85, 0, 0, []),
            # 108 - 30 < 85: the watermark stays, no no-data batch
            (False, 85, 85, 0, 0, []),
            (True, 170, 85, 0, 0, [(100, 125, "a", 3)]),
        ])


def spark_words(*lines, gap=None):
    """StreamingSessionWindowSuite.sessionWindowQuery's input: each
    (text, seconds) line is split into words, each word a row keyed by
    itself (explode(split(value, ' ')) AS sessionId)."""
    out = []
    for text, sec in lines:
        for word in text.split():
            row = {"ts": sec * S, "k": word}
            if gap is not None:
                row["gap"] = gap(word)
            out.append(row)
    return out


# StreamingSessionWindowSuite's steps: withWatermark("eventTime",
# "30 seconds"), session_window($"eventTime", "10 seconds"), count(*).
SUITE_STEPS = [
    spark_words(("hello world spark streaming", 40),
                ("world hello structured streaming", 41)),
    spark_words(("spark streaming", 25)),    # new sessions before the others
    spark_words(("spark streaming", 0)),     # late: end 10 <= watermark 11
    spark_words(("spark streaming", 30)),    # concatenates sessions
    spark_words(("hello apache spark", 60)),     # watermark -> 30
    spark_words(("structured streaming", 90)),   # watermark -> 60
]


def suite_gap(word):
    """SPARK-36465's UDF: the gap per session id."""
    return {"hello": "1 second", "structured": "0 second",
            "world": "-10 seconds"}.get(word, "10 seconds")


class SparkSuiteVectors(unittest.TestCase):
    """The expected answers of Spark's own StreamingSessionWindowSuite
    (sql/core/src/test/scala/org/apache/spark/sql/streaming/)."""
    maxDiff = None

    def query(self, mode, **extra):
        return sq(mode, gap="10 seconds", watermark="30 seconds", **extra)

    def test_append_mode_session_window(self):
        got = sw.run(self.query("append"), SUITE_STEPS)
        emitted = [r for b in got for r in srows(b)]
        self.assertEqual(sorted(emitted), sorted([
            (25, 50, "spark", 3), (25, 51, "streaming", 4),
            (40, 51, "hello", 2), (40, 51, "world", 2),
            (41, 51, "structured", 1)]))
        # Nothing before the last step; assertNumRowsDroppedByWatermark(2)
        # after the third step (both words of "spark streaming" at 0 s).
        data = [b for b in got if not b["no_data"]]
        self.assertEqual([b["dropped_late"] for b in data],
                         [0, 0, 2, 0, 0, 0])
        self.assertEqual(srows(got[-1]), sorted(emitted))
        self.assertEqual(got[-1]["watermark_us"], 60 * S)
        self.assertTrue(all(not b["rows"] for b in got[:-1]))

    def test_dynamic_gap_duration(self):
        # SPARK-36465: hello has a 1 s gap ([40, 41) and [41, 42) touch and
        # merge), structured 0 s and world -10 s are filtered out.
        steps = [[dict(r, gap=suite_gap(r["k"])) for r in e]
                 for e in SUITE_STEPS]
        got = sw.run(self.query("append", window={"session_gap_col": "gap"}),
                     steps)
        emitted = sorted(r for b in got for r in srows(b))
        self.assertEqual(emitted, sorted([
            (25, 50, "spark", 3), (25, 51, "streaming", 4),
            (40, 42, "hello", 2)]))
        data = [b for b in got if not b["no_data"]]
        self.assertEqual(data[2]["dropped_late"], 2)

    def test_complete_mode_session_window(self):
        steps = [SUITE_STEPS[i] for i in (0, 1, 3, 4, 5)]
        got = sw.run(self.query("complete"), steps)
        self.assertEqual(len(got), 5)        # Complete: no no-data batches
        want = [
            [(40, 51, "hello", 2), (40, 51, "world", 2),
             (40, 51, "streaming", 2), (40, 50, "spark", 1),
             (41, 51, "structured", 1)],
            [(25, 35, "spark", 1), (25, 35, "streaming", 1),
             (40, 51, "hello", 2), (40, 51, "world", 2),
             (40, 51, "streaming", 2), (40, 50, "spark", 1),
             (41, 51, "structured", 1)],
            [(25, 50, "spark", 3), (25, 51, "streaming", 4),
             (40, 51, "hello", 2), (40, 51, "world", 2),
             (41, 51, "structured", 1)],
            [(25, 50, "spark", 3), (25, 51, "streaming", 4),
             (40, 51, "hello", 2), (40, 51, "world", 2),
             (41, 51, "structured", 1), (60, 70, "hello", 1),
             (60, 70, "apache", 1), (60, 70, "spark", 1)],
            [(25, 50, "spark", 3), (25, 51, "streaming", 4),
             (40, 51, "hello", 2), (40, 51, "world", 2),
             (41, 51, "structured", 1), (60, 70, "hello", 1),
             (60, 70, "apache", 1), (60, 70, "spark", 1),
             (90, 100, "structured", 1), (90, 100, "streaming", 1)],
        ]
        for i, (b, w) in enumerate(zip(got, want)):
            with self.subTest(batch=i):
                self.assertEqual(srows(b), sorted(w))


class SessionGapsAndNulls(unittest.TestCase):
    def test_per_row_gaps(self):
        # a@0 with 30 s holds a@20 with 1 s; a@40 with 5 s stands apart;
        # a@44 with 1 s touches it at 45. b's gap is in Spark's words.
        epochs = [[ev("a", 0, g=30 * S), ev("a", 20, g=S),
                   ev("a", 40, g=5 * S), ev("a", 44, g=S),
                   ev("b", 3, g="2 seconds")]]
        got = sw.run(sq("complete", gap_col="g"), epochs)
        self.assertEqual(srows(got[0]), [(0, 30, "a", 2), (3, 5, "b", 1),
                                         (40, 45, "a", 2)])

    def test_a_long_gap_row_swallows_later_sessions(self):
        # The session end is the largest row end, not the last row's.
        epochs = [[ev("a", 10, g=S), ev("a", 20, g=S)],
                  [ev("a", 0, g=60 * S)]]
        got = sw.run(sq("complete", gap_col="g"), epochs)
        self.assertEqual(srows(got[0]), [(10, 11, "a", 1), (20, 21, "a", 1)])
        self.assertEqual(srows(got[1]), [(0, 60, "a", 3)])

    def test_null_ts_and_invalid_gaps_are_dropped(self):
        epochs = [[ev("a", None, g=S), ev("a", 1, g=None), ev("a", 2, g=0),
                   ev("a", 3, g=-S), ev("a", 4, g="soon"),
                   ev("a", 5, g=S)]]
        for mode in ("complete", "append"):
            with self.subTest(mode=mode):
                got = sw.run(sq(mode, gap_col="g", watermark=0), epochs)
                self.assertEqual(got[0]["input_rows"], 6)
                self.assertEqual(got[0]["dropped_late"], 0)   # not late
                self.assertEqual(got[0]["dropped_late_pairs"], 0)
                last = [r for b in got for r in srows(b)]
                if mode == "complete":
                    self.assertEqual(last, [(5, 6, "a", 1)])
                else:   # the watermark reaches 5 s, short of the end 6 s
                    self.assertEqual(last, [])

    def test_a_dropped_row_still_moves_the_watermark(self):
        # EventTimeWatermarkExec sits below the SessionWindowing filter.
        epochs = [[ev("a", 100, g=0)], [ev("a", 50, g=S)]]
        got = sw.run(sq("append", gap_col="g", watermark=0), epochs)
        self.assertEqual(sbatches(got), [
            (False, 0, 0, 0, 0, []),
            (True, 100, 0, 0, 0, []),
            (False, 100, 100, 1, 1, []),    # [50, 51) ends before 100 s
        ])

    def test_a_literal_gap_of_zero_drops_every_row(self):
        # Spark does not refuse it: the filter end > start drops each row.
        got = sw.run(sq("complete", gap=0), [[ev("a", 1), ev("b", 2)]])
        self.assertEqual(got[0]["rows"], [])
        self.assertEqual(got[0]["input_rows"], 2)


class SessionLateRowsAndEmission(unittest.TestCase):
    def test_append_emits_once_when_the_watermark_reaches_the_end(self):
        # gap 10 s, delay 0: a's session [0, 10) is final at watermark 10 s
        # (end <= watermark), not at 9.999 s.
        epochs = [[ev("a", 0)], [ev("b", 9.999)], [ev("b", 10)],
                  [ev("c", 40)]]
        got = sw.run(sq("append", watermark=0), epochs)
        self.assertEqual([(b["no_data"], b["watermark_us"], srows(b))
                          for b in got], [
            (False, 0, []),
            (False, 0, []),
            (True, 9_999_000, []),
            (False, 9_999_000, []),
            (True, 10 * S, [(0, 10, "a", 1)]),
            (False, 10 * S, []),
            (True, 40 * S, [(9.999, 20, "b", 2)]),
        ])

    def test_late_filter_uses_the_rows_own_session_end(self):
        # Delay 10 s; Complete runs no no-data batch, so batch 2 filters
        # with batch 1's watermark, 30 s. A row is late iff ts + gap <= 30 s:
        # 20 s (end 30) is late, 20.000001 s is not, and a late row never
        # extends the stored session it would have touched.
        epochs = [[ev("a", 25), ev("b", 40)], [ev("d", 40)],
                  [ev("a", 20), ev("a", 20.000001), ev("a", 19),
                   ev("c", 5)]]
        got = sw.run(sq("complete", watermark=10 * S), epochs)
        b2 = got[2]
        self.assertEqual([b["late_watermark_us"] for b in got],
                         [0, 0, 30 * S])
        self.assertEqual(b2["dropped_late"], 3)           # (a,20) (a,19) (c,5)
        self.assertEqual(b2["dropped_late_pairs"], 3)
        self.assertEqual(srows(b2), [(20.000001, 35, "a", 2),
                                     (40, 50, "b", 1), (40, 50, "d", 1)])

    def test_dropped_late_counts_groups_pairs_count_rows(self):
        epochs = [[ev("z", 100)], [ev("a", 1), ev("a", 1), ev("a", 2)]]
        got = sw.run(sq("append", watermark=0), epochs)
        late = [b for b in got if not b["no_data"]][1]
        self.assertEqual(late["dropped_late"], 2)          # (a,1s) (a,2s)
        self.assertEqual(late["dropped_late_pairs"], 3)

    def test_complete_mode_filters_late_rows_too(self):
        # Unlike StateStoreSaveExec (time windows), the session restore
        # operator filters late rows whatever the output mode; Complete
        # only never evicts.
        # Batch 2 filters with batch 1's watermark, 100 s.
        epochs = [[ev("a", 100)], [ev("c", 100)], [ev("a", 1), ev("b", 95)]]
        got = sw.run(sq("complete", watermark=0), epochs)
        self.assertEqual(len(got), 3)                   # no no-data batch
        self.assertEqual([b["dropped_late"] for b in got], [0, 0, 1])
        self.assertEqual(srows(got[2]), [(95, 105, "b", 1),
                                         (100, 110, "a", 1),
                                         (100, 110, "c", 1)])
        # Stored sessions stay even when the watermark passes them.
        got = sw.run(sq("complete", watermark=0),
                     [[ev("a", 1)], [ev("b", 100)], [ev("b", 101)]])
        self.assertEqual(srows(got[-1]), [(1, 11, "a", 1),
                                          (100, 111, "b", 2)])
        # Without a watermark nothing is late.
        got = sw.run(sq("complete"), epochs)
        self.assertEqual(srows(got[2]), [(1, 11, "a", 1), (95, 105, "b", 1),
                                         (100, 110, "a", 1),
                                         (100, 110, "c", 1)])

    def test_emitted_session_is_not_reopened_but_may_be_overlapped(self):
        # Gap 10 s, delay 5 s. [0, 10) is emitted by the no-data batch 2
        # at watermark 15 s. The row at 6 s (batch 3) then opens [6, 16):
        # end 16 > 15, not late, and the emitted session is gone from state,
        # so Spark emits a second session of key a that overlaps the first
        # (no-data batch 5, watermark 35 s).
        epochs = [[ev("a", 0)], [ev("b", 20)], [ev("a", 6)], [ev("c", 40)]]
        got = sw.run(sq("append", watermark=5 * S), epochs)
        self.assertEqual([b["watermark_us"] // S for b in got],
                         [0, 0, 15, 15, 15, 35])
        emitted = [(b["batch"], r) for b in got for r in srows(b)]
        self.assertEqual(emitted, [(2, (0, 10, "a", 1)),
                                   (5, (6, 16, "a", 1)),
                                   (5, (20, 30, "b", 1))])

    def test_back_to_back_triggers_late_filter_uses_previous_batch(self):
        # SPARK-40925: batch 1 filters with batch 0's watermark (0) and
        # evicts with its own (35 s): [10, 20) is accepted and emitted at
        # once; with late_filter current_batch it is late.
        epochs = [[ev("a", 40)], [ev("b", 10)]]
        spec = sq("append", watermark=5 * S, idle_between=False,
                  idle_at_end=False)
        got = sw.run(spec, epochs)
        self.assertEqual(srows(got[1]), [(10, 20, "b", 1)])
        got = sw.run(dict(spec, late_filter="current_batch"), epochs)
        self.assertEqual(srows(got[1]), [])
        self.assertEqual(got[1]["dropped_late"], 1)

    def test_no_data_batches_as_for_time_windows(self):
        got = sw.run(sq("append", watermark=5 * S), [[ev("a", 100)], [], []])
        self.assertEqual([(b["no_data"], b["watermark_us"]) for b in got],
                         [(False, 0), (True, 95 * S)])
        got = sw.run(sq("complete", watermark=5 * S), [[ev("a", 100)], []])
        self.assertEqual([b["no_data"] for b in got], [False])


class SessionRefusals(unittest.TestCase):
    def test_update_mode_is_refused(self):
        with self.assertRaises(ValueError) as cm:
            sw.run(sq("update", watermark=0), [[ev("a", 1)]])
        self.assertEqual(str(cm.exception),
                         "Update output mode not supported for session "
                         "window on streaming DataFrames/DataSets")
        with self.assertRaisesRegex(ValueError, "Update output mode"):
            sw.run(sq("update", gap_col="g"), [])

    def test_append_without_watermark_is_refused(self):
        with self.assertRaisesRegex(ValueError, "without watermark"):
            sw.run(sq("append"), [[ev("a", 1)]])

    def test_global_session_aggregation_is_refused(self):
        with self.assertRaisesRegex(
                ValueError, "^Global aggregation with session window in "
                "streaming query is not supported.$"):
            sw.run(dict(sq("complete"), group_by=[]), [[ev("a", 1)]])

    def test_bad_session_specs(self):
        for window in ({"session_gap": S, "session_gap_col": "g"},
                       {"session_gap": S, "size": S},
                       {"session_gap_col": 5}):
            with self.subTest(window=window):
                with self.assertRaises(ValueError):
                    sw.Query(dict(sq("complete"), window=window))

    def test_cli_with_a_session_query(self):
        with tempfile.TemporaryDirectory() as d:
            qp = os.path.join(d, "query.json")
            ip = os.path.join(d, "input.json")
            with open(qp, "w") as f:
                json.dump(sq("update"), f)
            with open(ip, "w") as f:
                json.dump([[ev("a", 1)]], f)
            p = subprocess.run(
                [sys.executable, os.path.join(HERE, "spark_windows.py"),
                 "--query", qp, "--input", ip],
                capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("Update output mode not supported for session window",
                      p.stderr)


# --- random session queries against an independent replay ------------------

def oracle_sessions(query, epochs, batches):
    """Replays session windows from the rules' text, sharing no code with
    spark_windows.py: per batch, a row of a valid gap is late iff ts + gap
    <= the batch's late watermark (with a watermark); the others join their
    key's stored sessions, and any two sessions that overlap or touch are
    merged, pairwise, until none are left; Append then takes out the
    sessions whose end <= the batch's watermark. Returns per batch
    ({(start, end, k): aggregates}, late groups, late rows)."""
    window = query["window"]
    filters = query["watermark"] is not None
    state = {}                               # k -> [[start, end, rows]]
    out = []
    data = iter(e for e in epochs if e)
    for b in batches:
        rows = [] if b["no_data"] else next(data)
        late_groups, late_rows = set(), 0
        for r in rows:
            gap = (window["session_gap"] if "session_gap" in window
                   else r.get(window["session_gap_col"]))
            if r["ts"] is None or gap is None or gap <= 0:
                continue
            start, end = r["ts"], r["ts"] + gap
            if filters and end <= b["late_watermark_us"]:
                late_groups.add((r["k"], start, end))
                late_rows += 1
                continue
            state.setdefault(r["k"], []).append([start, end, [r]])
        for sessions in state.values():
            merged = True
            while merged:
                merged = False
                for i in range(len(sessions)):
                    for j in range(i + 1, len(sessions)):
                        x, y = sessions[i], sessions[j]
                        if x[0] <= y[1] and y[0] <= x[1]:
                            sessions[i] = [min(x[0], y[0]), max(x[1], y[1]),
                                           x[2] + y[2]]
                            del sessions[j]
                            merged = True
                            break
                    if merged:
                        break
        pairs = []
        for k, sessions in state.items():
            keep = []
            for start, end, rs in sessions:
                if (query["output_mode"] == "complete"
                        or end <= b["watermark_us"]):
                    pairs += [((start, end, k), r) for r in rs]
                if query["output_mode"] == "complete" or \
                        end > b["watermark_us"]:
                    keep.append([start, end, rs])
            state[k] = keep
        out.append((recount(query, pairs), len(late_groups), late_rows))
    return out


def valid_gap(query, row):
    window = query["window"]
    gap = (window["session_gap"] if "session_gap" in window
           else row.get(window["session_gap_col"]))
    return gap if row["ts"] is not None and gap is not None and gap > 0 \
        else None


def is_session(query):
    return "session_gap" in query["window"] or \
        "session_gap_col" in query["window"]


class SessionRandomProperties(unittest.TestCase):
    maxDiff = None
    N_CASES = 80

    def cases(self, mode=None):
        """Session cases of random_case(seed, sessions=True); mode forces
        the output mode (append gets a watermark)."""
        found = 0
        seed = 0
        while found < self.N_CASES:
            query, epochs = sw.random_case(seed, sessions=True)
            seed += 1
            if not is_session(query):
                continue
            found += 1
            if mode is not None:
                query["output_mode"] = mode
                if mode == "append" and query["watermark"] is None:
                    query["watermark"] = 0
            yield seed - 1, query, epochs

    def test_default_random_queries_have_no_sessions(self):
        for seed in range(300):
            self.assertFalse(is_session(sw.random_case(seed)[0]), seed)
        share = sum(is_session(sw.random_case(seed, sessions=True)[0])
                    for seed in range(1000)) / 1000
        self.assertTrue(0.18 < share < 0.32, share)
        modes = {sw.random_case(s, sessions=True)[0]["output_mode"]
                 for s in range(300)
                 if is_session(sw.random_case(s, sessions=True)[0])}
        self.assertEqual(modes, {"append", "complete"})

    def test_cli_generates_session_cases(self):
        out = subprocess.run(
            [sys.executable, os.path.join(HERE, "spark_windows.py"),
             "--generate", "3", "--sessions"],
            check=True, capture_output=True, text=True).stdout
        case = json.loads(out)
        self.assertEqual(case["query"],
                         sw.random_case(3, sessions=True)[0])
        sw.run(case["query"], case["epochs"])

    def test_every_batch_matches_the_independent_replay(self):
        for mode in ("append", "complete"):
            for seed, query, epochs in self.cases(mode):
                batches = sw.run(query, epochs)
                want = oracle_sessions(query, epochs, batches)
                self.assertEqual(len(want), len(batches))
                for b, (rows, late_groups, late_rows) in zip(batches, want):
                    got = {(r["window_start_us"], r["window_end_us"],
                            r["k"]): out_vals(query, r) for r in b["rows"]}
                    self.assertEqual(len(got), len(b["rows"]), (seed, mode))
                    self.assertEqual(got, rows, (seed, mode, b["batch"]))
                    self.assertEqual(b["dropped_late"], late_groups, seed)
                    self.assertEqual(b["dropped_late_pairs"], late_rows,
                                     seed)

    def test_watermark_is_max_event_time_minus_delay(self):
        for seed, query, epochs in self.cases():
            if query["watermark"] is None:
                continue
            delay_ms = query["watermark"] // 1000
            seen_ms = []
            data = iter(e for e in epochs if e)
            for b in sw.run(query, epochs):
                want = max([0] + [m - delay_ms for m in seen_ms]) * 1000
                self.assertEqual(b["watermark_us"], want, seed)
                if not b["no_data"]:
                    # every row, invalid gaps included
                    seen_ms += [r["ts"] // 1000 for r in next(data)
                                if r["ts"] is not None]

    def non_late_rows(self, query, epochs, batches):
        """Rows a direct reading of rule 10 accepts: a valid gap and, with
        a watermark, ts + gap > the late watermark of its batch."""
        n = 0
        data = iter(e for e in epochs if e)
        for b in batches:
            if b["no_data"]:
                continue
            for r in next(data):
                gap = valid_gap(query, r)
                if gap is None:
                    continue
                if query["watermark"] is None or \
                        r["ts"] + gap > b["late_watermark_us"]:
                    n += 1
        return n

    def assert_disjoint(self, rows, seed):
        """Sessions of one key neither overlap nor touch."""
        by_key = {}
        for r in rows:
            by_key.setdefault(r["k"], []).append(
                (r["window_start_us"], r["window_end_us"]))
        for k, spans in by_key.items():
            spans.sort()
            for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
                self.assertLess(e1, s2, (seed, k, spans))
            for s, e in spans:
                self.assertLess(s, e, seed)

    def test_append_emits_disjoint_sessions_once_summing_to_non_late_rows(
            self):
        for seed, query, epochs in self.cases("append"):
            # A last row far ahead for a key of its own moves the watermark
            # past every other session, so that all of them are emitted.
            top = max(r["ts"] for e in epochs for r in e
                      if r["ts"] is not None)
            flush = {"ts": top + sw.MICROS_PER_DAY, "k": "~flush", "v": None,
                     "x": None}
            if "session_gap_col" in query["window"]:
                flush[query["window"]["session_gap_col"]] = S
            epochs = epochs + [[flush]]
            batches = sw.run(query, epochs)
            seen = set()
            total = 0
            for b in batches:
                self.assert_disjoint(b["rows"], seed)    # within a batch
                for r in b["rows"]:
                    k = (r["k"], r["window_start_us"], r["window_end_us"])
                    self.assertNotIn(k, seen, seed)      # emitted once
                    seen.add(k)
                    self.assertLessEqual(r["window_end_us"],
                                         b["watermark_us"], seed)
                    self.assertNotEqual(r["k"], "~flush")
                    total += r["n"]
            self.assertEqual(total,
                             self.non_late_rows(query, epochs, batches) - 1,
                             seed)

    def test_complete_state_is_disjoint_and_totals_the_non_late_rows(self):
        for seed, query, epochs in self.cases("complete"):
            batches = sw.run(query, epochs)
            self.assertTrue(all(not b["no_data"] for b in batches), seed)
            for b in batches:
                self.assert_disjoint(b["rows"], seed)
            self.assertEqual(sum(r["n"] for r in batches[-1]["rows"]),
                             self.non_late_rows(query, epochs, batches), seed)


if __name__ == "__main__":
    unittest.main(verbosity=1)
