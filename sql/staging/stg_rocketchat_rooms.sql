-- stg_rocketchat_rooms: one row per version of a Rocket.Chat room,
-- its time of being current: valid_from until valid_to (null: still current).
-- key: room_id, valid_from
-- inputs: rocketchat_rooms
-- versions of: room_id
with

renamed as (
    select
        "_id" as room_id,
        t as room_type,
        prid as parent_room_id,
        "teamMain" as is_team_main,
        "createdAt" as created_at,
        "_updatedAt" as updated_at,
        msgs as count_messages,
        "_deletedAt" as deleted_at,
        "_updatedAt" as valid_from,
    from rocketchat_rooms
)

select * from renamed
