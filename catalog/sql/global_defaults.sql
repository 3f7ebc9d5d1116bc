-- Database-wide default privileges (ALTER DEFAULT PRIVILEGES without IN
-- SCHEMA): creator, object type, ACL as text. Such a row replaces the
-- built-in defaults of what its creator makes anywhere in this database;
-- there is at most one per creator and object type, so this is a few rows.
select pg_get_userbyid(d.defaclrole)::text, d.defaclobjtype::text, d.defaclacl::text
from pg_default_acl d
where d.defaclnamespace = 0
order by 1, 2
