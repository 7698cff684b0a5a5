CREATE TABLE items (id int PRIMARY KEY, name text, qty int);
INSERT INTO items SELECT g, 'item ' || g, g % 10 FROM generate_series(1, 1000) g;
SELECT name FROM items WHERE id = 42;
SELECT name FROM items WHERE id = 7;
SELECT count(*) FROM items WHERE qty = 3;
SELECT i.name,
       i.qty
  FROM items i
 WHERE i.qty > 5
 ORDER BY i.name
 LIMIT 3;
PREPARE by_id(int) AS SELECT name FROM items WHERE id = $1;
EXECUTE by_id(5);
EXECUTE by_id(6);
SELECT * FROM missing_table;
SET work_mem = '64kB';
SELECT id FROM items ORDER BY name DESC, qty LIMIT 1 OFFSET 900;
RESET work_mem;
SET statement_timeout = '100ms';
SELECT pg_sleep(1);
RESET statement_timeout;
