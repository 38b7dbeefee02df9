import { adaptBatchNorm, layersFormatDir, loadImage, modelInputSize } from '@fedaln/model';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AdaptCommand } from '../cli/parse-command';
import { loadModelDir } from './load-model';

/** Image files adapt reads from the data folder (as `labels.csv` may name them). */
const IMAGE_FILE = /\.(png|jpe?g|dcm)$/i;

/**
 * `fedaln-site adapt` (README "Strategies"): AdaBN (Li et al. 2016; @fedaln/model adabn.ts) for a
 * site that never trained in a FedBN study: every BatchNorm layer's moving mean and variance are
 * re-estimated on this site's unlabelled images, the other weights kept, and the model written to a
 * new folder (tfjs layers format) with `adapted.json` saying what it came from. Refuses a missing or
 * image-less data folder, an unreadable image, and an --out folder that already holds files.
 */
export async function adaptCommand(cmd: AdaptCommand, log: (line: string) => void): Promise<number> {
  const entries = await fs.readdir(cmd.data).catch((e: Error) => {
    throw new Error(
      `fedaln-site adapt: --data ${cmd.data} cannot be read (${e.message}); pass the folder of the new site's images`,
    );
  });
  const files = entries.filter((f) => IMAGE_FILE.test(f)).sort();
  if (files.length === 0)
    throw new Error(
      `fedaln-site adapt: --data ${cmd.data} holds no .png, .jpg, .jpeg or .dcm image; pass the folder of the new site's images`,
    );
  const existing = await fs.readdir(cmd.out).catch(() => [] as string[]);
  if (existing.length > 0)
    throw new Error(
      `fedaln-site adapt: --out ${cmd.out} already holds files; name a new folder for the adapted model`,
    );
  const model = await loadModelDir(cmd.model, cmd, log);
  try {
    const size = modelInputSize(model);
    const images: Float32Array[] = [];
    for (const f of files) {
      const file = path.join(cmd.data, f);
      try {
        images.push(await loadImage(file, size));
      } catch (e) {
        throw new Error(
          `fedaln-site adapt: image ${file} cannot be read (${(e as Error).message}); remove it from --data or fix it`,
        );
      }
    }
    await adaptBatchNorm(model, images, { batchSize: cmd.batch });
    await fs.mkdir(cmd.out, { recursive: true });
    await model.save(layersFormatDir(path.resolve(cmd.out)));
    const note = {
      adapted_from: path.resolve(cmd.model),
      method: 'AdaBN',
      images: images.length,
      at: new Date().toISOString(),
    };
    await fs.writeFile(path.join(cmd.out, 'adapted.json'), `${JSON.stringify(note, null, 2)}\n`);
    log(
      `adapted ${cmd.model}: BatchNorm statistics re-estimated on ${images.length} images of ${cmd.data}; ` +
        `written to ${cmd.out} (not a signed release: predict with --allow-unsigned)`,
    );
    return 0;
  } finally {
    model.dispose();
  }
}
