import { metricsReport } from '@fedaln/metrics';
import * as path from 'node:path';
import type { EvaluateCommand } from '../cli/parse-command';
import { SiteData } from '../data/site-data';
import { modelInputSize, predictProbabilities } from '@fedaln/model';
import { ProgressLine } from '../progress/progress-line';
import { loadModelDir } from './load-model';

/**
 * `fedaln-site evaluate`: the `fedaln-metrics` report of a model on a labelled local folder
 * (its test split by default). `--json` prints the report JSON on stdout; otherwise a summary.
 */
export async function evaluateCommand(cmd: EvaluateCommand, log: (line: string) => void): Promise<number> {
  const data = new SiteData(path.resolve(cmd.data), cmd.seed);
  const { lines } = await data.check(1);
  lines.forEach((l) => log(l));
  const model = await loadModelDir(cmd.model, cmd, log);
  const progress = new ProgressLine(process.stderr);
  let report;
  try {
    const cases = await data.cases(cmd.split, modelInputSize(model));
    if (cases.length === 0) {
      log(`no usable cases in the ${cmd.split} split of ${data.dir}; pick another with --split`);
      return 1;
    }
    const scores = await predictProbabilities(
      model,
      cases.map((c) => c.image!),
      {
        batchSize: cmd.batch,
        onProgress: (done, total) =>
          progress.update({ label: 'evaluate', done, total, detail: `${done}/${total} images` }),
      },
    );
    progress.end();
    report = metricsReport({ labels: cases.map((c) => c.label), scores });
  } finally {
    model.dispose();
  }
  if (cmd.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const f = (x: number | null, d = 3): string => (x === null ? 'n/a' : x.toFixed(d));
  const out = [
    `n ${report.n} (${report.n_pos} positive)`,
    `AUC ${f(report.auc)}${report.auc_ci ? ` (95% CI ${f(report.auc_ci[0])}–${f(report.auc_ci[1])}, DeLong)` : ''}`,
    report.youden
      ? `Youden threshold ${f(report.youden.threshold)}: sensitivity ${f(report.youden.sensitivity)}, specificity ${f(report.youden.specificity)}`
      : 'Youden threshold n/a (one class only)',
    `Brier ${f(report.brier)}; calibration intercept ${f(report.calibration.intercept)}, slope ${f(report.calibration.slope)}`,
    `net benefit above treat-all and treat-none: ${report.dca?.range ? `${report.dca.range[0]}–${report.dca.range[1]}` : 'nowhere'}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
