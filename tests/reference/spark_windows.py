#!/usr/bin/env python3
"""Reference model of Spark 3.5 Structured Streaming windowed aggregation.

This is the oracle that sluice's randomized tests compare against. It works on
whole inputs, micro-batch by micro-batch, with no sharding and no cleverness:
the state of a group is the list of the rows it accepted, and every aggregate
is recomputed from that list when it is needed. Clarity over speed.

Every rule below is Spark's (3.5, default configuration) and names the Spark
class it comes from. Spark paths are relative to sql/core/src/main/scala/
org/apache/spark/sql/execution/streaming/ unless they say otherwise.

Input model
-----------
query (a dict, or JSON with --query):
    time_col       name of the event-time column (default "ts"); values are
                   microseconds since the epoch (UTC), or None for null.
    window         {"size": D, "slide": D (optional: tumbling when absent),
                    "start": D (optional offset, Spark's startTime)}
                   where D is an int of microseconds or a string such as
                   "10 minutes" (Spark's interval words);
                   or a session window (rules 8-12 below):
                   {"session_gap": D}, session_window(ts, D), or
                   {"session_gap_col": "col"}, session_window(ts, col): the
                   column holds each row's gap (microseconds, Spark's words,
                   or None).
    group_by       list of column names besides the window (may be empty).
    aggregates     list of {"fn": count|sum|min|max|avg, "col": name or "*",
                    "as": output name (optional, Spark's default name)}.
    watermark      delay D, or null for a query without withWatermark.
    inputs         (optional) a union of several streams, one dict each:
                   {"watermark": D or null}, each stream's own
                   withWatermark; rows carry "src", the index of their
                   stream (default 0). The event-time column is the first
                   stream's (Spark's Union output takes the first child's
                   attribute metadata), so "watermark" is ignored and the
                   first input's delay decides whether the query has one.
    watermark_policy  "min" (default) or "max": Spark's
                   spark.sql.streaming.multipleWatermarkPolicy.
    output_mode    "append" | "update" | "complete".
  Optional, how the input meets the triggers (see "Triggers" below):
    idle_between   true (default): after each non-empty epoch the next
                   trigger finds no new data, so Spark's no-data batch runs
                   there when its condition holds.
    idle_at_end    true (default): one trigger with no new data after the
                   last epoch.
    late_filter    "previous_batch" (default, Spark >= 3.4 with
                   spark.sql.streaming.statefulOperator.allowMultiple=true,
                   the default) or "current_batch" (Spark <= 3.3, or 3.4+
                   with allowMultiple=false; what the programming guide's
                   figures show).

epochs: a list of lists of rows; each inner list is what one trigger found
(one micro-batch's input). An empty inner list is a trigger that found no new
data. Rows are dicts: the time column, the group columns, the value columns.

Output: run() returns a list of batches, in order, one per micro-batch Spark
would run:
    {"batch": id, "no_data": bool, "input_rows": n,
     "watermark_us": W (the batch's watermark: eviction and emission),
     "late_watermark_us": the watermark its late-row filter used,
     "rows": [output rows, sorted by window start, end, then group columns],
     "dropped_late": numRowsDroppedByWatermark (Spark's metric),
     "dropped_late_pairs": late (row, window) pairs (not a Spark metric)}
An output row is {"window_start_us", "window_end_us", group columns...,
aggregate names...}.

Rules, each from Spark
----------------------
1. Window assignment (catalyst TimeWindowing rule, analysis/
   ResolveTimeWindows.scala; catalyst expressions/TimeWindow.scala):
   n = ceil(size / slide) candidate windows,
   remainder = (ts - start) % slide        (Java %: sign of the dividend)
   lastStart = ts - (remainder < 0 ? remainder + slide : remainder)
   window i = [lastStart - i*slide, lastStart - i*slide + size), i < n.
   Tumbling (size == slide) and size % slide == 0 keep every candidate (only
   a null ts is filtered out); otherwise a candidate is kept iff
   start <= ts < end. TimeWindow.checkInputDataTypes: size > 0, slide > 0,
   slide <= size, |start| < slide.
2. Null event time: the window filter is IsNotNull(ts) (or a comparison,
   which is null), so the row reaches no group; it is still an input row and
   EventTimeWatermarkExec still sees it (as 0 ms: a null UnsafeRow slot reads
   as 0), which can never move the watermark (rule 3 keeps it >= 0).
3. Watermark (EventTimeWatermarkExec.scala, WatermarkTracker.scala):
   EventTimeWatermarkExec sits below the aggregation and observes every row
   of the batch, late ones included, in milliseconds (micros / 1000). After a
   batch that had rows, candidate = max(ms) - delayMs; the global watermark
   becomes max(global, candidate). It starts at 0 and never goes back; a
   batch with no rows (count == 0) leaves it alone. With several streams
   (a union) each EventTimeWatermarkExec keeps its own value, set after a
   batch in which its stream had rows (and only moving forward), or to 0
   after a batch in which it never had any yet; the global watermark moves
   to the min (or, with multipleWatermarkPolicy max, the max) of them when
   that is larger. The batch's watermark is
   the global value when the batch was planned (OffsetSeqMetadata
   .batchWatermarkMs). Predicates compare in micros: watermarkMs * 1000.
   delayMs is the delay interval in whole ms (EventTimeWatermark.getDelayMs).
4. Late rows (StateStoreSaveExec in statefulOperators.scala,
   WatermarkSupport.watermarkExpression): in Append and Update mode with a
   watermark, an input row of the stateful operator whose window.end <=
   lateWatermarkMs * 1000 is dropped before it reaches the state. The rows
   reaching StateStoreSaveExec are already pre-aggregated (AggUtils
   .planStreamingAggregation: partial agg, shuffle, merge), one per group,
   so numRowsDroppedByWatermark counts late (window, keys) groups per batch,
   not input rows (SPARK-24634, PR #28607 says so).
   lateWatermark: WatermarkPropagator.scala, PropagateWatermarkSimulator
   .getInputWatermarkForLateEvents uses the watermark of the previous batch
   (batchId - 1; 0 for the first batch) since SPARK-40925 (3.4); the
   eviction watermark is the current batch's. With idle_between (default)
   every data batch follows a batch with the same watermark, so both are W.
   Complete mode never filters late rows and never evicts (the Complete
   branch of StateStoreSaveExec ignores the watermark).
5. Emission (StateStoreSaveExec.doExecute):
   Complete: put every group of the batch, output every group in state.
   Update: put the non-late groups of the batch and output each of them (its
     merged value), even one that is evicted right after; then remove the
     groups whose window.end <= W * 1000 (removeKeysOlderThanWatermark). An
     evicted group is not output again.
   Append: put the non-late groups, then output and remove every group in
     state whose window.end <= W * 1000: each group is emitted once, in the
     batch whose watermark passes its end.
   Append without a watermark is refused (UnsupportedOperationChecker).
6. No-data batches (MicroBatchExecution.constructNextBatch,
   IncrementalExecution.shouldRunAnotherBatch, StateStoreSaveExec
   .shouldRunAnotherBatch): a trigger with no new data runs a batch iff the
   output mode is Append or Update and the new watermark > the watermark
   the last batch evicted with. Spark does not look at whether any state
   would actually be evicted. Complete mode never runs one.
7. Aggregates (catalyst aggregate/*.scala): count(*) counts rows,
   count(col) non-null values; sum/min/max/avg of no non-null value is null.
   sum of integers is a long that wraps (ANSI off, the 3.5 default); avg is
   a double (Average sums in double). Double sums here are correctly
   rounded (math.fsum) whatever the order; Spark's depend on the order the
   partitions merge in, so compare doubles with a tolerance unless the
   inputs add up exactly (random_epochs writes multiples of 1/4). NaN (which
   Spark orders above every number) is not modelled.

Session windows (session_window(ts, gap), Spark >= 3.2). Catalyst paths are
relative to sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/;
the operators live in sql/core/.../execution/streaming/statefulOperators.scala
and sql/core/.../execution/aggregate/ unless said otherwise.
8. Session assignment (SessionWindowing rule, analysis/
   ResolveTimeWindows.scala; expressions/SessionWindow.scala): a row opens
   the session [ts, ts + gap). The rule filters IsNotNull(ts) and, unless
   the gap is a positive literal, also session.end > session.start: a row
   whose gap is null, zero, negative or unreadable (a string that does not
   cast to an interval reads as null) reaches no group; a literal gap <= 0
   drops every row (Spark does not refuse it). Such rows are still input
   rows and EventTimeWatermarkExec, below the filter, still sees their
   event time (rule 3), which can move the watermark.
9. Restrictions: UnsupportedOperationChecker refuses Update mode ("Update
   output mode not supported for session window on streaming DataFrames/
   DataSets", SPARK-36463) and Append without a watermark (rule 5's words);
   AggUtils.planStreamingAggregationForSession refuses an empty group_by
   ("Global aggregation with session window in streaming query is not
   supported.").
10. Late rows (SessionWindowStateStoreRestoreExec): the input rows of the
   stateful operator, each still its own session [ts, ts + gap) (partial
   aggregation groups by keys + that session; local merging,
   spark.sql.streaming.sessionWindow.merge.sessions.in.local.partition, is
   off by default), are dropped when session.end <= lateWatermarkMs * 1000
   (WatermarkSupport.watermarkExpression: a struct column compares its
   field 1, end). Late rows are filtered before any merging, so a late row
   never extends a stored session. Unlike time windows this filter has no
   output-mode branch: with a watermark it applies in Complete mode too
   (IncrementalExecution.WatermarkPropagationRule gives the restore
   operator both watermarks whatever the mode). numRowsDroppedByWatermark
   counts the dropped partial-aggregate rows (SPARK-38549, SPARK-38593): one
   per (keys, start, end) per batch here, the model having one input
   partition; dropped_late_pairs counts the rows.
11. Merging (MergingSortWithSessionWindowStateIterator, aggregate/
   MergingSessionsIterator.scala): per group key, the batch's surviving
   sessions and the key's sessions in state, sorted by start, are swept in
   order; the next session joins the current one iff next.start <=
   current.end (sessions that only touch merge), the end growing to the
   larger end. A row bridging two stored sessions merges all three.
   SessionWindowStateStoreSaveExec.putToStore / StreamingSessionWindow
   StateManager.updateSessions then replace the key's sessions in state with
   the merged ones; keys without input keep theirs untouched.
12. Emission (SessionWindowStateStoreSaveExec.doExecute):
   Complete: output every session in state, never evict.
   Append: remove and output every session in state whose end <=
     evictionWatermarkMs * 1000: a session is final, and emitted once, only
     when the watermark has passed its end. An emitted session is gone: a
     later non-late row whose session overlaps it opens a new session, so
     sessions of one key emitted in different batches may overlap.
   No-data batches: shouldRunAnotherBatch is rule 6's.

Triggers: Spark plans a batch per trigger. A trigger with new data always
runs a batch; a trigger without new data runs one only under rule 6. When
data arrives faster than batches run, no idle trigger falls between two data
batches: set idle_between false and put empty epochs where idle triggers are.

Command line:
    spark_windows.py --query query.json --input input.json   # prints batches
    spark_windows.py --generate SEED [--sessions]            # random case
input.json is a list of epochs, or {"epochs": [...]}; --generate prints
{"query": ..., "epochs": ...}.
"""

import argparse
import datetime
import json
import math
import random
import re
import sys

MICROS_PER_MILLI = 1000
MICROS_PER_SECOND = 1000 * MICROS_PER_MILLI
MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND
MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE
MICROS_PER_DAY = 24 * MICROS_PER_HOUR

MODES = ("append", "update", "complete")
FUNCTIONS = ("count", "sum", "min", "max", "avg")


# --------------------------------------------------------------------------
# Durations and timestamps
# --------------------------------------------------------------------------

_UNITS = {
    "microsecond": 1, "microseconds": 1, "us": 1,
    "millisecond": MICROS_PER_MILLI, "milliseconds": MICROS_PER_MILLI,
    "ms": MICROS_PER_MILLI,
    "second": MICROS_PER_SECOND, "seconds": MICROS_PER_SECOND,
    "minute": MICROS_PER_MINUTE, "minutes": MICROS_PER_MINUTE,
    "hour": MICROS_PER_HOUR, "hours": MICROS_PER_HOUR,
    "day": MICROS_PER_DAY, "days": MICROS_PER_DAY,
    "week": 7 * MICROS_PER_DAY, "weeks": 7 * MICROS_PER_DAY,
}


def parse_duration(value):
    """An int (microseconds) or Spark interval words ("10 minutes",
    "1 hour 30 minutes", "interval 5 seconds") -> microseconds."""
    if isinstance(value, bool):
        raise ValueError("duration must be an int or a string, not %r" % value)
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        raise ValueError("duration must be an int or a string, not %r" % value)
    text = value.strip().lower()
    if text.startswith("interval"):
        text = text[len("interval"):]
    parts = text.split()
    if not parts or len(parts) % 2:
        raise ValueError("cannot read duration %r: expected '<n> <unit> ...'"
                         % value)
    total = 0
    for number, unit in zip(parts[0::2], parts[1::2]):
        if unit not in _UNITS:
            raise ValueError("unknown unit %r in duration %r (months are not "
                             "allowed in windows)" % (unit, value))
        if not re.fullmatch(r"-?\d+", number):
            raise ValueError("not a whole number: %r in duration %r"
                             % (number, value))
        total += int(number) * _UNITS[unit]
    return total


def parse_timestamp(value):
    """None, an int of microseconds, or an ISO-8601 string (UTC if it names no
    zone) -> microseconds since the epoch, or None."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        dt = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=datetime.timezone.utc)
        epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        delta = dt - epoch
        return (delta.days * MICROS_PER_DAY + delta.seconds * MICROS_PER_SECOND
                + delta.microseconds)
    raise ValueError("event time must be microseconds, an ISO string or null, "
                     "not %r" % (value,))


def java_rem(a, b):
    """Java's a % b on longs: the result takes the sign of the dividend
    (Python's % takes the sign of the divisor)."""
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def java_div(a, b):
    """Java's a / b on longs: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def wrap_int64(v):
    """Java long arithmetic wraps around (Spark's sum with ANSI mode off)."""
    return (v + 2 ** 63) % 2 ** 64 - 2 ** 63


# --------------------------------------------------------------------------
# Query
# --------------------------------------------------------------------------

class Query:
    """A checked, normalised query. Durations are microseconds."""

    def __init__(self, spec):
        if isinstance(spec, Query):
            spec = spec.spec
        self.spec = dict(spec)
        self.time_col = spec.get("time_col", "ts")
        window = spec.get("window")
        self.session = isinstance(window, dict) and (
            "session_gap" in window or "session_gap_col" in window)
        if self.session:
            self._init_session(window)
        elif not isinstance(window, dict) or "size" not in window:
            raise ValueError('query needs "window": {"size": ...} or '
                             '{"session_gap": ...}')
        else:
            self._init_time_window(window)
        self._init_rest(spec)

    def _init_session(self, window):
        """Rule 8: session_window(ts, gap) with a literal or per-row gap."""
        extra = set(window) - {"session_gap", "session_gap_col"}
        if extra or len(window) != 1:
            raise ValueError('a session window takes one of "session_gap" or '
                             '"session_gap_col", nothing else: %s'
                             % sorted(window))
        self.size = self.slide = self.start = None
        if "session_gap" in window:
            self.gap = parse_duration(window["session_gap"])
            self.gap_col = None
        else:
            self.gap = None
            self.gap_col = window["session_gap_col"]
            if not isinstance(self.gap_col, str):
                raise ValueError("session_gap_col must name a column, not %r"
                                 % (self.gap_col,))

    def _init_time_window(self, window):
        self.gap = self.gap_col = None
        self.size = parse_duration(window["size"])
        slide = window.get("slide")
        self.slide = self.size if slide is None else parse_duration(slide)
        self.start = parse_duration(window.get("start", 0))
        # TimeWindow.checkInputDataTypes, with Spark's words.
        if self.size <= 0:
            raise ValueError("The window duration (%d) must be greater than 0."
                             % self.size)
        if self.slide <= 0:
            raise ValueError("The slide duration (%d) must be greater than 0."
                             % self.slide)
        if self.slide > self.size:
            raise ValueError("The slide duration (%d) must be less than or "
                             "equal to the windowDuration (%d)."
                             % (self.slide, self.size))
        if abs(self.start) >= self.slide:
            raise ValueError("The absolute value of start time (%d) must be "
                             "less than the slideDuration (%d)."
                             % (self.start, self.slide))

    def _init_rest(self, spec):
        self.group_by = list(spec.get("group_by", []))
        self.aggregates = []
        for agg in spec.get("aggregates", [{"fn": "count", "col": "*"}]):
            fn = agg["fn"].lower()
            col = agg.get("col", "*")
            if fn not in FUNCTIONS:
                raise ValueError("unknown aggregate %r (have: %s)"
                                 % (fn, ", ".join(FUNCTIONS)))
            if col == "*" and fn != "count":
                raise ValueError("%s(*) is not an aggregate; only count(*)"
                                 % fn)
            # Spark's default names: count(*) is count(1).
            default = "count(1)" if col == "*" else "%s(%s)" % (fn, col)
            self.aggregates.append((fn, col, agg.get("as", default)))
        names = [a[2] for a in self.aggregates]
        if len(set(names)) != len(names):
            raise ValueError("aggregate output names collide: %s" % names)
        inputs = spec.get("inputs") or [{"watermark": spec.get("watermark")}]
        self.input_delays_ms = []
        for inp in inputs:
            delay = inp.get("watermark")
            if delay is None:
                self.input_delays_ms.append(None)
                continue
            delay_us = parse_duration(delay)
            if delay_us < 0:
                raise ValueError("delay threshold (%r) should not be negative"
                                 % delay)
            # EventTimeWatermark.getDelayMs: the interval in whole ms.
            self.input_delays_ms.append(delay_us // MICROS_PER_MILLI)
        # the event-time column is the first stream's
        self.delay_ms = self.input_delays_ms[0]
        self.policy = spec.get("watermark_policy", "min").lower()
        if self.policy not in ("min", "max"):
            raise ValueError('watermark_policy must be "min" or "max", not %r'
                             % self.policy)
        self.mode = spec.get("output_mode", "update").lower()
        if self.mode not in MODES:
            raise ValueError("output_mode must be one of %s, not %r"
                             % (MODES, self.mode))
        if self.mode == "append" and self.delay_ms is None:
            # UnsupportedOperationChecker, Spark's words.
            raise ValueError("Append output mode not supported when there are "
                             "streaming aggregations on streaming "
                             "DataFrames/DataSets without watermark")
        if self.session and self.mode == "update":
            # UnsupportedOperationChecker (SPARK-36463), Spark's words.
            raise ValueError("Update output mode not supported for session "
                             "window on streaming DataFrames/DataSets")
        if self.session and not self.group_by:
            # AggUtils.planStreamingAggregationForSession, Spark's words.
            raise ValueError("Global aggregation with session window in "
                             "streaming query is not supported.")
        self.idle_between = bool(spec.get("idle_between", True))
        self.idle_at_end = bool(spec.get("idle_at_end", True))
        self.late_filter = spec.get("late_filter", "previous_batch")
        if self.late_filter not in ("previous_batch", "current_batch"):
            raise ValueError('late_filter must be "previous_batch" or '
                             '"current_batch", not %r' % self.late_filter)

    @property
    def has_watermark(self):
        return self.delay_ms is not None


# --------------------------------------------------------------------------
# Rule 1: window assignment (TimeWindowing, ResolveTimeWindows.scala)
# --------------------------------------------------------------------------

def assign_windows(ts, size, slide=None, start=0):
    """The windows [start, end) a row with event time ts belongs to, in
    Spark's order (latest start first). [] for a null ts."""
    if slide is None:
        slide = size
    if ts is None:
        return []                       # IsNotNull(timeColumn) filter
    # TimeWindowResolution.overlappingWindowCount: computed in doubles.
    n = math.ceil(size * 1.0 / slide)
    remainder = java_rem(ts - start, slide)
    last_start = ts - (remainder + slide if remainder < 0 else remainder)
    windows = []
    for i in range(n):
        w_start = last_start - i * slide
        w_end = w_start + size
        if size == slide or size % slide == 0:
            windows.append((w_start, w_end))   # every candidate holds ts
        elif w_start <= ts < w_end:
            windows.append((w_start, w_end))
    return windows


# --------------------------------------------------------------------------
# Rules 8 and 11: session windows (SessionWindowing, MergingSessionsIterator)
# --------------------------------------------------------------------------

def session_window(ts, gap):
    """The session [ts, ts + gap) a row opens, or None when the
    SessionWindowing filter drops the row: a null ts, or a gap that is null
    or <= 0 (session.end > session.start fails or is null)."""
    if ts is None or gap is None or gap <= 0:
        return None
    return (ts, ts + gap)


def row_gap(value):
    """A per-row gap column value -> microseconds or None. Spark casts the
    column to an interval; a string that does not read as one is null."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError:
            if re.search(r"month|year", value.lower()):
                raise ValueError("gaps in months or years are not modelled: "
                                 "%r" % value)
            return None
    raise ValueError("a session gap must be microseconds, Spark's interval "
                     "words or null, not %r" % (value,))


def merge_sessions(sessions):
    """MergingSessionsIterator over one group key: sessions [start, end,
    rows], swept in order of start; the next joins the current one iff
    next.start <= current.end (touching sessions merge). Returns new merged
    [start, end, rows] lists, in order of start."""
    merged = []
    for start, end, rows in sorted(sessions, key=lambda x: (x[0], x[1])):
        if merged and start <= merged[-1][1]:
            cur = merged[-1]
            cur[1] = max(cur[1], end)
            cur[2] = cur[2] + rows
        else:
            merged.append([start, end, list(rows)])
    return merged


# --------------------------------------------------------------------------
# Rule 7: aggregates, recomputed from the rows a group accepted
# --------------------------------------------------------------------------

def _is_float(v):
    return isinstance(v, float)


def aggregate(fn, col, rows):
    """One aggregate over the rows of a group, with Spark's null rules."""
    if fn == "count":
        if col == "*":
            return len(rows)
        return sum(1 for r in rows if r.get(col) is not None)
    values = [r.get(col) for r in rows if r.get(col) is not None]
    if not values:
        return None                     # sum/min/max/avg of nothing is null
    if fn == "min":
        return min(values)
    if fn == "max":
        return max(values)
    if fn == "sum":
        if any(_is_float(v) for v in values):
            return math.fsum(values)
        return wrap_int64(sum(values))
    if fn == "avg":
        if any(_is_float(v) for v in values):
            return math.fsum(values) / len(values)
        return float(sum(values)) / len(values)
    raise AssertionError(fn)


def _sort_value(v):
    # Ascending with nulls first (Spark's default for ORDER BY ... ASC).
    if v is None:
        return (0, 0, 0)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (1, 0, v)
    return (1, 1, str(v))


def group_sort_key(key):
    """key = (window_start, window_end, group values...)."""
    return tuple(_sort_value(v) for v in key)


def output_row(query, key, rows):
    out = {"window_start_us": key[0], "window_end_us": key[1]}
    for name, value in zip(query.group_by, key[2:]):
        out[name] = value
    for fn, col, name in query.aggregates:
        out[name] = aggregate(fn, col, rows)
    return out


# --------------------------------------------------------------------------
# Rules 2-6: the micro-batch loop
# --------------------------------------------------------------------------

def event_time_ms(ts):
    """EventTimeWatermarkExec: getLong(0) / 1000. A null slot reads as 0.
    (Later Spark uses Math.floorDiv; for ts < 0 the two differ, but such a
    value can never raise a watermark that starts at 0.)"""
    return 0 if ts is None else java_div(ts, MICROS_PER_MILLI)


def _with_time(row, time_col):
    """A copy of the row with its event time read as microseconds."""
    out = dict(row)
    out[time_col] = parse_timestamp(row.get(time_col))
    return out


def _triggers(query, epochs):
    """Yield the rows each trigger finds, [] for a trigger without new data."""
    for rows in epochs:
        yield [_with_time(r, query.time_col) for r in rows]
        if query.idle_between and rows:
            yield []
    if query.idle_at_end:
        yield []


def run(query, epochs):
    """Run the query over the epochs the way Spark 3.5 would; see the module
    docstring for the input and output."""
    q = Query(query)
    state = {}              # group key -> rows it accepted (the state store)
    global_wm_ms = 0        # WatermarkTracker.globalWatermarkMs, starts at 0
    operator_wm_ms = {}     # WatermarkTracker.operatorToWatermarkMap
    last_evict_wm_ms = None  # watermark of the last batch that ran
    batches = []

    for rows in _triggers(q, epochs):
        if not rows:
            # Rule 6: a trigger without new data runs a batch only if the
            # last batch's stateful operator asks for another one.
            if last_evict_wm_ms is None:
                continue
            if not (q.mode in ("append", "update") and q.has_watermark
                    and global_wm_ms > last_evict_wm_ms):
                continue
        batch_id = len(batches)
        evict_wm_ms = global_wm_ms
        if q.late_filter == "previous_batch":
            late_wm_ms = 0 if last_evict_wm_ms is None else last_evict_wm_ms
        else:
            late_wm_ms = evict_wm_ms
        run_one = _run_session_batch if q.session else _run_batch
        batch = run_one(q, state, batch_id, rows, evict_wm_ms, late_wm_ms)
        batches.append(batch)
        last_evict_wm_ms = evict_wm_ms

        # Rule 3: the watermark for the next batch (WatermarkTracker
        # .updateWatermark after the batch: each stream's operator from its
        # own rows, 0 until it has had some; then the policy).
        for k, delay_ms in enumerate(q.input_delays_ms):
            if delay_ms is None:
                continue
            mine = [r for r in rows if r.get("src", 0) == k]
            if mine:
                max_ms = max(event_time_ms(r.get(q.time_col)) for r in mine)
                candidate = max_ms - delay_ms
                if k not in operator_wm_ms or candidate > operator_wm_ms[k]:
                    operator_wm_ms[k] = candidate
            elif k not in operator_wm_ms:
                operator_wm_ms[k] = 0
        if operator_wm_ms:
            pick = max if q.policy == "max" else min
            chosen = pick(operator_wm_ms.values())
            if chosen > global_wm_ms:
                global_wm_ms = chosen
    return batches


def _run_batch(q, state, batch_id, rows, evict_wm_ms, late_wm_ms):
    # Rules 1-2: expand each row into its windows; null event times vanish.
    batch_groups = {}                   # key -> this batch's rows, in order
    for row in rows:
        ts = row.get(q.time_col)
        for w_start, w_end in assign_windows(ts, q.size, q.slide, q.start):
            key = (w_start, w_end) + tuple(row.get(c) for c in q.group_by)
            batch_groups.setdefault(key, []).append(row)

    # Rule 4: the late filter, on pre-aggregated groups (append/update only).
    filters = q.mode in ("append", "update") and q.has_watermark
    dropped_groups = 0
    dropped_pairs = 0
    accepted = {}
    for key, group_rows in batch_groups.items():
        if filters and key[1] <= late_wm_ms * MICROS_PER_MILLI:
            dropped_groups += 1
            dropped_pairs += len(group_rows)
        else:
            accepted[key] = group_rows

    # Rule 5: put into state, then emit according to the output mode.
    for key, group_rows in accepted.items():
        state.setdefault(key, []).extend(group_rows)

    evict_bound_us = evict_wm_ms * MICROS_PER_MILLI
    if q.mode == "complete":
        emitted = list(state)
    elif q.mode == "update":
        emitted = list(accepted)
    else:
        emitted = [k for k in state if k[1] <= evict_bound_us]
    out_rows = [output_row(q, k, state[k])
                for k in sorted(emitted, key=group_sort_key)]
    if q.mode in ("append", "update") and q.has_watermark:
        for key in [k for k in state if k[1] <= evict_bound_us]:
            del state[key]

    return {
        "batch": batch_id,
        "no_data": not rows,
        "input_rows": len(rows),
        "watermark_us": evict_wm_ms * MICROS_PER_MILLI,
        "late_watermark_us": late_wm_ms * MICROS_PER_MILLI,
        "rows": out_rows,
        "dropped_late": dropped_groups,
        "dropped_late_pairs": dropped_pairs,
    }


def _run_session_batch(q, state, batch_id, rows, evict_wm_ms, late_wm_ms):
    """Rules 8-12 for one batch. state: group keys -> [[start, end, rows]],
    the key's sessions, disjoint and not touching, in order of start."""
    late_bound_us = late_wm_ms * MICROS_PER_MILLI
    filters = q.has_watermark           # rule 10: every mode, Complete too
    new_sessions = {}                   # keys -> this batch's sessions
    late_groups = set()
    dropped_pairs = 0
    for row in rows:
        gap = q.gap if q.gap_col is None else row_gap(row.get(q.gap_col))
        session = session_window(row.get(q.time_col), gap)
        if session is None:
            continue                    # rule 8: reaches no group
        keys = tuple(row.get(c) for c in q.group_by)
        if filters and session[1] <= late_bound_us:
            late_groups.add(keys + session)
            dropped_pairs += 1
            continue
        new_sessions.setdefault(keys, []).append([session[0], session[1],
                                                  [row]])

    # Rule 11: merge with the key's stored sessions, replace them.
    for keys, sessions in new_sessions.items():
        state[keys] = merge_sessions(state.get(keys, []) + sessions)

    # Rule 12.
    evict_bound_us = evict_wm_ms * MICROS_PER_MILLI
    emitted = []
    for keys in list(state):
        if q.mode == "complete":
            emitted += [(s, e, keys, r) for s, e, r in state[keys]]
            continue
        keep = []
        for s, e, r in state[keys]:
            if e <= evict_bound_us:
                emitted.append((s, e, keys, r))
            else:
                keep.append([s, e, r])
        if keep:
            state[keys] = keep
        else:
            del state[keys]
    by_key = {(s, e) + keys: r for s, e, keys, r in emitted}
    out_rows = [output_row(q, k, by_key[k])
                for k in sorted(by_key, key=group_sort_key)]

    return {
        "batch": batch_id,
        "no_data": not rows,
        "input_rows": len(rows),
        "watermark_us": evict_bound_us,
        "late_watermark_us": late_bound_us,
        "rows": out_rows,
        "dropped_late": len(late_groups),
        "dropped_late_pairs": dropped_pairs,
    }


# --------------------------------------------------------------------------
# Random inputs for the randomized comparison tests
# --------------------------------------------------------------------------

AGGREGATES_ALL = [
    {"fn": "count", "col": "*", "as": "n"},
    {"fn": "count", "col": "v", "as": "nv"},
    {"fn": "sum", "col": "v", "as": "sum_v"},
    {"fn": "min", "col": "v", "as": "min_v"},
    {"fn": "max", "col": "x", "as": "max_x"},
    {"fn": "avg", "col": "x", "as": "avg_x"},
    {"fn": "sum", "col": "x", "as": "sum_x"},
]

SESSION_GAPS = [MICROS_PER_SECOND // 2, 2 * MICROS_PER_SECOND,
                5 * MICROS_PER_SECOND, 20 * MICROS_PER_SECOND]


def random_query(rng, time_col="ts", sessions=False):
    """A random query over the columns random_epochs() writes
    (ts, k, v: int, x: float). With sessions=True a quarter of the queries
    are session windows (random_session_query); with sessions=False (the
    default) the random stream, and so every query, is as before."""
    if sessions and rng.random() < 0.25:
        return random_session_query(rng, time_col)
    second = MICROS_PER_SECOND
    size = rng.choice([10 * second, 60 * second, 5 * MICROS_PER_MINUTE])
    window = {"size": size}
    shape = rng.random()
    if shape < 0.35:
        pass                                          # tumbling
    elif shape < 0.7:
        window["slide"] = size // rng.choice([2, 5])  # size % slide == 0
    else:
        window["slide"] = size * 3 // 10              # size % slide != 0
    if rng.random() < 0.2:
        window["start"] = rng.randrange(window.get("slide", size))
    mode = rng.choice(MODES)
    delays = [0, 5 * second, 30 * second, 2 * MICROS_PER_MINUTE]
    if mode != "append":
        delays.append(None)
    return {
        "time_col": time_col,
        "window": window,
        "group_by": rng.choice([[], ["k"]]),
        "aggregates": [dict(a) for a in AGGREGATES_ALL],
        "watermark": rng.choice(delays),
        "output_mode": mode,
    }


def random_session_query(rng, time_col="ts"):
    """A random session-window query: append or complete (Spark refuses
    update), grouped by k (Spark refuses a global session aggregation), a
    literal gap or, for 30%, a per-row gap in column g (random_case fills it
    in, with some null, zero and negative gaps)."""
    mode = rng.choice(["append", "complete"])
    delays = [0, 5 * MICROS_PER_SECOND, 30 * MICROS_PER_SECOND,
              2 * MICROS_PER_MINUTE]
    if mode == "complete":
        delays.append(None)
    if rng.random() < 0.3:
        window = {"session_gap_col": "g"}
    else:
        window = {"session_gap": rng.choice(SESSION_GAPS)}
    return {
        "time_col": time_col,
        "window": window,
        "group_by": ["k"],
        "aggregates": [dict(a) for a in AGGREGATES_ALL],
        "watermark": rng.choice(delays),
        "output_mode": mode,
    }


def random_epochs(rng, n_rows=200, n_epochs=12, base_us=1_700_000_000_000_000,
                  step_us=2 * MICROS_PER_SECOND, time_col="ts",
                  p_null=0.05, p_late=0.2, p_very_late=0.05, p_boundary=0.1,
                  late_us=20 * MICROS_PER_SECOND,
                  very_late_us=10 * MICROS_PER_MINUTE):
    """Rows around a moving clock, cut into epochs at random points.

    The clock advances 0..step_us per row. Most rows are near the clock; a
    share p_late is up to late_us behind it (out of order, mostly inside a
    watermark), a share p_very_late is up to very_late_us behind (beyond any
    watermark the random queries use), a share p_null has a null event time,
    and a share p_boundary sits exactly on a whole second (window boundaries).
    Floats are multiples of 1/4 so that every sum is exact. Some epochs are
    empty (triggers that found no data). base_us may be negative.
    """
    clock = base_us
    rows = []
    for _ in range(n_rows):
        clock += rng.randrange(step_us + 1)
        r = rng.random()
        if r < p_null:
            ts = None
        elif r < p_null + p_very_late:
            ts = clock - rng.randrange(late_us, very_late_us + 1)
        elif r < p_null + p_very_late + p_late:
            ts = clock - rng.randrange(late_us + 1)
        else:
            ts = clock + rng.randrange(-MICROS_PER_SECOND, MICROS_PER_SECOND)
        if ts is not None and rng.random() < p_boundary:
            ts -= ts % MICROS_PER_SECOND
        rows.append({
            time_col: ts,
            "k": rng.choice(["a", "b", "c", None]),
            "v": None if rng.random() < 0.15 else rng.randrange(-50, 100),
            "x": None if rng.random() < 0.15 else rng.randrange(-400, 400) / 4,
        })
    cuts = sorted(rng.randrange(n_rows + 1) for _ in range(n_epochs - 1))
    epochs = []
    prev = 0
    for cut in cuts + [n_rows]:
        epochs.append(rows[prev:cut])
        prev = cut
    return epochs


def make_union(rng, query, epochs):
    """Turn a random case into a union of two streams: each row goes to
    stream 0 or 1 (its "src"), every epoch with rows has rows of both (a
    one-row epoch gets a copy of its row for the other stream), each stream
    has its own delay (the second may have none) and the policy is random.
    The first stream's delay is the query's, so the output-mode rules stand."""
    delays = [0, 5 * MICROS_PER_SECOND, 30 * MICROS_PER_SECOND,
              2 * MICROS_PER_MINUTE, None]
    query["inputs"] = [{"watermark": query["watermark"]},
                       {"watermark": rng.choice(delays)}]
    query["watermark_policy"] = rng.choice(["min", "max"])
    for ep in epochs:
        for r in ep:
            r["src"] = rng.randrange(2)
        if len(ep) == 1:
            ep.append(dict(ep[0]))
        if ep and len({r["src"] for r in ep}) < 2:
            ep[0]["src"] = 1 - ep[-1]["src"]
    return query, epochs


def random_case(seed, sessions=False, union=False, **kwargs):
    """A random (query, epochs). sessions: see random_query; with the
    default (False) every case is the same as before session windows.
    union: the same case made a union of two streams (make_union)."""
    rng = random.Random(seed)
    query = random_query(rng, sessions=sessions)
    if rng.random() < 0.15:
        kwargs.setdefault("base_us", -rng.randrange(10 * MICROS_PER_MINUTE))
    epochs = random_epochs(rng, **kwargs)
    if rng.random() < 0.3:
        query["idle_between"] = False
    gap_col = query["window"].get("session_gap_col")
    if gap_col is not None:
        for row in (r for e in epochs for r in e):
            if rng.random() < 0.15:
                row[gap_col] = rng.choice([None, 0, -MICROS_PER_SECOND])
            else:
                row[gap_col] = rng.choice(SESSION_GAPS)
    if union:
        make_union(random.Random(seed * 7919 + 1), query, epochs)
    return query, epochs


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--query", help="query JSON file")
    ap.add_argument("--input", help="epochs JSON file")
    ap.add_argument("--generate", type=int, metavar="SEED",
                    help="print a random {query, epochs} case and exit")
    ap.add_argument("--sessions", action="store_true",
                    help="with --generate: a quarter of the cases are "
                    "session windows")
    args = ap.parse_args(argv)
    if args.generate is not None:
        query, epochs = random_case(args.generate, sessions=args.sessions)
        json.dump({"query": query, "epochs": epochs}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    if not args.query or not args.input:
        ap.error("--query and --input are required (or --generate SEED)")
    with open(args.query, encoding="utf-8") as f:
        query = json.load(f)
    with open(args.input, encoding="utf-8") as f:
        data = json.load(f)
    epochs = data["epochs"] if isinstance(data, dict) else data
    try:
        batches = run(query, epochs)
    except ValueError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    json.dump(batches, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
