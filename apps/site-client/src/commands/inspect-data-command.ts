import { decodeForInspection, DicomRefusal, pixelsToPng, type DicomImageInfo } from '@fedaln/model';
import { readSiteFolder } from '@fedaln/site-data';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { InspectDataCommand } from '../cli/parse-inspect-data';
import { formatInspectedRow, inspectedRow, type InspectedRow } from '../data/inspect-rows';

interface Seen {
  image: string;
  dicom: DicomImageInfo | null;
  size: [number, number] | null;
}

/**
 * `fedaln-site inspect-data`: reads the folder exactly as training does (readSiteFolder with the
 * model's decoder) and lists each row. Exit 0 when every row is usable, 1 otherwise.
 */
export async function inspectDataCommand(
  cmd: InspectDataCommand,
  out: (line: string) => void,
  log: (line: string) => void,
): Promise<number> {
  const dir = path.resolve(cmd.data);
  if (cmd.dumpPng) await mkdir(cmd.dumpPng, { recursive: true });
  const seen = new Map<number, Seen>();
  const folder = await readSiteFolder(dir, {
    seed: cmd.seed,
    openImage: async (imagePath, row) => {
      const image = path.relative(dir, imagePath);
      const line = row?.line ?? 0;
      try {
        const { pixels, dicom } = await decodeForInspection(imagePath, { frame: row?.frame ?? null });
        seen.set(line, { image, dicom, size: [pixels.width, pixels.height] });
        if (cmd.dumpPng)
          await writeFile(path.join(cmd.dumpPng, `line-${line}.png`), await pixelsToPng(pixels));
      } catch (err) {
        seen.set(line, { image, dicom: err instanceof DicomRefusal ? err.info : null, size: null });
        throw err;
      }
      return undefined;
    },
  });
  const rows: InspectedRow[] = [
    ...folder.cases.map((c) => ({ line: c.line ?? 0, caseId: c.caseId, reason: null })),
    ...folder.bad.map((b) => ({ line: b.line, caseId: b.caseId, reason: b.reason })),
  ]
    .filter((r) => r.line > 0)
    .sort((a, b) => a.line - b.line)
    .map((r) => {
      const s = seen.get(r.line);
      return inspectedRow({ ...r, image: s?.image ?? null, dicom: s?.dicom ?? null, size: s?.size ?? null });
    });
  for (const r of rows) out(cmd.json ? JSON.stringify(r) : formatInspectedRow(r));
  const refused = rows.filter((r) => r.status === 'refused').length;
  log(
    `${rows.length} rows in ${path.join(dir, 'labels.csv')}: ${rows.length - refused} usable, ${refused} refused` +
      (cmd.dumpPng ? `; images written to ${cmd.dumpPng}/line-N.png` : ''),
  );
  return refused > 0 ? 1 : 0;
}
