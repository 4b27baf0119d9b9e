-- rpt_coder_app_versions_held: every instant at which a version of a Coder workspace or
-- workspace app starts or stops being current, in microseconds since the epoch: between
-- two of them the app catalogue as of any instant (rpt_coder_app_catalogue) is the same.
-- key: changed_us
-- inputs: stg_coder_workspace_apps, stg_coder_workspaces
with

instants as (
    select valid_from as changed from stg_coder_workspace_apps
    union
    select valid_to from stg_coder_workspace_apps
    union
    select valid_from from stg_coder_workspaces
    union
    select valid_to from stg_coder_workspaces
),

final as (
    select epoch_us(changed) as changed_us,
    from instants
    where changed is not null
    order by changed_us
)

select * from final
