-- Which of the settings a spec names ($1: lower-case names) the connected
-- user may not set with ALTER ROLE/DATABASE ... SET unless a superuser:
-- known settings of any context but "user", and custom placeholders
-- ("myapp.note") on every version. From 15 the formats below test
-- has_parameter_privilege (GRANT SET ON PARAMETER lets a non-superuser set
-- one); before, they are both "true". See catalog.go.
select n::text
from unnest($1::text[]) n
left join pg_settings s on lower(s.name) = n
where (s.name is not null and s.context <> 'user' and %[1]s)
   or (s.name is null and n like '%%.%%' and %[2]s)
order by 1
