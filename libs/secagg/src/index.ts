export { SecAggError, type SecAggErrorCode } from './secagg-error';
export {
  bytesToElement,
  elementToBytes,
  P521,
  P521_BYTES,
  shamirCombine,
  shamirSplit,
  type ShamirShare,
} from './shamir';
export {
  checkRingBits,
  decodeSigned,
  encodeSigned,
  RING_BITS,
  RING_BYTES,
  ringWords,
  type RingBits,
} from './ring';
export { RingKernel, type RingMemory, type RingPlacement } from './ring-kernel';
export { DEFAULT_MASK_PRG, MASK_PRGS, maskRange, type MaskPrg } from './mask-stream';
export { agreedKey, newKeyPair, publicKeyOf, type RawKeyPair } from './key-agreement';
export {
  checkGridInput,
  gridLayout,
  gridMean,
  gridTerms,
  layoutRingBits,
  nearestEven,
  tensorOffsets,
  type GridLayout,
} from './grid-input';
export type {
  KeyAdvertisement,
  SealedShares,
  SessionParams,
  UnmaskRequest,
  UnmaskResponse,
} from './messages';
export { checkParams, defaultThreshold } from './session-params';
export { MASK_CHUNK, SecAggSite, type MaskedChunk } from './secagg-site';
export {
  openSession,
  SESSION_PHASES,
  stepSession,
  type SessionEffect,
  type SessionEvent,
  type SessionPhase,
  type SessionState,
  type SessionStep,
  type UnmaskPlan,
} from './secagg-session';
export { MaskedSum, type MaskedSumOptions } from './masked-sum';
export { closeMaskRemovalHelpers } from './mask-removal-helpers';
