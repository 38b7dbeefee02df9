/**
 * The training strategies a simulated study compares (issue 15): centralised (all sites' training
 * cases pooled in one place: the upper reference), local-only (each site alone), and the federated
 * ones, which share only weight updates.
 */

import { FEDADAM_DEFAULTS, type FedAdamOptions } from '@fedaln/aggregation';

export const STRATEGY_NAMES = ['central', 'local', 'fedavg', 'fedprox', 'fedbn', 'fedadam'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** How each strategy is named in reports. */
export const STRATEGY_LABELS: Readonly<Record<StrategyName, string>> = {
  central: 'Centralised (pooled)',
  local: 'Local only',
  fedavg: 'FedAvg',
  fedprox: 'FedProx',
  fedbn: 'FedBN (+ AdaBN on new sites)',
  fedadam: 'FedAdam',
};

/** Federated strategies (the ones compared with centralised and local-only training). */
export const FEDERATED: readonly StrategyName[] = ['fedavg', 'fedprox', 'fedbn', 'fedadam'];

/** The settings of the strategies that have some. */
export interface StrategyOptions {
  /** FedProx's proximal weight μ (Li et al., MLSys 2020). */
  mu: number;
  /** FedAdam's server learning rate, β's and τ. */
  fedAdam: FedAdamOptions;
}

/**
 * μ = 0.01, one of the values Li et al. tune over ({0.001, 0.01, 0.1, 1}); FedAdam's defaults are
 * those of @fedaln/aggregation (FEDADAM_DEFAULTS).
 */
export const DEFAULT_STRATEGY_OPTIONS: Readonly<StrategyOptions> = Object.freeze({
  mu: 0.01,
  fedAdam: FEDADAM_DEFAULTS,
});

/**
 * Parses a comma-separated strategy list (`--strategies central,local,fedavg`).
 * @example parseStrategies('fedavg,central') // ['fedavg', 'central']
 */
export function parseStrategies(text: string): StrategyName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = names.find((n) => !(STRATEGY_NAMES as readonly string[]).includes(n));
  if (bad !== undefined || names.length === 0) {
    throw new Error(
      `--strategies "${text}" ${bad !== undefined ? `names "${bad}", which is not a strategy` : 'is empty'}; expected a comma-separated list of ${STRATEGY_NAMES.join(', ')}`,
    );
  }
  return [...new Set(names as StrategyName[])];
}
