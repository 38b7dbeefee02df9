import { beforeEach, describe, expect, it } from '@jest/globals';
import type { FeatureModelPayload, TaskPayload } from '@fedaln/protocol';
import {
  changeOf,
  connectSession,
  inMemoryCoordinator,
  metricsReport,
  seedRound,
  sha256Hex,
  temporaryDir,
  type InMemoryCoordinator,
} from '../../../../tests/medium/coordinator-in-memory';
import type { ParticipantState, Round, Study } from '../domain/records';
import { FeatureBaselines } from '../evaluation/feature-baselines';
import { FeatureModelStore } from '../evaluation/feature-model';
import type { RoundState } from './round-machine';
import { TaskDispatch } from './task-dispatch';

const metricsDir = temporaryDir('task-dispatch');

/** Round 2 of a study of sites a, b and c: it trains from version 1 and evaluates version 2. */
const ROUND = 2;

describe('TaskDispatch', () => {
  let c: InMemoryCoordinator;
  let featureModels: FeatureModelStore;
  let dispatch: TaskDispatch;

  beforeEach(() => {
    c = inMemoryCoordinator();
    featureModels = new FeatureModelStore(metricsDir);
    const baselines = new FeatureBaselines(featureModels, c.presence, c.log);
    dispatch = new TaskDispatch(c.models, c.participants, c.reports, baselines, c.presence);
  });

  async function seed(state: RoundState, participants: Record<string, ParticipantState> = {}) {
    const seeded = await seedRound(c, { sites: ['a', 'b', 'c'], state, number: ROUND, participants });
    for (const version of [ROUND - 1, ROUND]) {
      const bytes = 1000 + version; // distinct sizes, so the task's model_bytes names its version
      await c.models.add({
        studyId: seeded.study.id,
        version,
        sha256: sha256Hex(`v${version}`),
        bytes,
        roundNumber: version,
      });
    }
    return seeded;
  }

  /** The task the rules give: DESIGN.md "Rounds" — train from version r − 1, evaluate version r. */
  function expectedTask(study: Study, round: Round, kind: TaskPayload['kind']): TaskPayload {
    const version = kind === 'train' ? round.number - 1 : round.number;
    const { arch, input_size, rounds, local_epochs, batch_size, learning_rate } = study.spec;
    const model = {
      model_version: version,
      model_sha256: sha256Hex(`v${version}`),
      model_bytes: 1000 + version,
    };
    const training = { epochs: local_epochs, batch_size, learning_rate };
    const deadline = (round.deadline as Date).toISOString();
    return {
      kind,
      study_id: study.id,
      round: round.number,
      ...model,
      arch,
      input_size,
      rounds,
      ...training,
      deadline,
      // Evaluate tasks carry the privacy rule's k (the study names none: the default 5).
      ...(kind === 'evaluate' ? { min_cell_count: 5 } : {}),
    };
  }

  it('sends the train task to the picked sites that are connected, and to no one else', async () => {
    const { study, round } = await seed('training');
    const a = connectSession(c, 'a');
    const b = connectSession(c, 'b');
    // c was picked but is away: it gets its task when it says hello (SiteArrivals).
    await dispatch.onChange(changeOf(study, round, [{ type: 'sendTrainingTasks', siteIds: ['a', 'c'] }]));
    expect(a.tasks).toEqual([expectedTask(study, round, 'train')]);
    expect(b.tasks).toEqual([]);
  });

  it('after aggregation sends the evaluate task to the connected sites that uploaded', async () => {
    const { study, round } = await seed('evaluating', { a: 'uploaded', b: 'straggler', c: 'uploaded' });
    const a = connectSession(c, 'a');
    const b = connectSession(c, 'b');
    await dispatch.onChange(changeOf(study, round, [{ type: 'sendEvaluationTasks', modelVersion: ROUND }]));
    // No site said it has the feature columns, so no baseline was fitted and none is sent.
    expect(a.tasks).toEqual([expectedTask(study, round, 'evaluate')]);
    expect(b.tasks).toEqual([]);
  });

  it("puts the study's fitted four-feature model in its evaluate tasks", async () => {
    const { study, round } = await seed('evaluating', { a: 'uploaded' });
    const fitted: FeatureModelPayload = {
      covariates: ['intercept', 'size_mm', 'non_parallel', 'echogenic_halo', 'spiculation'],
      coefficients: [-2, 0.05, 1.1, 0.9, 1.4],
      std_errors: [0.5, 0.01, 0.3, 0.3, 0.4],
      p: [0.001, 0.001, 0.01, 0.02, 0.003],
      sites: ['a'],
    };
    await featureModels.save(study.id, fitted);
    const a = connectSession(c, 'a');
    await dispatch.onChange(changeOf(study, round, [{ type: 'sendEvaluationTasks', modelVersion: ROUND }]));
    expect(a.tasks).toEqual([{ ...expectedTask(study, round, 'evaluate'), feature_model: fitted }]);
  });

  it('puts the study’s DP-SGD settings in train tasks only, and none for an accounting-only study (issue 16)', async () => {
    const { study, round } = await seed('training');
    const dp = { noise_multiplier: 1.1, clip_norm: 1, sampling_rate: 0.04, max_epsilon: 8, delta: 1e-5 };
    const dpStudy = { ...study, spec: { ...study.spec, local_epochs: 2, dp } };
    // 2 local epochs at q 0.04: ⌈2 / 0.04⌉ = 50 steps, what the accountant charges.
    expect((await dispatch.task(dpStudy, round, 'train')).dp).toEqual({
      noise_multiplier: 1.1,
      clip_norm: 1,
      sampling_rate: 0.04,
      steps: 50,
    });
    expect(await dispatch.task(dpStudy, round, 'evaluate')).not.toHaveProperty('dp');
    const accountingOnly = { ...dpStudy, spec: { ...dpStudy.spec, dp: { ...dp, accounting_only: true } } };
    expect(await dispatch.task(accountingOnly, round, 'train')).not.toHaveProperty('dp');
  });

  it('carries the validation share in both task kinds of a study with a validation split, none without (issue 15)', async () => {
    const { study, round } = await seed('training');
    const withSplit = { ...study, spec: { ...study.spec, validation_fraction: 0.2 } };
    expect((await dispatch.task(withSplit, round, 'train')).validation_fraction).toBe(0.2);
    expect((await dispatch.task(withSplit, round, 'evaluate')).validation_fraction).toBe(0.2);
    // The fixture's study holds out nothing, like every study stored before issue 15 (no field at all).
    const { validation_fraction: _none, ...stored } = study.spec;
    expect(await dispatch.task({ ...study, spec: stored }, round, 'train')).not.toHaveProperty(
      'validation_fraction',
    );
    expect(await dispatch.task(study, round, 'evaluate')).not.toHaveProperty('validation_fraction');
  });

  it('sends nothing for a change without a task effect', async () => {
    const { study, round } = await seed('training', { a: 'assigned' });
    const a = connectSession(c, 'a');
    await dispatch.onChange(changeOf(study, round, [{ type: 'scheduleDeadline', seconds: 60 }]));
    expect(a.tasks).toEqual([]);
  });

  // What a site reconnecting mid-round still owes (TaskDispatch.resend): a train task while it is
  // assigned in training, an evaluate task while it uploaded and has not reported in evaluating.
  it.each<[RoundState, ParticipantState | null, boolean, TaskPayload['kind'] | null]>([
    ['training', 'assigned', false, 'train'],
    ['training', 'uploaded', false, null],
    ['training', null, false, null], // not picked for this round
    ['aggregating', 'uploaded', false, null],
    ['evaluating', 'uploaded', false, 'evaluate'],
    ['evaluating', 'uploaded', true, null], // already reported
    ['evaluating', 'straggler', false, null],
    ['waiting', null, false, null],
  ])('resend in %s, site %s, reported %s → %s', async (state, mine, reported, kind) => {
    const { study, round } = await seed(state, mine ? { a: mine, b: 'uploaded' } : { b: 'uploaded' });
    if (reported) {
      await c.reports.save({
        studyId: study.id,
        round: ROUND,
        siteId: 'a',
        modelVersion: ROUND,
        modelSha256: sha256Hex(`v${ROUND}`),
        receivedAt: new Date().toISOString(),
        report: metricsReport(0.8),
      });
    }
    const a = connectSession(c, 'a');
    await dispatch.resend(a, study, round);
    expect(a.tasks).toEqual(kind ? [expectedTask(study, round, kind)] : []);
  });
});
