-- collect openl2m counters: one line per counter the stats report reads (changes,
-- commands), stamped with the collect instant (OpenL2M keeps only the running total, with no
-- time of its own), and the counter without that stamp: the content that decides whether
-- the kind changed since it was last landed.
-- watermark: none (read whole)
select
    json_build_object(
        'name', name,
        'value', value,
        'at', %(collected_at)s::timestamptz
    )::text as line,
    json_build_object('name', name, 'value', value)::text as content
from counters_counter
where name in ('changes', 'commands')
order by name
