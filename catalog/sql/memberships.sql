-- Role memberships: role, member, admin option, and who granted them. On
-- PostgreSQL 16+ a membership may be held several times from different
-- grantors, and REVOKE removes only the grant of the grantor it names.
select r.rolname::text, m.rolname::text, bool_or(am.admin_option),
       array_agg(distinct coalesce(g.rolname::text, '') order by coalesce(g.rolname::text, ''))
from pg_auth_members am
join pg_roles r on r.oid = am.roleid
join pg_roles m on m.oid = am.member
left join pg_roles g on g.oid = am.grantor
group by 1, 2
order by 1, 2
