-- stg_rocketchat_messages: one row per message.
-- key: message_id
-- inputs: rocketchat_messages
with

renamed as (
    select
        "_id" as message_id,
        rid as room_id,
        ts as sent_at,
        u._id as user_id,
        u.username as username,
        t as message_type,
        tmid as thread_id,
        tcount as count_thread_replies,
        "_hidden" as is_hidden,
        "editedAt" as edited_at,
        "_deletedAt" as deleted_at,
        -- a user's message: no system type, not hidden, not deleted
        t is null and not coalesce("_hidden", false) and "_deletedAt" is null as is_user_message,
        day,
    from rocketchat_messages
)

select * from renamed
