-- stg_rocketchat_statistics: one row per daily statistics document of a server,
-- current until the next one.
-- key: unique_id, valid_from
-- inputs: rocketchat_statistics
-- versions of: unique_id
with

renamed as (
    select
        "uniqueId" as unique_id,
        "installedAt" as installed_at,
        version,
        "createdAt" as created_at,
        os,
        process,
        deploy,
        migration,
        "instanceCount" as instance_count,
        "mongoVersion" as mongo_version,
        "mongoStorageEngine" as mongo_storage_engine,
        "oplogEnabled" as is_oplog_enabled,
        "msEnabled" as is_microservices,
        "uploadsTotal" as count_uploads,
        "uploadsTotalSize" as uploads_bytes,
        "createdAt" as valid_from,
    from rocketchat_statistics
)

select * from renamed
