/**
 * A fresh, empty PostgreSQL database for one e2e run when DATABASE_URL is set (the coordinator
 * migrates it from nothing), dropped afterwards; without DATABASE_URL the coordinator uses PGlite.
 */
import { randomBytes } from 'node:crypto';

interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}
// `pg` ships no types here (no @types/pg); this is the part of its API used.
const { Client } = require('pg') as { Client: new (options: { connectionString: string }) => PgClient };

async function admin(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface FreshDatabase {
  /** `DATABASE_URL` for the coordinator: '' selects PGlite. */
  readonly url: string;
  drop(): Promise<void>;
}

export async function freshDatabase(
  label: string,
  adminUrl = process.env.DATABASE_URL,
): Promise<FreshDatabase> {
  if (!adminUrl) return { url: '', drop: async () => undefined };
  // An unquoted identifier: the label's letters and digits only ('metrics-reports' → metrics_reports).
  const safe = label.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const name = `fedaln_e2e_${safe}_${randomBytes(4).toString('hex')}`;
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
