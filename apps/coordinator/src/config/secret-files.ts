import * as fs from 'node:fs';
import type { DatabaseTarget } from './app-config';
import type { ConfigErrorFactory } from './listen-config';

/**
 * A secret given as a file (a Docker secret under /run/secrets, an env file kept out of argv):
 * `<NAME>_FILE` names the file, whose text without its trailing newline is the value. Giving both
 * `<NAME>` and `<NAME>_FILE` is refused, so it is clear which one is used.
 *
 * @example secretFromFile({ FEDALN_ADMIN_TOKEN_FILE: '/run/secrets/admin_token' }, 'FEDALN_ADMIN_TOKEN', fail)
 */
export function secretFromFile(
  env: NodeJS.ProcessEnv,
  name: string,
  fail: ConfigErrorFactory,
): string | undefined {
  const file = env[`${name}_FILE`];
  if (file === undefined || file === '') return undefined;
  if (env[name]) throw fail(`${name}_FILE`, file, `to be given alone; unset ${name} or ${name}_FILE`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw fail(`${name}_FILE`, file, `a readable file holding the secret (${(e as Error).message})`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw fail(`${name}_FILE`, file, 'a file holding the secret (it is empty)');
  return value;
}

/**
 * `DATABASE_URL` with the password of `DATABASE_PASSWORD_FILE` put in (URL-encoded), so the URL
 * itself holds no secret and the password is the same file PostgreSQL's `POSTGRES_PASSWORD_FILE` reads.
 *
 * @example withDatabasePassword({ kind: 'postgres', url: 'postgres://fedaln@db/fedaln' }, 'pw', fail).url // 'postgres://fedaln:pw@db/fedaln'
 */
export function withDatabasePassword(
  target: DatabaseTarget,
  password: string | undefined,
  fail: ConfigErrorFactory,
): DatabaseTarget {
  if (password === undefined) return target;
  if (target.kind !== 'postgres')
    throw fail(
      'DATABASE_PASSWORD_FILE',
      '<set>',
      'to come with DATABASE_URL (unset it to use embedded PGlite)',
    );
  const url = new URL(target.url);
  if (url.password !== '')
    throw fail(
      'DATABASE_URL',
      '<has a password>',
      'no password in the URL when DATABASE_PASSWORD_FILE gives it',
    );
  url.password = encodeURIComponent(password);
  return { kind: 'postgres', url: url.toString() };
}
