"""PostgreSQL through asyncpg: the pool, tenant transactions, repositories, migrations."""
