import { ChainCheck, type ChainAnchor } from './audit-chain';
import type { AuditChainReader } from './audit-log';

const PAGE = 1000;

/**
 * Walks the whole audit chain from its first row, a page at a time, and returns the first break (or
 * the number of rows and the head). What it proves and does not: README "A tamper-evident audit trail".
 *
 * @example
 * const result = await verifyAuditChain(reader, parseAnchor('1042:9f…'));
 * if (!result.ok) console.error(result.broken.message);
 */
export async function verifyAuditChain(reader: AuditChainReader, anchor: ChainAnchor | null = null) {
  const check = new ChainCheck(anchor);
  let after: string | null = null;
  for (;;) {
    const rows = await reader.page(after, PAGE);
    for (const row of rows) if (!check.add(row)) return check.finish();
    if (rows.length < PAGE) return check.finish();
    after = (rows.at(-1) as { id: string }).id;
  }
}
