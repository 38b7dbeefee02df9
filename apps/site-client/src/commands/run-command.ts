import { hasClinicalFeatures } from '@fedaln/metrics';
import { selectEngine } from '@fedaln/model';
import { NO_NATIVE_MASKING_WARNING, nativeFrameMasking } from '@fedaln/protocol';
import { MASK_PRGS } from '@fedaln/secagg';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { RunCommand } from '../cli/parse-command';
import { SiteData } from '../data/site-data';
import { ProgressLine } from '../progress/progress-line';
import { runSession } from '../run/site-session';
import { measureImagesPerSecond } from '../run/warm-up';
import { trustCoordinator } from '../tls/coordinator-tls';
import { WorkDir } from '../transfer/work-dir';

/** This package's version, sent in `hello`. */
export function clientVersion(): string {
  const req = createRequire(__filename);
  return (req('../../package.json') as { version: string }).version;
}

/**
 * `fedaln-site run`: check the data folder, pick the engine and measure it, then serve the
 * coordinator's tasks until stopped (SIGINT/SIGTERM), `--once` or `--idle-exit`.
 * Returns the exit code.
 */
export async function runCommand(cmd: RunCommand, log: (line: string) => void): Promise<number> {
  const data = new SiteData(path.resolve(cmd.data), cmd.seed);
  const { folder, sufficiency, lines } = await data.check(cmd.minPerClass);
  lines.forEach((l) => log(l));
  if (folder.cases.length === 0 || (!sufficiency.canTrain && !sufficiency.canEvaluate)) {
    log(
      `nothing usable in ${folder.dir}: neither split has ${cmd.minPerClass}+ cases of each class. ` +
        'Fix the rows listed above (labels.csv columns case_id,image,aln_metastasis[,split]; images PNG or JPEG), then run again.',
    );
    return 1;
  }
  const engine = await selectEngine(cmd.engine, log);
  if (!nativeFrameMasking()) log(`warning: ${NO_NATIVE_MASKING_WARNING}`);
  let imagesPerS: number;
  try {
    imagesPerS = await measureImagesPerSecond(cmd.arch, cmd.inputSize);
  } catch (err) {
    log(
      `training does not run on engine ${engine.name}: ${(err as Error).message}; ` +
        'try another engine with --engine (e.g. --engine cpu)',
    );
    return 1;
  }
  log(
    `engine ${engine.name}: ${imagesPerS.toFixed(2)} training images/s (${cmd.arch} at ${cmd.inputSize} px)`,
  );

  const work = new WorkDir(path.resolve(cmd.workDir));
  await work.init();
  const trust = await trustCoordinator('run', cmd.coordinator, cmd.tls, work.dir, log);
  if (trust.refused) return 1;
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping; an unfinished upload stays in ${work.dir} and resumes on the next run`);
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await runSession({
      coordinator: cmd.coordinator,
      token: cmd.token,
      tls: trust.tls,
      hello: {
        engine: engine.name,
        cores: engine.cores,
        gpu: engine.gpu ? 'tensorflow-gpu' : null,
        n_train: folder.counts.train.negative + folder.counts.train.positive,
        n_test: folder.counts.test.negative + folder.counts.test.positive,
        client_version: clientVersion(),
        images_per_s: imagesPerS,
        clinical_features: hasClinicalFeatures(folder.featureColumns),
        secagg_prgs: [...MASK_PRGS],
      },
      work,
      data,
      progress: new ProgressLine(process.stderr),
      log,
      seed: cmd.seed,
      inputSize: cmd.inputSize,
      canTrain: sufficiency.canTrain,
      canEvaluate: sufficiency.canEvaluate,
      once: cmd.once,
      idleExitS: cmd.idleExit,
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
