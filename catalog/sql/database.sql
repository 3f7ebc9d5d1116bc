-- This database's privileges (owner's implicit ones left out) and settings.
select 'acl', coalesce(g.rolname::text, 'PUBLIC'), a.privilege_type
from pg_database d
cross join lateral aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
left join pg_roles g on g.oid = a.grantee
where d.datname = current_database() and a.grantee <> d.datdba
union all
select 'setting', '', unnest(s.setconfig)
from pg_db_role_setting s
where s.setrole = 0 and s.setdatabase = (select oid from pg_database where datname = current_database())
order by 1, 2, 3
