"""Run DuckDB SQL as written, with the httpfs and aws extensions loaded from
.deps/py-duckdb (DuckDB would download them; the test machines cannot), and
print each statement's rows.

    PYTHONPATH=.deps/py-duckdb .deps/py/bin/python scripts/duckdb_sql.py FILE.sql
"""

import glob
import os
import sys

import duckdb

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".deps", "py-duckdb")
con = duckdb.connect()
for ext in ["httpfs", "aws"]:
    paths = glob.glob(os.path.join(here, f"duckdb_extension_{ext}", "extensions", "*", f"{ext}.duckdb_extension"))
    if not paths:
        sys.exit(f"no {ext} extension in {here}: run make pyenv-duckdb")
    con.execute(f"LOAD '{paths[0]}'")
sql = open(sys.argv[1], encoding="utf-8").read()
for stmt in [s.strip() for s in sql.split(";") if s.strip()]:
    print(con.sql(stmt).fetchall() if stmt.upper().startswith("SELECT") else con.execute(stmt).fetchall(), flush=True)
