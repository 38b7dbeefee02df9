/**
 * The fuzz targets by name, apart from their modules (which load the coordinator's built code), so
 * the jest tier can list them without loading them; `FUZZ_TARGETS` (index.ts) must match.
 */
export const FUZZ_TARGET_NAMES = [
  'blob-decoder',
  'upload-header',
  'socket-payloads',
  'labels-csv',
  'predictions-csv',
] as const;
