import { clinicalFeatureRows, nomogramPredict, type Nomogram } from '@fedaln/metrics';
import { CASE_ID_COLUMN, csvField, parseLabelsCsv } from '@fedaln/site-data';
import * as path from 'node:path';
import { readModelNomogram } from '../release/model-folder';
import { promises as fs } from 'node:fs';
import type { PredictCommand } from '../cli/parse-command';
import { loadImage, modelInputSize, predictProbabilities } from '@fedaln/model';
import { ProgressLine } from '../progress/progress-line';
import { loadModelDir } from './load-model';

/**
 * Each image's four features from a labels.csv (`--labels`), by its resolved path (the labels.csv
 * `image` column is relative to the file's folder); an image whose row lacks a usable feature is left
 * out with the reason logged.
 */
async function featuresByImage(file: string, log: (line: string) => void): Promise<Map<string, number[]>> {
  const table = parseLabelsCsv(await fs.readFile(file, 'utf8'), file);
  const out = new Map<string, number[]>();
  for (const r of table.records) {
    try {
      const [row] = clinicalFeatureRows([{ [CASE_ID_COLUMN]: r.caseId, ...r.features }]);
      out.set(path.resolve(path.dirname(file), r.image), row!);
    } catch (e) {
      log(`${file} line ${r.line}: no combined probability for ${r.image}: ${(e as Error).message}`);
    }
  }
  return out;
}

/**
 * `fedaln-site predict`: one `image,probability` row per readable image, in the order given,
 * batched; unreadable images are listed on stderr and the others go on. Exit code 1 if any failed.
 * With the release's `nomogram.json` beside the model (issue 15) a `recalibrated` column follows (the
 * Platt recalibration), and with `--labels` a `combined` column (the combined model of the DL logit
 * and the four features; empty where an image has no usable features).
 */
export async function predictCommand(cmd: PredictCommand, log: (line: string) => void): Promise<number> {
  const model = await loadModelDir(cmd.model, cmd, log);
  const size = modelInputSize(model);
  const progress = new ProgressLine(process.stderr);
  const nomogram: Nomogram | null = await readModelNomogram(cmd.model).catch((e: unknown) => {
    model.dispose();
    throw e;
  });
  const features = cmd.labels && nomogram?.combined ? await featuresByImage(cmd.labels, log) : null;
  if (cmd.labels && nomogram && !nomogram.combined)
    log(`the release's nomogram has no combined model (no site had the features); --labels is not used`);
  if (cmd.labels && !nomogram) log(`model ${cmd.model} has no nomogram.json; --labels is not used`);
  const header = [
    'image',
    'probability',
    ...(nomogram ? ['recalibrated'] : []),
    ...(features ? ['combined'] : []),
  ];
  const rows: string[] = [header.join(',')];
  const failed: string[] = [];
  try {
    for (let start = 0; start < cmd.images.length; start += cmd.batch) {
      const names: string[] = [];
      const images: Float32Array[] = [];
      for (const image of cmd.images.slice(start, start + cmd.batch)) {
        try {
          images.push(await loadImage(image, size));
          names.push(image);
        } catch (err) {
          failed.push(image);
          progress.end();
          log(`skipped ${image}: ${(err as Error).message}`);
        }
      }
      const p = images.length > 0 ? await predictProbabilities(model, images, { batchSize: cmd.batch }) : [];
      names.forEach((name, k) => {
        const cells = [csvField(name), String(p[k])];
        if (nomogram) {
          const f = features?.get(path.resolve(name)) ?? null;
          const r = nomogramPredict(nomogram, p[k]!, f);
          cells.push(String(r.recalibrated));
          if (features) cells.push(r.combined === null ? '' : String(r.combined));
        }
        rows.push(cells.join(','));
      });
      const done = Math.min(start + cmd.batch, cmd.images.length);
      progress.update({
        label: 'predict',
        done,
        total: cmd.images.length,
        detail: `${done}/${cmd.images.length} images`,
      });
    }
  } finally {
    progress.end();
    model.dispose();
  }
  const csv = `${rows.join('\n')}\n`;
  if (cmd.out) {
    await fs.writeFile(cmd.out, csv);
    log(`${rows.length - 1} predictions written to ${cmd.out}`);
  } else {
    process.stdout.write(csv);
  }
  if (failed.length > 0) {
    log(`${failed.length} of ${cmd.images.length} images could not be read: ${failed.join(', ')}`);
    return 1;
  }
  return 0;
}
