-- rpt_coder_members_held: every version of every Coder organization membership, as a
-- session holds them for the v1 metrics' `org` (metrics.py), with the version's validity
-- in microseconds since the epoch (valid_to: the largest bigint while current). A version
-- is current at T when valid_from <= T < valid_to (as_of).
-- key: organization_id, user_id, valid_from_us
-- inputs: stg_coder_organization_members
with

final as (
    select
        organization_id,
        user_id,
        epoch_us(valid_from) as valid_from_us,
        coalesce(epoch_us(valid_to), 9223372036854775807) as valid_to_us,
    from stg_coder_organization_members
)

select * from final
