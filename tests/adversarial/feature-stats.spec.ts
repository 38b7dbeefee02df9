/**
 * Issue 13 (e): a site answers `features:stats` with `information: { length: 1e8 }`. The old
 * coordinator fed it to `Float64Array.from` (800 MB) and into the fit; now the answer is checked
 * against the study's k-term model first, the site is left out of the four-feature model with the
 * reason logged, and the honest sites' fit and study go on.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { FEATURE_MODEL_TERMS } from '@fedaln/metrics';
import { SiteEvent, type FeatureStatsRequest } from '@fedaln/protocol';
import type { SiteCase } from '@fedaln/site-data';
import * as fs from 'node:fs';
import { featureStatsAnswer } from '../../apps/site-client/src/run/feature-baseline';
import { prng } from '../e2e/support/release-study';
import { HELLO, ScriptedSite } from '../e2e/support/site-client';
import { honestReport, honestUpload, useFederation } from './support/federation';
import { crafted, HostileSite } from './support/hostile-site';

jest.setTimeout(300_000);

const WITH_FEATURES = { ...HELLO, clinical_features: true };

/** Peak resident memory of a process so far (VmHWM of /proc/<pid>/status), in bytes. */
function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!kb) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kb[1]) * 1024;
}

/** Seeded train cases of one honest site: size (mm) and three signs, the label logistic in them. */
function trainCases(seed: number, n: number): SiteCase[] {
  const next = prng(seed);
  return Array.from({ length: n }, (_, i) => {
    const [size, nonParallel, halo, spiculated] = [
      10 + 30 * next(),
      next() < 0.4,
      next() < 0.3,
      next() < 0.3,
    ];
    const eta = -3 + 0.08 * size + 0.8 * +nonParallel + 0.6 * +halo + 0.9 * +spiculated;
    const features = {
      size_mm: size,
      orientation: nonParallel ? 'non-parallel' : 'parallel',
      echogenic_halo: +halo,
      spiculation: +spiculated,
    };
    const label = next() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
    return { caseId: `c${i}`, imagePath: '', label, split: 'train', features };
  });
}

/** The site client's own answer (`featureStatsAnswer`) on the site's seeded train cases. */
function answerHonestly(site: ScriptedSite, seed: number): void {
  const cases = trainCases(seed, HELLO.n_train);
  site.socket.on(SiteEvent.featuresStats, (req: FeatureStatsRequest, ack) =>
    ack({ ok: true, ...featureStatsAnswer(cases, req.beta) }),
  );
}

describe('a features:stats answer sized by the site (issue 13 e)', () => {
  const federationOf = useFederation('feature-stats');

  it('{ length: 1e8 } is refused before anything is allocated; the honest sites fit the model and finish', async () => {
    const federation = federationOf();
    const enrolled = await Promise.all(['Honest A', 'Honest B'].map((n) => federation.enrol(n)));
    const hostile = await HostileSite.join(federation, 'Hostile', null);
    const studyId = await federation.startStudy([...enrolled.map((s) => s.id), hostile.enrolled.id]);
    const k = FEATURE_MODEL_TERMS.length;
    let asked = 0;
    hostile.answerFeatureStats(() => {
      asked++;
      return crafted({
        ok: true,
        stats: { k, information: { length: 1e8 }, score: { length: 1e8 }, deviance: 1, max_abs_eta: 0 },
      });
    });
    const honest = await Promise.all(
      enrolled.map((s) => ScriptedSite.connect(federation.coordinator.baseUrl, s.token, WITH_FEATURES)),
    );
    honest.forEach((s, i) => answerHonestly(s, 7 + i));
    expect(await hostile.send(SiteEvent.hello, WITH_FEATURES)).toMatchObject({ ok: true });

    await Promise.all([...honest, hostile].map((s, i) => honestUpload(s, 1, 100 + i)));
    const before = peakRss(federation.coordinator.pid);
    const evaluate = await Promise.all(honest.map((s) => s.task('evaluate', 1)));
    const after = peakRss(federation.coordinator.pid);

    expect(asked).toBeGreaterThan(0);
    // The old coordinator's Float64Array.from({ length: 1e8 }) alone is 800 MB.
    expect(after - before).toBeLessThan(200 * 2 ** 20);
    const leftOut = federation.coordinator.log
      .split('\n')
      .filter((l) => l.includes('site left out of the four-feature model'));
    expect(leftOut).toHaveLength(1);
    expect(leftOut[0]).toContain(hostile.enrolled.id);
    expect(leftOut[0]).toContain('information is of type object; expected an array of 25 finite numbers');
    for (const task of evaluate) {
      expect(task.feature_model?.covariates).toEqual([...FEATURE_MODEL_TERMS]);
      expect([...task.feature_model!.sites].sort()).toEqual(enrolled.map((s) => s.id).sort());
    }

    await Promise.all(honest.map((s, i) => honestReport(s, evaluate[i]!, 200 + i)));
    await honestReport(hostile, 1, 300);
    const study = await federation.waitForStudy(studyId, (s) => s.status !== 'running');
    expect(study.status).toBe('completed');
    [...honest, hostile].forEach((s) => s.close());
  });
});
