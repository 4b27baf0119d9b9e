-- rpt_coder_user_activity: one row per user with rollup rows in [$start, $end]
-- ($template_ids empty = all): their templates and seconds of use (per half hour the
-- minutes summed over templates, capped at 30), with username and avatar as of $now.
-- key: user_id
-- inputs: fct_coder_usage_30m, stg_coder_users
with

usage as (
    select * from coder_usage($start, $end, $template_ids)
),

users as (
    select * from as_of(stg_coder_users, $now)
),

per_bucket as (
    select
        start_time,
        user_id,
        least(sum(usage_mins), 30) as usage_mins,
    from usage
    group by all
),

final as (
    select
        per_user.user_id,
        coalesce(users.username, '') as username,
        coalesce(users.avatar_url, '') as avatar_url,
        (select list(distinct template_id order by template_id) from usage where usage.user_id = per_user.user_id) as template_ids,
        per_user.seconds,
    from (
        select user_id, (sum(usage_mins) * 60)::bigint as seconds from per_bucket group by all
    ) as per_user
    left join users using (user_id)
    order by per_user.user_id
)

select * from final
