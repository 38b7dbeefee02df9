import { csvField } from '@fedaln/site-data';
import { promises as fs } from 'node:fs';
import type { PredictCommand } from '../cli/parse-command';
import { loadImage, modelInputSize, predictProbabilities } from '@fedaln/model';
import { ProgressLine } from '../progress/progress-line';
import { loadModelDir } from './load-model';

/**
 * `fedaln-site predict`: one `image,probability` row per readable image, in the order given,
 * batched; unreadable images are listed on stderr and the others go on. Exit code 1 if any failed.
 */
export async function predictCommand(cmd: PredictCommand, log: (line: string) => void): Promise<number> {
  const model = await loadModelDir(cmd.model, cmd, log);
  const size = modelInputSize(model);
  const progress = new ProgressLine(process.stderr);
  const rows: string[] = ['image,probability'];
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
      names.forEach((name, k) => rows.push(`${csvField(name)},${p[k]}`));
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
