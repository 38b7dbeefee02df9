import { blobToModel, layersFormatDir, selectEngine } from '@fedaln/model';
import * as tfl from '@tensorflow/tfjs-layers';
import * as path from 'node:path';
import { verifyModelFolder } from '../release/model-folder';
import { UntrustedModelError } from '../release/release-trust';

export interface ModelTrust {
  /** Where the pinned coordinator key lives (`--work-dir`). */
  readonly workDir: string;
  /** `--allow-unsigned`: use a folder that fails verification, with a warning. */
  readonly allowUnsigned: boolean;
}

/**
 * Starts the engine (`FEDALN_ENGINE`, default auto) and loads the model of folder `dir` for
 * `predict`/`evaluate`: by default only a signed release (release/model-folder.ts), built from its
 * verified weights blob at the manifest's input size; with `--allow-unsigned`, a folder that fails
 * verification is loaded from its `model.json` after a warning on stderr (`log`).
 *
 * @throws UntrustedModelError when the folder fails verification and `allowUnsigned` is false.
 * @example const model = await loadModelDir('models/latest', { workDir: 'fedaln-site-work', allowUnsigned: false }, log);
 */
export async function loadModelDir(
  dir: string,
  trust: ModelTrust,
  log: (line: string) => void,
): Promise<tfl.LayersModel> {
  let verified: Awaited<ReturnType<typeof verifyModelFolder>> | null = null;
  try {
    verified = await verifyModelFolder(dir, trust.workDir);
  } catch (e) {
    if (!(e instanceof UntrustedModelError)) throw e;
    if (!trust.allowUnsigned) throw new UntrustedModelError(`REFUSED model ${dir}: ${e.message}`);
    log(
      `WARNING: --allow-unsigned: model ${dir} is not a verified signed release (${e.message}); ` +
        'using its model.json unverified — not for clinical use',
    );
  }
  await selectEngine(undefined, log);
  if (verified === null) return tfl.loadLayersModel(layersFormatDir(path.resolve(dir)));
  const { manifest, blob } = verified;
  const { model, arch } = blobToModel(blob, { inputSize: manifest.input_size });
  if (arch !== manifest.arch) {
    model.dispose();
    throw new UntrustedModelError(
      `model ${dir}: the weights are a ${arch} but the signed manifest says ${manifest.arch}; refusing them`,
    );
  }
  log(
    `model ${dir}: release v${manifest.version} of study ${manifest.study_id} (round ${manifest.round}, ` +
      `${manifest.verdict === 'pass' ? 'passed the release policy' : `released by override: ${manifest.override_reason}`}); ` +
      'manifest signature and weights sha256 verified against the pinned coordinator key',
  );
  return model;
}
