import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { exampleStudySpec } from '../../../../tests/medium/coordinator-fixtures';
import { temporaryDir } from '../../../../tests/medium/coordinator-in-memory';
import type { Study } from '../domain/records';
import { SitePresence } from '../rounds/site-presence';
import { NomogramStore } from './nomogram-fits';
import { PostTrainingResume } from './post-training-resume';

const study = (id: string, patch: Partial<Study> = {}, spec: Record<string, unknown> = {}): Study => ({
  id,
  name: id,
  spec: exampleStudySpec(['a', 'b'], { rounds: 2, validation_fraction: 0.2, ...spec }),
  status: 'completed',
  currentRound: 2,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...patch,
});

describe('PostTrainingResume (the post-training fits after a restart, issue 15)', () => {
  const dir = temporaryDir('post-training-resume');
  afterEach(() => {
    jest.useRealTimers();
  });

  function setUp(graceMs = 60_000) {
    const presence = new SitePresence();
    const store = new NomogramStore(dir);
    const runs: [string, readonly string[], boolean, number | undefined][] = [];
    const fits = {
      finish: async (id: string, sites: readonly string[], withValidation: boolean, k?: number) => {
        runs.push([id, sites, withValidation, k]);
        return null;
      },
    };
    const resume = new PostTrainingResume(fits, store, presence, { info: () => undefined }, graceMs);
    const greet = (siteId: string) => {
      presence.connect({ siteId, send: () => undefined, hello: { engine: 'cpu' } as never });
      presence.greeted(siteId);
    };
    return { resume, store, runs, greet };
  }

  it('pending: a completed study with a validation split and no end mark; not a running one, one without a split, or one marked', async () => {
    const { resume, store } = setUp();
    await store.markFinished('marked', { round: 2, nomogram: true });
    expect(
      await resume.atBoot([
        study('cut-short'),
        study('running', { status: 'running' }),
        study('no-split', {}, { validation_fraction: 0 }),
        study('marked'),
        study('dp-stopped-early', { currentRound: 1 }),
      ]),
    ).toEqual(['cut-short']);
  });

  it('runs the phase again once every site of the study is back, once, with the study’s k', async () => {
    const { resume, runs, greet } = setUp();
    await resume.atBoot([study('s1', {}, { privacy: { min_cell_count: 7 } })]);
    greet('a');
    expect(runs).toEqual([]);
    greet('b');
    expect(runs).toEqual([['s1', ['a', 'b'], true, 7]]);
    greet('a'); // a reconnect later does not run it twice
    expect(runs).toHaveLength(1);
    await Promise.all(resume.resumed);
  });

  it('runs with whoever is back when one site has not returned within the grace period', async () => {
    jest.useFakeTimers();
    const { resume, runs, greet } = setUp(1_000);
    await resume.atBoot([study('s2')]);
    greet('a');
    jest.advanceTimersByTime(999);
    expect(runs).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(runs).toEqual([['s2', ['a', 'b'], true, 5]]);
    resume.stop();
  });
});
