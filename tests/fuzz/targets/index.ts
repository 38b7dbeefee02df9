import type { FuzzTarget } from '../support/fuzz-target';
import { blobDecoder } from './blob-decoder';
import { labelsCsv } from './labels-csv';
import { FUZZ_TARGET_NAMES } from './names';
import { predictionsCsv } from './predictions-csv';
import { socketPayloads } from './socket-payloads';
import { uploadHeader } from './upload-header';

/** Every fuzz target (`npm run fuzz -- --target NAME`), in the order of FUZZ_TARGET_NAMES. */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  blobDecoder,
  uploadHeader,
  socketPayloads,
  labelsCsv,
  predictionsCsv,
];

const names = FUZZ_TARGETS.map((t) => t.name).join(',');
if (names !== FUZZ_TARGET_NAMES.join(',')) {
  throw new Error(`FUZZ_TARGETS (${names}) and FUZZ_TARGET_NAMES (${FUZZ_TARGET_NAMES.join(',')}) differ`);
}
