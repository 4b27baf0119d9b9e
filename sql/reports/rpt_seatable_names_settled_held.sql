-- rpt_seatable_names_settled_held: one row, the instant from which the SeaTable users'
-- nicknames and orgs' names as of a later instant no longer change: the latest instant
-- their versions name (1970 when there is none). From it on a session answers
-- scripts-running from rpt_seatable_scripts_running_held as of it.
-- key: (one row)
-- inputs: stg_seatable_users, stg_seatable_orgs
with

final as (
    select
        greatest(
            (select instant from last_change(stg_seatable_users)),
            (select instant from last_change(stg_seatable_orgs)),
            '1970-01-01 00:00:00+00'::timestamptz
        ) as settled_at,
)

select * from final
