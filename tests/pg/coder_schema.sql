-- Coder's tables that `collect coder` reads, with Coder's own column names, types,
-- nullability and defaults (coderd/database/dump.sql), secrets and bulky columns included
-- so that the tests can show they never leave the database. Foreign keys, indexes and
-- check constraints are left out: the loader writes generated records, not Coder.

create type user_status as enum ('active', 'suspended', 'dormant');
create type login_type as enum ('password', 'github', 'oidc', 'token', 'none', 'oauth2_provider_app');
create type workspace_transition as enum ('start', 'stop', 'delete');
create type build_reason as enum (
    'initiator', 'autostart', 'autostop', 'dormancy', 'failedstop', 'autodelete', 'dashboard',
    'cli', 'ssh_connection', 'vscode_connection', 'jetbrains_connection', 'task_auto_pause',
    'task_manual_pause', 'task_resume');
create type audit_action as enum (
    'create', 'write', 'delete', 'start', 'stop', 'login', 'logout', 'register',
    'request_password_reset', 'connect', 'disconnect', 'open', 'close');
create type resource_type as enum (
    'organization', 'template', 'template_version', 'user', 'workspace', 'git_ssh_key',
    'api_key', 'group', 'workspace_build', 'license', 'workspace_proxy', 'convert_login',
    'health_settings', 'oauth2_provider_app', 'oauth2_provider_app_secret', 'custom_role',
    'organization_member', 'notifications_settings', 'notification_template',
    'idp_sync_settings_organization', 'idp_sync_settings_group', 'idp_sync_settings_role',
    'workspace_agent', 'workspace_app', 'prebuilds_settings', 'task', 'ai_seat', 'chat');
create type provisioner_type as enum ('echo', 'terraform');
create type provisioner_storage_method as enum ('file');
create type provisioner_job_type as enum (
    'template_version_import', 'workspace_build', 'template_version_dry_run');
create type app_sharing_level as enum ('owner', 'authenticated', 'organization', 'public');
create type workspace_app_health as enum ('disabled', 'initializing', 'healthy', 'unhealthy');
create type workspace_app_open_in as enum ('tab', 'window', 'slim-window');
create type workspace_agent_lifecycle_state as enum (
    'created', 'starting', 'start_timeout', 'start_error', 'ready', 'shutting_down',
    'shutdown_timeout', 'shutdown_error', 'off');
create type workspace_agent_subsystem as enum ('envbuilder', 'envbox', 'none', 'exectrace');
create type display_app as enum (
    'vscode', 'vscode_insiders', 'web_terminal', 'ssh_helper', 'port_forwarding_helper');
create type agent_key_scope_enum as enum ('all', 'no_user_data');
create type automatic_updates as enum ('always', 'never');
create type parameter_form_type as enum (
    '', 'error', 'radio', 'dropdown', 'input', 'textarea', 'slider', 'checkbox', 'switch',
    'tag-select', 'multi-select');
create type cors_behavior as enum ('simple', 'passthru');
create type shareable_workspace_owners as enum ('none', 'everyone', 'service_accounts');

create table users (
    id uuid not null primary key,
    email text not null,
    username text default '' not null,
    hashed_password bytea not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    status user_status default 'dormant' not null,
    rbac_roles text[] default '{}' not null,
    login_type login_type default 'password' not null,
    avatar_url text default '' not null,
    deleted boolean default false not null,
    last_seen_at timestamp default '0001-01-01 00:00:00' not null,
    quiet_hours_schedule text default '' not null,
    name text default '' not null,
    github_com_user_id bigint,
    hashed_one_time_passcode bytea,
    one_time_passcode_expires_at timestamptz,
    is_system boolean default false not null,
    is_service_account boolean default false not null,
    chat_spend_limit_micros bigint
);

create table organizations (
    id uuid not null primary key,
    name text not null,
    description text not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    is_default boolean default false not null,
    display_name text not null,
    icon text default '' not null,
    deleted boolean default false not null,
    shareable_workspace_owners shareable_workspace_owners default 'everyone' not null
);

create table organization_members (
    user_id uuid not null,
    organization_id uuid not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    roles text[] default '{}' not null,
    primary key (organization_id, user_id)
);

create table templates (
    id uuid not null primary key,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    organization_id uuid not null,
    deleted boolean default false not null,
    name varchar(64) not null,
    provisioner provisioner_type not null,
    active_version_id uuid not null,
    description varchar(128) default '' not null,
    default_ttl bigint default 604800000000000 not null,
    created_by uuid not null,
    icon varchar(256) default '' not null,
    user_acl jsonb default '{}' not null,
    group_acl jsonb default '{}' not null,
    display_name varchar(64) default '' not null,
    allow_user_cancel_workspace_jobs boolean default true not null,
    allow_user_autostart boolean default true not null,
    allow_user_autostop boolean default true not null,
    failure_ttl bigint default 0 not null,
    time_til_dormant bigint default 0 not null,
    time_til_dormant_autodelete bigint default 0 not null,
    autostop_requirement_days_of_week smallint default 0 not null,
    autostop_requirement_weeks bigint default 0 not null,
    autostart_block_days_of_week smallint default 0 not null,
    require_active_version boolean default false not null,
    deprecated text default '' not null,
    activity_bump bigint default 3600000000000 not null,
    max_port_sharing_level app_sharing_level default 'owner' not null,
    use_classic_parameter_flow boolean default false not null,
    cors_behavior cors_behavior default 'simple' not null,
    disable_module_cache boolean default false not null
);

create table provisioner_jobs (
    id uuid not null primary key,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    started_at timestamptz,
    canceled_at timestamptz,
    completed_at timestamptz,
    error text,
    organization_id uuid not null,
    initiator_id uuid not null,
    provisioner provisioner_type not null,
    storage_method provisioner_storage_method not null,
    type provisioner_job_type not null,
    input jsonb not null,
    worker_id uuid,
    file_id uuid not null,
    tags jsonb default '{"scope": "organization"}' not null,
    error_code text,
    trace_metadata jsonb,
    logs_length integer default 0 not null,
    logs_overflowed boolean default false not null
);

create table template_versions (
    id uuid not null primary key,
    template_id uuid,
    organization_id uuid not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    name varchar(64) not null,
    readme varchar(1048576) not null,
    job_id uuid not null,
    created_by uuid not null,
    external_auth_providers jsonb default '[]' not null,
    message varchar(1048576) default '' not null,
    archived boolean default false not null,
    source_example_id text,
    has_ai_task boolean,
    has_external_agent boolean
);

create table template_version_parameters (
    template_version_id uuid not null,
    name text not null,
    description text not null,
    type text not null,
    mutable boolean not null,
    default_value text not null,
    icon text not null,
    options jsonb default '[]' not null,
    validation_regex text not null,
    validation_min integer,
    validation_max integer,
    validation_error text default '' not null,
    validation_monotonic text default '' not null,
    required boolean default true not null,
    display_name text default '' not null,
    display_order integer default 0 not null,
    ephemeral boolean default false not null,
    form_type parameter_form_type default '' not null,
    unique (template_version_id, name)
);

create table workspaces (
    id uuid not null primary key,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    owner_id uuid not null,
    organization_id uuid not null,
    template_id uuid not null,
    deleted boolean default false not null,
    name varchar(64) not null,
    autostart_schedule text,
    ttl bigint,
    last_used_at timestamptz default '0001-01-01 00:00:00+00' not null,
    dormant_at timestamptz,
    deleting_at timestamptz,
    automatic_updates automatic_updates default 'never' not null,
    favorite boolean default false not null,
    next_start_at timestamptz,
    group_acl jsonb default '{}' not null,
    user_acl jsonb default '{}' not null
);

create table workspace_builds (
    id uuid not null primary key,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    workspace_id uuid not null,
    template_version_id uuid not null,
    build_number integer not null,
    transition workspace_transition not null,
    initiator_id uuid not null,
    provisioner_state bytea,
    job_id uuid not null unique,
    deadline timestamptz default '0001-01-01 00:00:00+00' not null,
    reason build_reason default 'initiator' not null,
    daily_cost integer default 0 not null,
    max_deadline timestamptz default '0001-01-01 00:00:00+00' not null,
    template_version_preset_id uuid,
    has_ai_task boolean,
    has_external_agent boolean,
    unique (workspace_id, build_number)
);

create table workspace_build_parameters (
    workspace_build_id uuid not null,
    name text not null,
    value text not null,
    unique (workspace_build_id, name)
);

create table workspace_resources (
    id uuid not null primary key,
    created_at timestamptz not null,
    job_id uuid not null,
    transition workspace_transition not null,
    type varchar(192) not null,
    name varchar(64) not null,
    hide boolean default false not null,
    icon varchar(256) default '' not null,
    instance_type varchar(256),
    daily_cost integer default 0 not null,
    module_path text
);

create table workspace_agents (
    id uuid not null primary key,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    name varchar(64) not null,
    first_connected_at timestamptz,
    last_connected_at timestamptz,
    disconnected_at timestamptz,
    resource_id uuid not null,
    auth_token uuid not null,
    auth_instance_id varchar,
    architecture varchar(64) not null,
    environment_variables jsonb,
    operating_system varchar(64) not null,
    instance_metadata jsonb,
    resource_metadata jsonb,
    directory varchar(4096) default '' not null,
    version text default '' not null,
    last_connected_replica_id uuid,
    connection_timeout_seconds integer default 0 not null,
    troubleshooting_url text default '' not null,
    motd_file text default '' not null,
    lifecycle_state workspace_agent_lifecycle_state default 'created' not null,
    expanded_directory varchar(4096) default '' not null,
    logs_length integer default 0 not null,
    logs_overflowed boolean default false not null,
    started_at timestamptz,
    ready_at timestamptz,
    subsystems workspace_agent_subsystem[] default '{}',
    display_apps display_app[] default '{vscode,vscode_insiders,web_terminal,ssh_helper,port_forwarding_helper}',
    api_version text default '' not null,
    display_order integer default 0 not null,
    parent_id uuid,
    api_key_scope agent_key_scope_enum default 'all' not null,
    deleted boolean default false not null
);

create table workspace_apps (
    id uuid not null primary key,
    created_at timestamptz not null,
    agent_id uuid not null,
    display_name varchar(64) not null,
    icon varchar(256) not null,
    command varchar(65534),
    url varchar(65534),
    healthcheck_url text default '' not null,
    healthcheck_interval integer default 0 not null,
    healthcheck_threshold integer default 0 not null,
    health workspace_app_health default 'disabled' not null,
    subdomain boolean default false not null,
    sharing_level app_sharing_level default 'owner' not null,
    slug text not null,
    external boolean default false not null,
    display_order integer default 0 not null,
    hidden boolean default false not null,
    open_in workspace_app_open_in default 'slim-window' not null,
    display_group text,
    tooltip varchar(2048) default '' not null,
    unique (agent_id, slug)
);

-- The agent stats of Coder releases that keep the four session counts as columns; the
-- tests alter this table for the two newer shapes (session_counts.sql).
create table workspace_agent_stats (
    id uuid not null primary key,
    created_at timestamptz not null,
    user_id uuid not null,
    agent_id uuid not null,
    workspace_id uuid not null,
    template_id uuid not null,
    connections_by_proto jsonb default '{}' not null,
    connection_count bigint default 0 not null,
    rx_packets bigint default 0 not null,
    rx_bytes bigint default 0 not null,
    tx_packets bigint default 0 not null,
    tx_bytes bigint default 0 not null,
    connection_median_latency_ms double precision default -1 not null,
    session_count_vscode bigint default 0 not null,
    session_count_jetbrains bigint default 0 not null,
    session_count_reconnecting_pty bigint default 0 not null,
    session_count_ssh bigint default 0 not null,
    usage boolean default false not null
);

create table workspace_app_stats (
    id bigserial primary key,
    user_id uuid not null,
    workspace_id uuid not null,
    agent_id uuid not null,
    access_method text not null,
    slug_or_port text not null,
    session_id uuid not null,
    session_started_at timestamptz not null,
    session_ended_at timestamptz not null,
    requests integer not null,
    unique (user_id, agent_id, session_id)
);

create table audit_logs (
    id uuid not null primary key,
    "time" timestamptz not null,
    user_id uuid not null,
    organization_id uuid not null,
    ip inet,
    user_agent varchar(256),
    resource_type resource_type not null,
    resource_id uuid not null,
    resource_target text not null,
    action audit_action not null,
    diff jsonb not null,
    status_code integer not null,
    additional_fields jsonb not null,
    request_id uuid not null,
    resource_icon text not null
);

create table template_usage_stats (
    start_time timestamptz not null,
    end_time timestamptz not null,
    template_id uuid not null,
    user_id uuid not null,
    median_latency_ms real,
    usage_mins smallint not null,
    ssh_mins smallint not null,
    sftp_mins smallint not null,
    reconnecting_pty_mins smallint not null,
    vscode_mins smallint not null,
    jetbrains_mins smallint not null,
    app_usage_mins jsonb,
    primary key (start_time, template_id, user_id)
);
