import type { StudySpec } from '../../apps/coordinator/src/domain/study-spec';

/**
 * A small valid study for the coordinator's medium and e2e tests: the tiny DenseNet at 32 px (fast to
 * initialise) with the source study's net-benefit range 0.1706–0.6052 as the DCA policy. It holds out
 * no validation split (`validation_fraction: 0`, the behaviour of every study before issue 15), so the
 * tests written before it keep their training counts; a test of model selection patches it.
 */
export function exampleStudySpec(
  sites: string[],
  patch: Partial<Record<keyof StudySpec, unknown>> = {},
): StudySpec {
  return {
    name: 'coordinator test study',
    arch: 'densenet-tiny',
    input_size: 32,
    init_weights: 'random',
    rounds: 2,
    local_epochs: 1,
    batch_size: 4,
    learning_rate: 0.001,
    min_sites: 2,
    round_deadline_s: 600,
    sites,
    release_policy: {
      min_site_auc: 0.7,
      min_pooled_auc: 0.7,
      dca_range: [0.1706, 0.6052],
      min_sites_passing: 'all',
    },
    validation_fraction: 0,
    ...patch,
  } as StudySpec;
}
