import { parseCommandFlags } from './parse-flags';

export interface InspectDataCommand {
  command: 'inspect-data';
  data: string;
  json: boolean;
  /** `--dump-png OUT`: write each usable row's decoded, cropped 8-bit image there. */
  dumpPng: string | undefined;
  seed: number;
}

export const INSPECT_DATA_USAGE = '  fedaln-site inspect-data --data DIR [--json] [--dump-png OUT]';

/** Exit status of `inspect-data`, for USAGE and the command. */
export const INSPECT_DATA_EXIT =
  'inspect-data lists, per labels.csv row, the image it will use (DICOM: transfer syntax, photometric, frame,\n' +
  'B-mode region) or why the row is refused; it exits 0 when every row is usable, 1 when any row is refused\n' +
  'or labels.csv cannot be read, 2 on a bad command line. --dump-png writes the exact 8-bit image each usable\n' +
  'row trains on (before resizing) as OUT/line-N.png. Its output stays on this machine.';

/**
 * `fedaln-site inspect-data` flags.
 * @example parseInspectData(['--data', 'site', '--json']) // { command: 'inspect-data', data: 'site', json: true, dumpPng: undefined, seed: 1 }
 */
export function parseInspectData(argv: readonly string[]): InspectDataCommand {
  const { flags } = parseCommandFlags('inspect-data', argv, {
    data: { kind: 'string', required: true, hint: '/data/aln-ultrasound' },
    json: { kind: 'switch' },
    'dump-png': { kind: 'string', hint: 'inspect-png' },
    seed: { kind: 'int', default: 1, min: 0, hint: '1' },
  });
  return {
    command: 'inspect-data',
    data: flags.data,
    json: flags.json,
    dumpPng: flags['dump-png'],
    seed: flags.seed,
  };
}
