import { isIP } from 'node:net';
import * as path from 'node:path';
import { parseCrashPoint, type CrashPoint } from './crash-point';
import { LOOPBACK_PLAIN, parseListen, type ListenConfig, type ListenFlags } from './listen-config';
import { secretFromFile, withDatabasePassword } from './secret-files';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where the coordinator keeps its rows: a PostgreSQL server, or PGlite embedded in the data dir. */
export type DatabaseTarget =
  { readonly kind: 'postgres'; readonly url: string } | { readonly kind: 'pglite'; readonly dataDir: string };

/**
 * The coordinator's whole configuration, validated once at boot (STYLE.md habit 6). It is also the DI
 * token under which Nest provides it.
 */
export class AppConfig {
  constructor(
    readonly dataDir: string,
    readonly port: number,
    readonly database: DatabaseTarget,
    /** Set when the lead fixes the admin token by environment; otherwise one is generated and stored hashed. */
    readonly adminToken: string | undefined,
    readonly logLevel: LogLevel,
    /**
     * Test hook, `FEDALN_TEST_AGGREGATION_DELAY_MS`: every aggregation pauses this long after
     * "aggregation started" is logged, so the e2e suite can SIGKILL the coordinator there. 0 otherwise.
     */
    readonly testAggregationDelayMs = 0,
    /**
     * `FEDALN_TRUSTED_PROXIES` (comma-separated IP addresses): reverse proxies whose
     * `X-Forwarded-For` names the client for the failed-authentication limit. Empty: the header is
     * ignored and the TCP peer counts.
     */
    readonly trustedProxies: readonly string[] = [],
    /** `--host`, TLS or plain (listen-config.ts); plain HTTP on loopback by default. */
    readonly listen: ListenConfig = LOOPBACK_PLAIN,
    /** Test hook, `FEDALN_CRASH_AT` (crash-point.ts): where the process SIGKILLs itself; null normally. */
    readonly crashAt: CrashPoint | null = null,
  ) {}

  get blobDir(): string {
    return path.join(this.dataDir, 'blobs');
  }
}

/** A bad setting: names the variable (or flag), the bad value, what was expected and how to fix it. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string,
    expected: string,
  ) {
    super(
      `${variable}=${JSON.stringify(value)} is invalid: expected ${expected}. Fix ${variable} and start again.`,
    );
    this.name = 'ConfigError';
  }
}

/** Command-line overrides; a flag wins over its environment variable. */
export interface ConfigFlags extends ListenFlags {
  readonly port?: string;
  readonly dataDir?: string;
}

/**
 * Reads and validates the environment (+ flags). Throws `ConfigError` on the first bad value.
 *
 * @example
 * const config = loadConfig(process.env, { port: '9000' });
 */
export function loadConfig(env: NodeJS.ProcessEnv, flags: ConfigFlags = {}, cwd = process.cwd()): AppConfig {
  const dataDirRaw = flags.dataDir ?? env.FEDALN_DATA_DIR ?? './data/coordinator';
  const dataDirName = flags.dataDir !== undefined ? '--data-dir' : 'FEDALN_DATA_DIR';
  if (dataDirRaw.trim() === '' || dataDirRaw.includes('\0')) {
    throw new ConfigError(dataDirName, dataDirRaw, 'a directory path');
  }
  const dataDir = path.resolve(cwd, dataDirRaw);
  const port = parsePort(flags.port ?? env.PORT, flags.port !== undefined ? '--port' : 'PORT');
  const fail = (name: string, value: string, expected: string) => new ConfigError(name, value, expected);
  // DATABASE_PASSWORD_FILE and FEDALN_ADMIN_TOKEN_FILE keep secrets out of the environment (secret-files.ts).
  const database = withDatabasePassword(
    parseDatabase(env.DATABASE_URL, dataDir),
    secretFromFile(env, 'DATABASE_PASSWORD', fail),
    fail,
  );
  const adminTokenFile = secretFromFile(env, 'FEDALN_ADMIN_TOKEN', fail);
  const adminToken = parseAdminToken(
    adminTokenFile ?? env.FEDALN_ADMIN_TOKEN,
    adminTokenFile === undefined ? 'FEDALN_ADMIN_TOKEN' : 'FEDALN_ADMIN_TOKEN_FILE',
  );
  const logLevel = parseLogLevel(env.LOG_LEVEL);
  const delay = parseMilliseconds(env.FEDALN_TEST_AGGREGATION_DELAY_MS, 'FEDALN_TEST_AGGREGATION_DELAY_MS');
  const trustedProxies = parseTrustedProxies(env.FEDALN_TRUSTED_PROXIES);
  const listen = parseListen(env, flags, cwd, fail);
  const crashAt = parseCrashPoint(env.FEDALN_CRASH_AT, fail);
  return new AppConfig(dataDir, port, database, adminToken, logLevel, delay, trustedProxies, listen, crashAt);
}

function parsePort(raw: string | undefined, name: string): number {
  if (raw === undefined || raw === '') return 8080;
  const n = Number(raw);
  // 0 lets the OS choose a free port (used by the e2e tests).
  if (!/^\d+$/.test(raw) || n > 65535) throw new ConfigError(name, raw, 'an integer port from 0 to 65535');
  return n;
}

function parseDatabase(raw: string | undefined, dataDir: string): DatabaseTarget {
  if (raw === undefined || raw === '') return { kind: 'pglite', dataDir: path.join(dataDir, 'pg') };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      'DATABASE_URL',
      raw,
      'a URL like postgres://user:password@host:5432/db (or unset for embedded PGlite)',
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(
      'DATABASE_URL',
      raw,
      'a postgres:// or postgresql:// URL (or unset for embedded PGlite)',
    );
  }
  return { kind: 'postgres', url: raw };
}

function parseAdminToken(raw: string | undefined, name: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 24 || /\s/.test(raw)) {
    throw new ConfigError(
      name,
      '<redacted>',
      'at least 24 characters without spaces (or unset to generate one)',
    );
  }
  return raw;
}

function parseTrustedProxies(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  const addresses = raw.split(',').map((a) => a.trim().toLowerCase());
  for (const a of addresses) {
    if (isIP(a) === 0) {
      throw new ConfigError(
        'FEDALN_TRUSTED_PROXIES',
        raw,
        `comma-separated IP addresses of your reverse proxies ("${a}" is not one), or unset`,
      );
    }
  }
  return addresses;
}

function parseLogLevel(raw: string | undefined): LogLevel {
  if (raw === undefined || raw === '') return 'info';
  const level = LOG_LEVELS.find((l) => l === raw);
  if (!level) throw new ConfigError('LOG_LEVEL', raw, `one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

function parseMilliseconds(raw: string | undefined, name: string): number {
  if (raw === undefined || raw === '') return 0;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, raw, 'milliseconds (an integer)');
  return Number(raw);
}
