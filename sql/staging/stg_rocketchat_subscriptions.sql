-- stg_rocketchat_subscriptions: one row per version of a subscription (a user in a
-- room), current from its last seen time (else its update) until the next version;
-- deleted_at set on the copy of a deleted subscription (exported from Rocket.Chat's trash).
-- key: subscription_id, valid_from
-- inputs: rocketchat_subscriptions
-- versions of: subscription_id
with

renamed as (
    select
        "_id" as subscription_id,
        rid as room_id,
        u._id as user_id,
        ls as last_seen_at,
        "_updatedAt" as updated_at,
        "_deletedAt" as deleted_at,
        coalesce(ls, "_updatedAt") as valid_from,
    from rocketchat_subscriptions
)

select * from renamed
