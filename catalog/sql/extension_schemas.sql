-- Which of the schemas extensions are to be created in exist ($1: names).
select nspname::text from pg_namespace where nspname = any($1::text[]) order by 1
