"""A seeded PostgreSQL demo schema and workload with known bottlenecks, for the live advisor.

`build(conn, seed)` creates (replacing) five tables in the `public` schema of the database
the connection is on and fills them deterministically, `analyze(conn)` (on a new connection)
sets their statistics, and `run_workload(conn, seed)` runs the statements that hit each
bottleneck. `TRUTH` says what the advisor must find:

- missing index: `orders` filtered by `customer_id` (one customer in 5,000), no index;
- composite index: `events` filtered on `kind` and `day` (20 x 30 values: 1 in 600) and
  joined to `accounts` — either column alone keeps 1 row in 20 or 30;
- redundant index: `customers_email_idx` is a prefix of `customers_email_region_idx`;
- stale statistics: `inventory` analyzed at 500 rows, then grown 40x with autovacuum off;
- correlated subquery: customers with a per-row `(SELECT count(*) FROM orders …)`;
- cardinality misestimate (seen with `--analyze`): `addresses` filtered on `country` and
  `city`, where the city decides the country — the planner multiplies their selectivities
  and expects 10 rows where 100 come back.
"""

from __future__ import annotations

import random
from typing import Any

TRUTH: dict[str, Any] = {
    "missing_index": ("public.orders", ["customer_id"]),
    "composite_index": ("public.events", {"kind", "day"}),
    "redundant_index": "public.customers_email_idx",
    "stats": "public.inventory",
    "rewrite": "public.customers",
    "misestimate": ("public.addresses", {"country", "city"}),
}

CUSTOMERS = 5_000
ORDERS = 60_000
ACCOUNTS = 1_000
EVENTS = 120_000
INVENTORY_ANALYZED = 500
INVENTORY = 20_000
KINDS = 20
DAYS = 30
REGIONS = 100
WAREHOUSES = 40
ADDRESSES = 50_000
CITIES = 500
COUNTRIES = 10

# autovacuum off: the statistics stay as `analyze` leaves them (inventory's go stale)
_SCHEMA = """
DROP TABLE IF EXISTS orders, customers, events, accounts, inventory, addresses CASCADE;
CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, region int NOT NULL,
                        created_at timestamptz NOT NULL) WITH (autovacuum_enabled = false);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL,
                     total numeric(10, 2) NOT NULL, created_at timestamptz NOT NULL)
    WITH (autovacuum_enabled = false);
CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL, plan text NOT NULL)
    WITH (autovacuum_enabled = false);
CREATE TABLE events (id int PRIMARY KEY, account_id int NOT NULL, kind int NOT NULL,
                     day int NOT NULL, payload text NOT NULL) WITH (autovacuum_enabled = false);
CREATE TABLE inventory (sku int NOT NULL, warehouse int NOT NULL, qty int NOT NULL)
    WITH (autovacuum_enabled = false);
CREATE TABLE addresses (id int PRIMARY KEY, country int NOT NULL, city int NOT NULL)
    WITH (autovacuum_enabled = false);
CREATE INDEX customers_email_idx ON customers (email);
CREATE INDEX customers_email_region_idx ON customers (email, region);
"""

# generate_series with arithmetic spreads: the same rows for a seed on every server
_FILL = (
    "INSERT INTO customers SELECT i, 'user' || i || '@example.com',"
    " 1 + (i * 7 + %(s)s) %% {regions}, timestamptz '2026-01-01' + i * interval '1 minute'"
    " FROM generate_series(1, {customers}) i",
    "INSERT INTO orders SELECT i, 1 + (i * 7919 + %(s)s) %% {customers},"
    " (ARRAY['new','paid','shipped','done'])[1 + i %% 4], (i %% 500) + 0.99,"
    " timestamptz '2026-01-01' + i * interval '1 minute' FROM generate_series(1, {orders}) i",
    "INSERT INTO accounts SELECT i, 'acct' || i, (ARRAY['free','pro','team'])[1 + i %% 3]"
    " FROM generate_series(1, {accounts}) i",
    "INSERT INTO events SELECT i, 1 + (i::bigint * 104729 + %(s)s) %% {accounts},"
    " (i * 31) %% {kinds}, (i / 7) %% {days}, repeat('x', 40) FROM generate_series(1, {events}) i",
    "INSERT INTO addresses SELECT i, (i %% {cities}) %% {countries}, i %% {cities}"
    " FROM generate_series(1, {addresses}) i",
    "INSERT INTO inventory SELECT i, i %% {warehouses}, i %% 97"
    " FROM generate_series(1, {inventory_analyzed}) i",
)
_SIZES = {
    "customers": CUSTOMERS, "orders": ORDERS, "accounts": ACCOUNTS, "events": EVENTS,
    "kinds": KINDS, "days": DAYS, "regions": REGIONS, "warehouses": WAREHOUSES,
    "inventory_analyzed": INVENTORY_ANALYZED, "addresses": ADDRESSES, "cities": CITIES,
    "countries": COUNTRIES,
}  # fmt: skip

WORKLOAD = {
    "missing_index": "SELECT id, total, status FROM orders WHERE customer_id = %s",
    "composite_index": (
        "SELECT e.id, a.name FROM events e JOIN accounts a ON a.id = e.account_id "
        "WHERE e.kind = %s AND e.day = %s"
    ),
    "stats": "SELECT sku, qty FROM inventory WHERE warehouse = %s",
    "rewrite": (
        "SELECT c.id, c.email, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) "
        "FROM customers c WHERE c.region = %s"
    ),
    "email": "SELECT id, region FROM customers WHERE email = %s",
    "misestimate": "SELECT id FROM addresses WHERE country = %s AND city = %s",
}
CALLS = {"missing_index": 40, "composite_index": 30, "stats": 20, "rewrite": 3, "email": 30,
         "misestimate": 20}  # fmt: skip


def build(conn: Any, seed: int = 7) -> None:
    """Create and fill the demo tables (replacing them); then close the connection and run
    `analyze` on a new one, so the fill's row counts are flushed before ANALYZE resets them."""
    step = 1 + seed % 97
    with conn.transaction():
        conn.execute(_SCHEMA)
        for statement in _FILL:
            text = statement.format(**_SIZES)
            if "%(s)s" in text:
                conn.execute(text, {"s": step})
            else:
                conn.execute(text.replace("%%", "%"))


def analyze(conn: Any) -> None:
    """ANALYZE the demo tables, then grow inventory 40x: its statistics are stale (TRUTH)."""
    conn.execute("ANALYZE customers, orders, accounts, events, inventory, addresses")
    conn.execute(
        "INSERT INTO inventory SELECT i, i %% %s, i %% 97 FROM generate_series(%s::int, %s::int) i",
        [WAREHOUSES, INVENTORY_ANALYZED + 1, INVENTORY],
    )


def _address(city: int) -> tuple[int, int]:
    """(country, city) of a city: the country follows from it."""
    return city % COUNTRIES, city


def run_workload(conn: Any, seed: int = 7, scale: float = 1.0) -> dict[str, int]:
    """Run each bottleneck's statement with seeded values; the calls made, by name."""
    rng = random.Random(seed)  # noqa: S311 - seeded test data, not secrets
    values = {
        "missing_index": lambda: (rng.randint(1, CUSTOMERS),),
        "composite_index": lambda: (rng.randrange(KINDS), rng.randrange(DAYS)),
        "stats": lambda: (rng.randrange(WAREHOUSES),),
        "rewrite": lambda: (rng.randint(1, REGIONS),),
        "email": lambda: (f"user{rng.randint(1, CUSTOMERS)}@example.com",),
        "misestimate": lambda: _address(rng.randrange(CITIES)),
    }
    done = {}
    for name, text in WORKLOAD.items():
        calls = max(1, round(CALLS[name] * scale))
        for _ in range(calls):
            conn.execute(text, values[name]()).fetchall()
        done[name] = calls
    return done
