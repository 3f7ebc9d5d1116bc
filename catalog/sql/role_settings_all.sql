-- Role settings for all databases (ALTER ROLE ... SET without IN
-- DATABASE): they apply in this database too. One row per role that has any.
select r.rolname::text, s.setconfig
from pg_db_role_setting s
join pg_roles r on r.oid = s.setrole
where s.setdatabase = 0
