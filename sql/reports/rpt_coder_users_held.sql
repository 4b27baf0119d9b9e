-- rpt_coder_users_held: every version of every Coder user, as a session holds them for
-- the insights and the v1 metrics (pipelines/endpoints/coder/rollup.py, metrics.py): name,
-- username, roles and avatar URL, with the version's validity in microseconds since the
-- epoch (valid_to: the largest bigint while current). A version is current at T when
-- valid_from <= T < valid_to (as_of).
-- key: user_id, valid_from_us
-- inputs: stg_coder_users
with

final as (
    select
        user_id,
        username,
        name,
        avatar_url,
        rbac_roles,
        epoch_us(valid_from) as valid_from_us,
        coalesce(epoch_us(valid_to), 9223372036854775807) as valid_to_us,
    from stg_coder_users
)

select * from final
