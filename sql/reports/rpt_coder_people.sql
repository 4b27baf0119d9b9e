-- rpt_coder_people: one row per Coder user (of $user_ids; all when it is empty) as of
-- $now: username, name, and the e-mail address of their latest version up to $now that has
-- one, lower-cased: what pseudonymous publishing makes their pseudonym from, and replaces
-- in what users typed (pipelines/privacy/pseudonyms.py).
-- key: user_id
-- inputs: stg_coder_users
with

versions as (
    select * from stg_coder_users
    where valid_from <= $now
      and (len($user_ids::varchar[]) = 0 or list_contains($user_ids::varchar[], user_id))
),

final as (
    select
        user_id,
        arg_max(username, valid_from) as username,
        arg_max(name, valid_from) as name,
        lower(arg_max(email, valid_from) filter (where coalesce(email, '') <> '')) as email,
    from versions
    group by all
)

select * from final
