import { SiteEvent, type TaskPayload } from '@fedaln/protocol';
import { siteMetricsReport } from '../metrics/site-metrics-report';
import { DEFAULT_MIN_CELL_COUNT } from '@fedaln/metrics';
import { predictProbabilities } from '@fedaln/model';
import { featureModelScores } from './feature-baseline';
import { loadGlobalModel } from './global-model';
import { request } from './site-socket';
import type { TaskContext } from './task-context';

/**
 * An evaluate task: download the new global model, predict on the test split (and on the validation
 * cases held out from training when the task has `validation_fraction`), and send the aggregate
 * reports (`metrics:report`) under the study's privacy rule; a copy of each report sent is
 * kept in the work directory (`reports/`). Scores never leave this function except as counts.
 *
 * @example await runEvaluateTask(task, ctx);
 */
export async function runEvaluateTask(task: TaskPayload, ctx: TaskContext): Promise<void> {
  const { model, inputSize } = await loadGlobalModel(task, ctx);
  let scores: Float32Array;
  let labels: number[];
  let scoresB: number[] | undefined;
  let validationLabels: number[] = [];
  let validationScores: Float32Array = new Float32Array(0);
  try {
    const cases = await ctx.data.cases('test', inputSize);
    const { validation } = await ctx.data.trainAndValidation(inputSize, task.validation_fraction ?? 0);
    labels = cases.map((c) => c.label);
    validationLabels = validation.map((c) => c.label);
    if (task.feature_model) {
      const fm = featureModelScores(cases, task.feature_model.coefficients);
      if ('scores' in fm) scoresB = fm.scores;
      else ctx.log(`round ${task.round}: no four-feature comparison: ${fm.reason}`);
    }
    // One pass over test and validation images; the first cases.length scores are the test split's.
    const all = await predictProbabilities(
      model,
      [...cases, ...validation].map((c) => c.image!),
      {
        batchSize: task.batch_size,
        onProgress: (done, total) =>
          ctx.progress.update({
            label: `evaluate v${task.model_version}`,
            done,
            total,
            detail: `${done}/${total} images`,
          }),
      },
    );
    ctx.progress.end();
    scores = all.subarray(0, cases.length);
    validationScores = all.subarray(cases.length);
    if (validation.length > 0)
      ctx.validationScores.keep(task.study_id, task.round, validation, validationScores, cases, scores);
  } finally {
    model.dispose();
  }
  const k = task.min_cell_count ?? DEFAULT_MIN_CELL_COUNT;
  const report = siteMetricsReport(labels, scores, { ...(scoresB ? { scores_b: scoresB } : {}), k });
  const payload = {
    study_id: task.study_id,
    round: task.round,
    model_version: task.model_version,
    model_sha256: task.model_sha256,
    report,
    // The same released report on the validation cases (model selection), under the same rule.
    ...(validationLabels.length > 0
      ? { validation: siteMetricsReport(validationLabels, validationScores, { k }) }
      : {}),
  };
  await request(ctx.socket, SiteEvent.metricsReport, payload);
  // A copy of what left the site, for its own audit (scripts/privacy-audit).
  await ctx.work.saveSentReport(payload, k);
  const auc = report.auc === null ? 'n/a' : report.auc.toFixed(3);
  const ci = report.auc_ci ? ` (95% CI ${report.auc_ci[0].toFixed(3)}–${report.auc_ci[1].toFixed(3)})` : '';
  const fmAuc = report.paired?.auc_b;
  const vs =
    report.paired && typeof fmAuc === 'number'
      ? `; four-feature model AUC ${fmAuc.toFixed(3)}, paired DeLong p ${report.paired.p?.toPrecision(3) ?? 'n/a'}`
      : '';
  const val = payload.validation
    ? `; validation AUC ${payload.validation.auc === null ? 'n/a' : payload.validation.auc.toFixed(3)} on ${payload.validation.n} cases`
    : '';
  ctx.log(
    `round ${task.round}: evaluated v${task.model_version} on ${report.n} test cases, AUC ${auc}${ci}${vs}${val}; report accepted`,
  );
}
