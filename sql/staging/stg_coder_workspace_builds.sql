-- stg_coder_workspace_builds: one row per workspace build.
-- key: build_id
-- partition: day
-- window: 0 days
-- person: workspace_id, build_id
-- pack: blocks (event records: the month so far is not copied again each night)
-- inputs: coder_workspace_builds
-- Kept in files, not a view: a report reads it, and a session binds a view's every
-- file (one per day of history for the raw table), these packed like a fact's. Its
-- records never change once written, so old days are seldom written again (Rocket.Chat
-- messages, edited under the day they were sent, stay a view).
with

renamed as (
    select
        id as build_id,
        workspace_id,
        template_version_id,
        build_number,
        transition,
        initiator_id,
        created_at,
        day,
    from coder_workspace_builds
)

select * from renamed
