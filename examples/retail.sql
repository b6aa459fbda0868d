-- The retail story of DESIGN.md section 1 (`sluice demo retail` runs exactly
-- this): sales per store per 15-minute window, with records that arrive late.
--
-- The built-in sales generator stands in for the 500 billing counters: 20
-- stores, 2000 sales a second, the shop clock running a minute a second (so a
-- 15-minute window closes every 15 s), 5% of the records up to 8 minutes late
-- (inside the 10-minute watermark: still counted) and 0.5% 20 to 40 minutes
-- late (dropped, and counted on stderr, when the watermark has passed their
-- window's end).
--
-- DESIGN.md's version reads the records from files arriving in a directory;
-- once the file source is there, the source will read
--   CREATE SOURCE sales (store INT, counter INT, amount DOUBLE, ts TIMESTAMP)
--     WITH (connector = 'file', path = 'incoming/', format = 'csv', header = true)
--     WATERMARK ts DELAY '10 minutes';
-- and `sluice gen-sales --dir incoming/ --header --paced` would write the files.
CREATE SOURCE sales (store INT, counter INT, amount DOUBLE, ts TIMESTAMP)
  WITH (connector = 'sales', stores = 20, counters = 500, rows_per_second = 2000,
        speed = 60)
  WATERMARK ts DELAY '10 minutes';

CREATE SINK store_totals
  WITH (connector = 'console', output_mode = 'update', trigger = '5 seconds',
        num_rows = 100, truncate = false)
AS SELECT window(ts, '15 minutes') AS w, store, sum(amount) AS total, count(*) AS n
   FROM sales
   GROUP BY window(ts, '15 minutes'), store;
