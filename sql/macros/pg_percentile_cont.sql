-- pg_percentile_at(sorted, position): the value at a fractional 0-based position of an
-- ascending list, as PostgreSQL's percentile_cont takes it (percentile_cont_final_common
-- and float8_lerp in src/backend/utils/adt/orderedsetaggs.c): the value itself at a whole
-- position, else lo + (position - floor(position)) * (hi - lo) between the two neighbours.
-- DuckDB's quantile_cont interpolates as lo * (1 - d) + hi * d, which rounds differently:
-- about a fifth of the interpolated p95s of Coder's user latency differed from Coder's
-- (PostgreSQL's) in the last digit (tests/test_coder_exact.py). Null for an empty list.
create or replace macro pg_percentile_at(sorted, position) as case
    when len(sorted) = 0 then null
    when floor(position) = ceil(position) then sorted[floor(position)::bigint + 1]
    else sorted[floor(position)::bigint + 1]
        + (position - floor(position))
        * (sorted[ceil(position)::bigint + 1] - sorted[floor(position)::bigint + 1])
end;

-- pg_percentile_sorted(sorted, fraction): PostgreSQL's percentile_cont(fraction) of an
-- ascending list without nulls: the position is fraction * (n - 1), in doubles.
create or replace macro pg_percentile_sorted(sorted, fraction) as
    pg_percentile_at(sorted, fraction::double * (len(sorted) - 1));

-- pg_percentile_cont(values, fraction): `percentile_cont(fraction) within group (order by
-- value)` of PostgreSQL over a list of doubles (`list(x)` of a group), nulls left out,
-- equal to PostgreSQL's to the last bit; null when no value is left.
create or replace macro pg_percentile_cont(values, fraction) as
    pg_percentile_sorted(list_sort(list_filter(values, lambda v: v is not null)), fraction);
