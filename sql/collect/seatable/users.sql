-- collect seatable users: every user with a profile, read whole (no column dates a change):
-- the nickname as stored (the report applies SeaTable's display rule) and the team from
-- ccnet's OrgUser (the lowest org id of a user in several: ccnet's own lookup takes the
-- first row of an unordered query, so a stable choice; -1 for none). A user without a
-- profile row is left out: SeaTable names them by their username.
-- Never the contact e-mail, phone, login id or password.
-- database: dtable
with

memberships as (
    select
        email,
        min(org_id) as org_id
    from {ccnet}.OrgUser
    group by email
)

select
    profiles.`user` as username,
    profiles.nickname,
    coalesce(memberships.org_id, -1) as org_id
from {dtable}.profile_profile as profiles
left join memberships on memberships.email = profiles.`user`
order by profiles.`user`
