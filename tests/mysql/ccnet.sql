-- SeaTable's ccnet_db (seafile-server's ccnet): teams, memberships and accounts, with
-- ccnet's column names and types (ctime in microseconds since the epoch).

create table Organization (
    org_id bigint not null auto_increment,
    org_name varchar(255),
    url_prefix varchar(255),
    creator varchar(255),
    ctime bigint,
    primary key (org_id),
    unique index (url_prefix)
) engine = InnoDB;

create table OrgUser (
    id bigint not null auto_increment,
    org_id integer,
    email varchar(255),
    is_staff bool not null,
    primary key (id),
    index (email),
    unique index (org_id, email)
) engine = InnoDB;

-- passwd: a PBKDF2 hash, never read.
create table EmailUser (
    id bigint not null auto_increment,
    email varchar(255),
    passwd varchar(256),
    is_staff bool not null,
    is_active bool not null,
    is_department_owner bool not null default 0,
    ctime bigint,
    reference_id varchar(255),
    primary key (id),
    unique index (email),
    unique index (reference_id)
) engine = InnoDB;

-- password: never read.
create table LDAPUsers (
    id bigint not null auto_increment,
    email varchar(255) not null,
    password varchar(255) not null,
    is_staff bool not null,
    is_active bool not null,
    extra_attrs text,
    reference_id varchar(255),
    primary key (id),
    unique index (email),
    unique index (reference_id)
) engine = InnoDB;
