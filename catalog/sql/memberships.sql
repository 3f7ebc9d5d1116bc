-- Role memberships: role, member, admin option (any grantor).
select r.rolname::text, m.rolname::text, bool_or(am.admin_option)
from pg_auth_members am
join pg_roles r on r.oid = am.roleid
join pg_roles m on m.oid = am.member
group by 1, 2
order by 1, 2
