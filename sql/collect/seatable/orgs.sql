-- collect seatable orgs: every team (ccnet's Organization), read whole: ccnet dates no
-- change (a rename is made in place). Never the creator or the URL prefix.
-- database: ccnet
select
    org_id,
    org_name
from {ccnet}.Organization
order by org_id
