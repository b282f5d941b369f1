"""The peers of `scripts/bench.sh --compare`: each counts requests per (method, path, status)
of an nginx combined log — the table every log tool starts from — the fastest way we found for
that tool, and prints `GROUPS TOTAL`.

    python peers.py duckdb|chdb|polars LOG

The request line is the first quoted field (method, path with its query string, protocol); the
status is the first word after its closing quote. Splitting on `"` and spaces is what each
engine does fastest (their regular-expression extractors were 1.2–2.4× slower here). A `.gz`
log is decompressed by the engine itself.
"""

import sys


def duckdb_count(log):
    import duckdb

    rows = duckdb.sql(
        f"""
        SELECT count(*), sum(n) FROM (
          SELECT split_part(req, ' ', 1) AS m, split_part(req, ' ', 2) AS p,
                 split_part(split_part(line, '"', 3), ' ', 2) AS s, count(*) AS n
          FROM (SELECT line, split_part(line, '"', 2) AS req
                FROM read_csv('{log}', columns = {{'line': 'VARCHAR'}}, delim = '\\x01',
                              quote = '', escape = '', header = false, auto_detect = false))
          GROUP BY ALL)
        """
    ).fetchall()
    return rows[0]


def chdb_count(log):
    import chdb

    out = chdb.query(
        f"""
        SELECT count(), sum(n) FROM (
          SELECT m, p, s, count() AS n FROM (
            SELECT splitByChar('"', line) AS q, splitByChar(' ', q[2]) AS r,
                   r[1] AS m, r[2] AS p, splitByChar(' ', q[3])[2] AS s
            FROM file('{log}', 'LineAsString'))
          GROUP BY m, p, s)
        """,
        "TabSeparated",
    )
    groups, total = str(out).split()
    return int(groups), int(total)


def polars_count(log):
    import polars as pl

    # One column holding the whole line: no separator or quote occurs in it.
    options = dict(
        has_header=False,
        separator="\x01",
        quote_char=None,
        new_columns=["line"],
        schema_overrides={"line": pl.String},
    )
    # scan_csv does not stream gzip; read_csv decompresses it whole.
    if log.endswith(".gz"):
        lines = pl.read_csv(log, **options).lazy()
    else:
        lines = pl.scan_csv(log, **options)
    quoted = pl.col("line").str.split('"')
    counts = (
        lines.select(
            quoted.list.get(1).str.split(" ").alias("r"),
            quoted.list.get(2).str.split(" ").list.get(1).alias("s"),
        )
        .select(
            pl.col("r").list.get(0).alias("m"), pl.col("r").list.get(1).alias("p"), "s"
        )
        .group_by(["m", "p", "s"])
        .len()
        .select(pl.len().alias("groups"), pl.col("len").sum().alias("total"))
        .collect()
    )
    return counts.row(0)


if __name__ == "__main__":
    tool, log = sys.argv[1], sys.argv[2]
    count = {"duckdb": duckdb_count, "chdb": chdb_count, "polars": polars_count}[tool]
    groups, total = count(log)
    print(groups, total)
