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


if __name__ == "__main__":
    unittest.main(verbosity=1)
