/**
 * Flags of `fedaln-phantom`. Parsing is pure; a bad flag throws a `UsageError`, which the CLI
 * turns into exit code 2 with the message (the bad value, what was expected, the flag to fix).
 */
import { describeInteger, integerFlag, parseFlags, UsageError } from '@fedaln/cli-flags';
import { MAX_SIZE_PX, MIN_SIZE_PX } from './render';
import { DEFAULT_PHANTOM_VERSION, PHANTOM_VERSIONS, type PhantomVersion } from './version';

export interface PhantomCliOptions {
  sites: number;
  cases: number;
  size: number;
  seed: number;
  out: string;
  preview: boolean;
  /** Image files: PNG, or DICOM ultrasound with a region and burned-in text around it. */
  format: ImageFormat;
  /** Generator version (version.ts). */
  version: PhantomVersion;
}

export const IMAGE_FORMATS = ['png', 'dicom'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export const USAGE = `usage: fedaln-phantom --out DIR [--sites N] [--cases M] [--size PX] [--seed S] [--format png|dicom] [--version 1|2] [--preview]
  --out DIR     output folder; writes DIR/site<k>/labels.csv and DIR/site<k>/images/*.png (or *.dcm)
  --sites N     number of sites, 1-100 (default 3)
  --cases M     cases per site, 1-100000 (default 120)
  --size PX     image width = height in pixels, ${MIN_SIZE_PX}-${MAX_SIZE_PX} (default 224)
  --seed S      integer seed, 0-4294967295 (default 1); the same seed gives identical files
  --format F    png (default) or dicom: an ultrasound DICOM file per case (Explicit VR Little Endian,
                lossless), the image inside a screen with a grayscale bar and burned-in text, and a
                Sequence of Ultrasound Regions naming the image; it decodes to the PNG's pixels
  --version V   generator version, ${PHANTOM_VERSIONS.join(' or ')} (default ${DEFAULT_PHANTOM_VERSION}): 2 writes a radiologist's read of
                each lesion (inter-observer variability) in labels.csv and renders a 30 mm region of
                interest around the mass, its features drawn to be seen at 32 px; 1 reproduces the
                phantoms written before issue 15 byte for byte
  --preview     also write DIR/preview.png, a contact sheet (border red = ALN metastasis, green = none)`;

const INTEGERS = {
  sites: { min: 1, max: 100, default: 3 },
  cases: { min: 1, max: 100_000, default: 120 },
  size: { min: MIN_SIZE_PX, max: MAX_SIZE_PX, default: 224 },
  seed: { min: 0, max: 0xffffffff, default: 1 },
} as const;

const integer = (name: keyof typeof INTEGERS, text: string | undefined): number =>
  integerFlag(`--${name}`, text, INTEGERS[name]);
const expectInteger = (name: keyof typeof INTEGERS): string => `expected ${describeInteger(INTEGERS[name])}`;

/**
 * Parses argv (without node and script). Returns null for `--help`.
 * @example parseCliArgs(['--out', 'data/phantom', '--size', '64']).size // 64
 */
export function parseCliArgs(argv: readonly string[]): PhantomCliOptions | null {
  const { values } = parseFlags({
    args: argv,
    options: {
      out: { type: 'string' },
      sites: { type: 'string' },
      cases: { type: 'string' },
      size: { type: 'string' },
      seed: { type: 'string' },
      preview: { type: 'boolean' },
      format: { type: 'string' },
      version: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    help: 'fedaln-phantom --help',
    expected: {
      out: 'pass a folder path, e.g. --out data/phantom',
      sites: expectInteger('sites'),
      cases: expectInteger('cases'),
      size: expectInteger('size'),
      seed: expectInteger('seed'),
      format: 'pass --format png or --format dicom',
      version: `pass --version ${PHANTOM_VERSIONS.join(' or --version ')}`,
    },
  });
  const format = values.format ?? 'png';
  if (!(IMAGE_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(
      `--format "${format}" is not a known image format; expected ${IMAGE_FORMATS.join(' or ')}`,
    );
  }
  const version = values.version === undefined ? DEFAULT_PHANTOM_VERSION : Number(values.version);
  if (!PHANTOM_VERSIONS.map(String).includes(values.version ?? String(DEFAULT_PHANTOM_VERSION))) {
    throw new UsageError(
      `--version "${values.version}" is not a phantom generator version; expected ${PHANTOM_VERSIONS.join(' or ')}`,
    );
  }
  if (values.help) return null;
  if (values.out === undefined)
    throw new UsageError('--out DIR is required (the folder to write the sites into)');
  return {
    sites: integer('sites', values.sites),
    cases: integer('cases', values.cases),
    size: integer('size', values.size),
    seed: integer('seed', values.seed),
    out: values.out,
    preview: values.preview === true,
    format: format as ImageFormat,
    version: version as PhantomVersion,
  };
}
