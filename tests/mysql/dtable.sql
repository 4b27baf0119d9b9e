-- SeaTable's dtable_db (dtable-web and dtable-events): the tables the collector reads and
-- one it must never read, with SeaTable's column names and types.

-- One row per user and UTC day, stamped with the day's midnight (REPLACE INTO on the
-- md5 of username and day).
create table user_activity_statistics (
    id int not null auto_increment,
    user_time_md5 varchar(32) default null,
    username varchar(255) not null,
    `timestamp` datetime not null,
    org_id int not null,
    primary key (id),
    unique key user_time_md5 (user_time_md5),
    key ix_user_activity_statistics_timestamp (`timestamp`)
) engine = InnoDB default charset = utf8;

-- Django's Profile: the nickname may be ''; contact e-mail and phone are personal data.
create table profile_profile (
    id int not null auto_increment,
    `user` varchar(254) not null,
    nickname varchar(64) character set utf8mb4 collate utf8mb4_unicode_ci not null,
    intro longtext not null,
    lang_code longtext default null,
    login_id varchar(225) default null,
    contact_email varchar(225) character set utf8mb4 collate utf8mb4_unicode_ci default null,
    institution varchar(225) default null,
    list_in_address_book tinyint(1) not null,
    phone varchar(20) character set utf8mb4 collate utf8mb4_unicode_ci default null,
    primary key (id),
    unique key `user` (`user`),
    unique key login_id (login_id),
    unique key contact_email (contact_email),
    unique key phone (phone)
) engine = InnoDB default charset = utf8;

-- API tokens: the key is the credential.
create table api2_token (
    `key` varchar(40) not null,
    `user` varchar(255) not null,
    created datetime(6) not null,
    primary key (`key`),
    unique key `user` (`user`)
) engine = InnoDB default charset = utf8;
