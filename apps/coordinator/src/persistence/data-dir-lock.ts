import * as fs from 'node:fs';
import * as path from 'node:path';
import { PRIVATE_DIR_MODE } from './private-dir';

/**
 * PGlite is a single-process database: two processes on one data directory corrupt it. The opener
 * takes `<dir>.lock` (exclusive create, holding its pid) and removes it on close; a lock whose pid is
 * gone is stale and taken over.
 */
export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `the embedded database ${dir} is in use by process ${pid} (probably \`fedaln-coordinator serve\`). ` +
        'Stop that process first, or use the REST API of the running server (POST /api/sites, POST /api/studies), ' +
        'or run the coordinator on PostgreSQL (DATABASE_URL) so several processes can share it.',
    );
    this.name = 'DataDirLockedError';
  }
}

/** Takes the lock for `dir`; returns the function that releases it. */
export function lockDataDir(dir: string): () => void {
  const file = `${dir}.lock`;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  for (let tries = 0; tries < 2; tries++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(file, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid))
        throw new DataDirLockedError(dir, pid);
      fs.rmSync(file, { force: true }); // stale: its owner died without releasing it
    }
  }
  throw new Error(`could not lock ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
