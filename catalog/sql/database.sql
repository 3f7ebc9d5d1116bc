-- This database: owner and privileges (as text, parsed by the caller).
select pg_get_userbyid(d.datdba)::text, coalesce(d.datacl, acldefault('d', d.datdba))::text
from pg_database d
where d.datname = current_database()
