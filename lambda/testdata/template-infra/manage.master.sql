-- The statements infra/modules/database/resources/role_manager/manage.py
-- (navapbc/template-infra 8b7bc38) runs over the master connection
-- (db.connect_as_master_user, DB_USER=postgres), in order, for
-- DB_NAME=app DB_SCHEMA=app APP_USER=app MIGRATOR_USER=migrator and
-- superuser_extensions = {} (so configure_superuser_extensions runs none).
-- One statement per paragraph, as pg8000's conn.run sends them.

REVOKE CREATE ON SCHEMA public FROM PUBLIC;

REVOKE ALL ON DATABASE app FROM PUBLIC;

ALTER DATABASE app SET search_path TO app;

DO $$
        BEGIN
            CREATE USER migrator;
            EXCEPTION WHEN DUPLICATE_OBJECT THEN
            RAISE NOTICE 'user already exists';
        END
        $$;

GRANT rds_iam TO migrator;

GRANT CONNECT ON DATABASE app TO migrator;

DO $$
        BEGIN
            CREATE USER app;
            EXCEPTION WHEN DUPLICATE_OBJECT THEN
            RAISE NOTICE 'user already exists';
        END
        $$;

GRANT rds_iam TO app;

GRANT CONNECT ON DATABASE app TO app;

CREATE SCHEMA IF NOT EXISTS app;

ALTER SCHEMA app OWNER TO migrator;

GRANT USAGE ON SCHEMA app TO app;
