-- rpt_coder_users: one row per user of $user_ids as of $now: name, username, roles and
-- avatar URL ("" and [] where unset).
-- key: id
-- inputs: stg_coder_users
with

users as (
    select * from as_of(stg_coder_users, $now)
    where user_id in (select unnest($user_ids::varchar[]))  -- a hash join: many ids are asked
),

final as (
    select
        user_id as id,
        coalesce(name, '') as name,
        username,
        coalesce(rbac_roles, []) as roles,
        coalesce(avatar_url, '') as avatar_url,
    from users
)

select * from final
