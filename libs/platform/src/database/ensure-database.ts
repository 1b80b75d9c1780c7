import pg from 'pg';

/** Raised at start-up when PostgreSQL cannot be reached; its message says what to do. */
export class PostgresUnavailableError extends Error {
  constructor(serverUrl: string, cause: unknown) {
    const where = new URL(serverUrl);
    super(
      `Cannot reach PostgreSQL at ${where.hostname}:${where.port || 5432} ` +
        `(${cause instanceof Error ? cause.message || cause.name : String(cause)}). ` +
        `Start it (e.g. "pg_ctlcluster <version> main start") or set POSTGRES_URL.`,
    );
    this.name = 'PostgresUnavailableError';
  }
}

const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505';
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * Creates the service's database if it does not exist yet. Each service owns exactly one database
 * and creates it itself, so a fresh server needs no setup. Safe when replicas race. Deployed, a
 * service connects as its own role, which may not create databases: there its database was made
 * (owned by that role) by deploy/postgres/init-service-roles.sh, and this only finds it.
 */
export async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new PostgresUnavailableError(serverUrl, error);
  }
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) {
      // Identifiers cannot be parameters; the name is validated by the config schema.
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === INSUFFICIENT_PRIVILEGE) {
      throw new Error(
        `The database ${database} does not exist and the role ${decodeURIComponent(url.username) || '(default)'} may not create it: ` +
          `create the services' roles and databases first (deploy/postgres/init-service-roles.sh).`,
        { cause: error },
      );
    }
    if (code !== DUPLICATE_DATABASE && code !== UNIQUE_VIOLATION) throw error;
  } finally {
    await client.end();
  }
}

/** Drops a database (tests clean up after themselves). */
export async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${database.replace(/"/g, '')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
