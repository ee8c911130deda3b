-- Per-customer summaries (schema version 1 of src/summary_file.rs) from order lines, as the engine
-- defines them (README "Data semantics", src/ingest/commit.rs, src/summary.rs). Portable SQL: the
-- same text runs in Spark SQL (summaries.py) and in DuckDB (summaries.py --duckdb).
--
-- Placeholders, filled by the driver before the text is run (string.Template syntax):
--   ${lines}        a table or view of order lines with the columns
--                     customer_id  string
--                     order_id     string (NULL or blank: the line is an order of its own)
--                     ts           an instant (Spark TIMESTAMP, DuckDB TIMESTAMPTZ), a local
--                                  timestamp (TIMESTAMP_NTZ, DuckDB TIMESTAMP) or a DATE
--                     amount       DECIMAL (never a float) or an integer, in major units
--   ${minor_units}  10^decimals of the currency as an integer literal (100 for USD:2)
--   ${as_of}        DATE 'YYYY-MM-DD', or CAST(NULL AS DATE) for the default (the latest order day)
-- The session time zone is the store's (UTC by default): CAST(ts AS DATE) is then the calendar
-- day of the order line in that zone, as the engine takes it.
--
-- Two statements, each introduced by a "-- name:" line; summaries.py runs "problems" first and
-- refuses the input if any count is not zero, as an ingest refuses the file.

-- name: problems
-- Lines the engine would reject (customer id empty after trimming ASCII whitespace, no timestamp,
-- no amount, an amount with more decimals than the currency has), and the lines read.
SELECT
    COUNT(*) AS lines,
    COUNT(CASE WHEN customer_id IS NULL
                 OR TRIM(BOTH ' ' || chr(9) || chr(10) || chr(12) || chr(13) FROM customer_id) = ''
               THEN 1 END) AS no_customer,
    COUNT(CASE WHEN ts IS NULL THEN 1 END) AS no_timestamp,
    COUNT(CASE WHEN amount IS NULL THEN 1 END) AS no_amount,
    COUNT(CASE WHEN amount * ${minor_units} <> FLOOR(amount * ${minor_units}) THEN 1 END) AS inexact_amount
FROM ${lines};

-- name: summaries
WITH
-- One row per order line: ids trimmed as the engine trims them (ASCII whitespace), the calendar
-- day, the amount in integer minor units (exact: DECIMAL arithmetic, integral by "problems").
line AS (
    SELECT
        TRIM(BOTH ' ' || chr(9) || chr(10) || chr(12) || chr(13) FROM customer_id) AS customer_id,
        NULLIF(TRIM(BOTH ' ' || chr(9) || chr(10) || chr(12) || chr(13) FROM order_id), '') AS order_id,
        CAST(ts AS DATE) AS day,
        CAST(FLOOR(amount * ${minor_units}) AS BIGINT) AS cents
    FROM ${lines}
),
-- One row per order. The lines of one (customer, order id) are one order: their amounts summed,
-- its day the earliest line's (commit.rs: `day = day.min(r.day)`). A line without an order id is
-- an order of its own (two identical such lines are two orders).
orders AS (
    SELECT customer_id, MIN(day) AS day, SUM(cents) AS total
    FROM line
    WHERE order_id IS NOT NULL
    GROUP BY customer_id, order_id
    UNION ALL
    SELECT customer_id, day, cents AS total
    FROM line
    WHERE order_id IS NULL
),
-- The as-of day: given, or the latest order day, returns included (Store::summaries).
cut AS (
    SELECT COALESCE(${as_of}, (SELECT MAX(day) FROM orders)) AS as_of
),
-- Orders on or before the as-of day; a negative total is a return, zero or more a purchase.
-- first_day is the customer's first purchase day (NULL for a customer with returns only).
dated AS (
    SELECT
        o.customer_id,
        o.day,
        o.total,
        MIN(CASE WHEN o.total >= 0 THEN o.day END) OVER (PARTITION BY o.customer_id) AS first_day
    FROM orders o
    CROSS JOIN cut
    WHERE o.day <= cut.as_of
)
SELECT
    d.customer_id,
    CAST(MIN(d.first_day) AS DATE) AS first_purchase,
    CAST(MAX(CASE WHEN d.total >= 0 THEN d.day END) AS DATE) AS last_purchase,
    -- BTYD x + 1: distinct days with a purchase (same-day orders count once).
    CAST(COUNT(DISTINCT CASE WHEN d.total >= 0 THEN d.day END) AS BIGINT) AS purchase_days,
    CAST(COUNT(CASE WHEN d.total >= 0 THEN 1 END) AS BIGINT) AS orders,
    CAST(SUM(CASE WHEN d.total >= 0 THEN d.total ELSE 0 END) AS BIGINT) AS revenue,
    -- Revenue minus that of the first purchase day.
    CAST(SUM(CASE WHEN d.total >= 0 AND d.day > d.first_day THEN d.total ELSE 0 END) AS BIGINT) AS repeat_revenue,
    -- Returns count whenever they are on or before the as-of day, before the first purchase too.
    CAST(COUNT(CASE WHEN d.total < 0 THEN 1 END) AS BIGINT) AS returns,
    CAST(SUM(CASE WHEN d.total < 0 THEN d.total ELSE 0 END) AS BIGINT) AS returned,
    CAST(MIN(cut.as_of) AS DATE) AS as_of
FROM dated d
CROSS JOIN cut
GROUP BY d.customer_id
-- Customers without a purchase on or before the as-of day are not in the file.
HAVING COUNT(CASE WHEN d.total >= 0 THEN 1 END) > 0
-- Rows in a defined order (customer id, byte-wise) so that two runs write the same files; the
-- engine's fits do not depend on the order.
ORDER BY d.customer_id
