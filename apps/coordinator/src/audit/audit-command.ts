import { UsageError } from '@fedaln/cli-flags';
import type { DatabaseTarget } from '../config/app-config';
import { openDatabase } from '../persistence/data-source';
import { TypeOrmAuditChainReader } from '../persistence/typeorm-audit-log';
import { parseAnchor, type ChainHead } from './audit-chain';
import { verifyAuditChain } from './verify-audit-chain';

function headLine(head: ChainHead | null): string {
  return head ? `${head.id}:${head.hash} at ${head.at.toISOString()}` : 'none (the audit log is empty)';
}

/**
 * `fedaln-coordinator audit verify [--anchor ID:HASH] [--json]` and `audit head [--json]`, over the
 * configured database (DATABASE_URL, or the PGlite folder of --data-dir while `serve` is stopped).
 * Returns the exit code: 0 when the chain verifies, 1 at the first broken row (named on stderr).
 */
export async function auditCommand(
  database: DatabaseTarget,
  sub: string | undefined,
  anchorText: string | undefined,
  json: boolean,
): Promise<number> {
  if (sub !== 'verify' && sub !== 'head')
    throw new UsageError(
      `unknown audit command ${JSON.stringify(sub)}: expected "audit verify" or "audit head"`,
    );
  const anchor = anchorText === undefined ? null : parseAnchor(anchorText);
  if (anchorText !== undefined && !anchor)
    throw new UsageError(
      `--anchor ${JSON.stringify(anchorText)} is not ID:HASH (a row id and 64 lower-case hex digits, as \`fedaln-coordinator audit head\` prints them)`,
    );
  if (sub === 'head' && anchor) throw new UsageError('--anchor is for `audit verify`, not `audit head`');
  const db = await openDatabase(database);
  try {
    const reader = new TypeOrmAuditChainReader(db.dataSource);
    if (sub === 'head') {
      const head = await reader.head();
      process.stdout.write(
        json
          ? `${JSON.stringify(head && { id: head.id, hash: head.hash, at: head.at.toISOString() })}\n`
          : `${head ? `${head.id}:${head.hash}  ${head.at.toISOString()}` : 'the audit log is empty'}\n`,
      );
      return 0;
    }
    const result = await verifyAuditChain(reader, anchor);
    if (json) {
      process.stdout.write(
        `${JSON.stringify(
          result.ok
            ? {
                ok: true,
                rows: result.rows,
                head: result.head && { ...result.head, at: result.head.at.toISOString() },
              }
            : { ok: false, rows: result.rows, broken: result.broken },
        )}\n`,
      );
    } else if (result.ok) {
      process.stdout.write(
        `audit chain verified: ${result.rows} rows; head ${headLine(result.head)}${anchor ? `; contains the anchored row ${anchor.id}` : ''}\n`,
      );
    }
    if (result.ok) return 0;
    process.stderr.write(
      `fedaln-coordinator: audit chain broken after ${result.rows} good rows\n  ${result.broken.message}\n`,
    );
    return 1;
  } finally {
    await db.close();
  }
}
