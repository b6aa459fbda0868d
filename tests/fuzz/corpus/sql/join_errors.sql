CREATE SOURCE ev (s STRING, i INT) WITH (connector = 'typed');
CREATE TABLE t (s STRING, n INT) WITH (connector = 'file', path = 'nope/*.csv', format = 'csv', header = true);
EXPLAIN SELECT * FROM ev JOIN t USING (s);
EXPLAIN SELECT s FROM ev JOIN t ON ev.s = t.s;
EXPLAIN SELECT * FROM t RIGHT JOIN ev ON ev.i = t.n;
EXPLAIN SELECT * FROM ev CROSS JOIN t;
EXPLAIN SELECT * FROM ev e FULL OUTER JOIN t ON e.s = t.s;
EXPLAIN SELECT * FROM ev a JOIN ev b ON a.s = b.s;
EXPLAIN SELECT * FROM ev NATURAL JOIN t;
EXPLAIN SELECT * FROM ev, t
