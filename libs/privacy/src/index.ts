export { logAdd, logSub } from './log-sum';
export { logErfc } from './log-erfc';
export { DEFAULT_RDP_ORDERS } from './rdp-orders';
export { sampledGaussianRdp } from './sampled-gaussian-rdp';
export { epsilonFromRdp, type PrivacySpent } from './rdp-to-epsilon';
export { composedRdp, dpSgdEpsilon, type SampledGaussianSteps } from './dp-sgd-epsilon';
export { MAX_SIGMA, MIN_SIGMA, noiseForEpsilon, type NoiseForEpsilon } from './noise-for-epsilon';
export { type DpSettings } from './dp-settings';
export { privacyBudget, type PrivacyBudget, type SiteBudget, type SiteStepsPerRound } from './privacy-budget';
