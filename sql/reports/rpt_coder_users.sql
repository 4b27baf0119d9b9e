-- rpt_coder_users: one row per user of $user_ids as of $now: name, username, roles and
-- avatar URL ("" and [] where unset).
-- key: id
-- inputs: coder_users
with

users as (
    select * from coder_users
    where updated_at <= $now
      and id in (select unnest($user_ids::varchar[]))  -- a hash join: many ids are asked
    qualify row_number() over (partition by id order by updated_at desc) = 1
),

final as (
    select
        id,
        coalesce(name, '') as name,
        username,
        coalesce(rbac_roles, []) as roles,
        coalesce(avatar_url, '') as avatar_url,
    from users
)

select * from final
