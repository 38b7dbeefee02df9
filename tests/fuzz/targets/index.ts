import type { FuzzTarget } from '../support/fuzz-target';
import { blobDecoder } from './blob-decoder';
import { labelsCsv } from './labels-csv';
import { predictionsCsv } from './predictions-csv';

/** Every fuzz target, by name (`npm run fuzz -- --target NAME`). */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [blobDecoder, labelsCsv, predictionsCsv];
