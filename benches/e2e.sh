#!/usr/bin/env bash
# End-to-end timing of `curlens breakdown` on generated CUR 2.0 data, next to the same
# aggregation in DuckDB and in polars' Python API on the same files, in the same run.
#
#   benches/e2e.sh ROWS [WORKDIR]
#
# Needs a release build (cargo build --release) and, for the comparison, `pip install
# duckdb polars`. Runs every command REPS times (default 3) and prints one line per run:
# wall seconds, user CPU seconds and peak RSS (KiB). On a busy machine compare CPU time and
# peak RSS; take the best wall time of the repetitions.
set -euo pipefail
rows=${1:?usage: benches/e2e.sh ROWS [WORKDIR]}
work=${2:-/tmp/curlens-e2e}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${CURLENS_BIN:-$here/target/release/curlens}
data="$work/rows-$rows"

if [ ! -f "$data/truth.json" ]; then
  /usr/bin/time -f "synth wall=%e s peak_rss=%M KiB" \
    "$bin" synth --out "$data" --rows "$rows" --days 30 --accounts 20 --seed 3 --force
fi
files=$(find "$data" -name '*.parquet' | sort)

reps=${REPS:-3}
measure() { # name, command... (standard input, e.g. a script, is replayed on every run)
  local name=$1; shift
  local input; input=$(mktemp)
  cat > "$input"
  for _ in $(seq "$reps"); do
    /usr/bin/time -f "$name wall=%e s cpu=%U s peak_rss=%M KiB" "$@" < "$input" > /dev/null
  done
  rm -f "$input"
}

# Each curlens query runs on both engines: the Parquet path (the default for typed Parquet)
# and the frame engine (--engine frame). Their outputs are identical.
for engine in parquet frame; do
  measure "curlens $engine (day x account x service x usage type, 7 metrics)" \
    "$bin" breakdown "$data" --engine "$engine" --by account,service,usage-type --granularity day \
    --metric unblended,blended,net-unblended,amortized,net-amortized,public-on-demand,usage-quantity \
    --format csv < /dev/null
  measure "curlens $engine (day x account x service x usage type, unblended + amortized)" \
    "$bin" breakdown "$data" --engine "$engine" --by account,service,usage-type --granularity day \
    --metric unblended,amortized --format csv < /dev/null
  measure "curlens $engine (day x service x tag:Project, amortized)" \
    "$bin" breakdown "$data" --engine "$engine" --by service,tag:Project --granularity day \
    --metric amortized --format csv < /dev/null
done

if python3 -c 'import duckdb' 2>/dev/null; then
  measure "duckdb (day x account x service x usage type, unblended + amortized)" python3 - "$data" <<'PY'
import sys, duckdb
con = duckdb.connect()
con.execute("SET threads TO 2")
q = f"""
SELECT date_trunc('day', line_item_usage_start_date) AS day, line_item_usage_account_id, line_item_product_code,
       line_item_usage_type, sum(line_item_unblended_cost) AS unblended,
       sum(CASE line_item_line_item_type WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_savings_plan_effective_cost
                WHEN 'SavingsPlanNegation' THEN 0 WHEN 'DiscountedUsage' THEN reservation_effective_cost
                ELSE line_item_unblended_cost END) AS amortized, count(*) AS rows
FROM read_parquet('{sys.argv[1]}/**/*.parquet') GROUP BY ALL ORDER BY ALL"""
con.execute(q).fetchall()
PY
  measure "duckdb (day x service x tag Project)" python3 - "$data" <<'PY'
import sys, duckdb
con = duckdb.connect()
con.execute("SET threads TO 2")
q = f"""
SELECT date_trunc('day', line_item_usage_start_date) AS day, line_item_product_code,
       coalesce(resource_tags['user_Project'], '(untagged)') AS project, sum(line_item_unblended_cost)
FROM read_parquet('{sys.argv[1]}/**/*.parquet') GROUP BY ALL ORDER BY ALL"""
con.execute(q).fetchall()
PY
fi
if python3 -c 'import polars' 2>/dev/null; then
  measure "polars python streaming (day x account x service x usage type, unblended)" python3 - "$data" <<'PY'
import sys, polars as pl
lf = pl.scan_parquet(f"{sys.argv[1]}/**/*.parquet")
(lf.group_by(pl.col("line_item_usage_start_date").dt.truncate("1d"), "line_item_usage_account_id",
             "line_item_product_code", "line_item_usage_type")
   .agg(pl.col("line_item_unblended_cost").sum(), pl.len())
   .sort(pl.all()).collect(engine="streaming"))
PY
  measure "polars python streaming (day x service x tag Project via list.eval)" python3 - "$data" <<'PY'
import sys, polars as pl
lf = pl.scan_parquet(f"{sys.argv[1]}/**/*.parquet")
tags = pl.col("resource_tags")
if lf.collect_schema()["resource_tags"] != pl.List:
    tags = tags.cast(pl.List(pl.Struct({"key": pl.String, "value": pl.String})))
tag = (tags.list.eval(pl.element().filter(pl.element().struct.field("key") == "user_Project")
       .struct.field("value")).list.first().fill_null("(untagged)"))
(lf.group_by(pl.col("line_item_usage_start_date").dt.truncate("1d"), "line_item_product_code", tag.alias("project"))
   .agg(pl.col("line_item_unblended_cost").sum()).sort(pl.all()).collect(engine="streaming"))
PY
fi
