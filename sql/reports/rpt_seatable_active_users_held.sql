-- rpt_seatable_active_users_held: the distinct active SeaTable users of every local day
-- with any (reporting time zone), as a session holds them for the active-users endpoint,
-- which zero-fills the days of a request between them.
-- key: activity_date
-- inputs: fct_active_users_daily
with

final as (
    select
        activity_date,
        count(distinct user_id) as count_active_users,
    from fct_active_users_daily
    where source = 'seatable'
    group by all
)

select * from final
