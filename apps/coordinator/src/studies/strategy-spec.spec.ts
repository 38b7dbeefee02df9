import { describe, expect, it } from '@jest/globals';
import { siteStrategyOf, strategyOf } from '../domain/study-spec';
import { validateStudySpec } from './validate-study-spec';

const study = Object.freeze({
  name: 'strategies',
  arch: 'densenet-tiny',
  input_size: 32,
  init_weights: 'random',
  rounds: 1,
  local_epochs: 1,
  batch_size: 4,
  learning_rate: 0.001,
  min_sites: 2,
  round_deadline_s: 60,
  sites: ['0b6f1f5e-1d2a-4c3b-9a8e-1f2e3d4c5b6a', '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f'],
  release_policy: { min_site_auc: 0.5, min_pooled_auc: 0.5, dca_range: [0.2, 0.5], min_sites_passing: 'all' },
});

function errorsOf(input: object) {
  const r = validateStudySpec(input);
  return r.ok ? [] : r.errors;
}

describe('study option strategy', () => {
  it('is absent from a study that gives none, which runs FedAvg and sends tasks without it (as before issue 15)', () => {
    const r = validateStudySpec(study);
    expect(r.ok && 'strategy' in r.spec).toBe(false);
    expect(r.ok && strategyOf(r.spec)).toEqual({ name: 'fedavg' });
    expect(r.ok && siteStrategyOf(r.spec)).toEqual({});
  });

  it('keeps what the study gives and fills the defaults (μ 0.01; η 0.01, β 0.9/0.99, τ 1e-3)', () => {
    const prox = validateStudySpec({ ...study, strategy: { name: 'fedprox' } });
    expect(prox.ok && prox.spec.strategy).toEqual({ name: 'fedprox' });
    expect(prox.ok && siteStrategyOf(prox.spec)).toEqual({ strategy: { name: 'fedprox', mu: 0.01 } });
    const adam = validateStudySpec({ ...study, strategy: { name: 'fedadam', server_learning_rate: 0.05 } });
    expect(adam.ok && strategyOf(adam.spec)).toEqual({
      name: 'fedadam',
      adam: { learningRate: 0.05, beta1: 0.9, beta2: 0.99, tau: 1e-3 },
    });
    // FedAdam is the coordinator's alone: its sites train as FedAvg.
    expect(adam.ok && siteStrategyOf(adam.spec)).toEqual({});
    const bn = validateStudySpec({ ...study, strategy: { name: 'fedbn' } });
    expect(bn.ok && siteStrategyOf(bn.spec)).toEqual({ strategy: { name: 'fedbn' } });
  });

  it.each([
    [{ name: 'scaffold' }, 'strategy.name', /name must be one of fedavg, fedprox, fedbn, fedadam/],
    [{ name: 'fedprox', mu: -1 }, 'strategy.mu', /mu must be a number in \[0, 1000\]/],
    [{ name: 'fedadam', beta1: 1 }, 'strategy.beta1', /beta1 must be a number in \[0, 1\)/],
    [{ name: 'fedadam', tau: 0 }, 'strategy.tau', /tau must be a number above 0/],
    [
      { name: 'fedadam', server_learning_rate: 'fast' },
      'strategy.server_learning_rate',
      /server_learning_rate must be a number/,
    ],
    [{ name: 'fedavg', mu: 0.1 }, 'strategy.mu', /mu is a fedprox parameter, but strategy.name is fedavg/],
    [
      { name: 'fedprox', beta2: 0.9 },
      'strategy.beta2',
      /beta2 is a fedadam parameter, but strategy.name is fedprox/,
    ],
    [{ name: 'fedbn', momentum: 0.9 }, 'strategy.momentum', /should not exist/],
    [{ mu: 0.1 }, 'strategy.name', /name must be one of/],
  ])('refuses %j at %s, saying what is expected', (strategy, field, message) => {
    const errors = errorsOf({ ...study, strategy });
    expect(errors.map((e) => e.field)).toContain(field);
    expect(errors.find((e) => e.field === field)?.message).toMatch(message);
  });

  it('refuses fedbn and fedadam with secure aggregation, and fedprox with dp', () => {
    const secure = { ...study, min_sites: 2, secure_aggregation: { threshold: 2, clip_norm: 1 } };
    for (const name of ['fedbn', 'fedadam'])
      expect(errorsOf({ ...secure, strategy: { name } })).toEqual([
        expect.objectContaining({
          field: 'strategy.name',
          message: expect.stringMatching(/secure_aggregation/),
        }),
      ]);
    expect(errorsOf({ ...secure, strategy: { name: 'fedprox' } })).toEqual([]);
  });
});
