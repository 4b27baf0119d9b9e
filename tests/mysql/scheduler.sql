-- SeaTable's scheduler database (the Python scheduler): one row per script run, from its
-- request (pending) to its end (finished). output and context_data may hold a base's data.

create table script_log (
    id int not null auto_increment,
    dtable_uuid varchar(36) not null,
    owner varchar(255) default null,
    org_id int default null,
    script_name varchar(255) not null,
    context_data longtext default null,
    started_at datetime(6) default null,
    finished_at datetime(6) default null,
    success tinyint(1) default null,
    return_code int default null,
    output longtext character set utf8mb4 collate utf8mb4_unicode_ci default null,
    operate_from varchar(50) default null,
    state varchar(10) default null,
    created_at datetime(6) default null,
    primary key (id),
    key started_at (started_at),
    key dtable_uuid_script_name (dtable_uuid, script_name),
    key state (state),
    key created_at (created_at)
) engine = InnoDB default charset = utf8;
