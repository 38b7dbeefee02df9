import { integerIn, UsageError } from '@fedaln/cli-flags';
import type { TlsFlags } from '../tls/coordinator-tls';
import { CONNECTION_FLAGS, CONNECTION_USAGE, connectionFlags, coordinatorUrl } from './coordinator-url';
import { parseCommandFlags } from './parse-flags';

/** What `fedaln-site pull` fetches: a signed release (the default), or an unsigned global model. */
export type PullSource =
  | { kind: 'release'; release: number | 'latest'; study: string | undefined }
  | { kind: 'global'; study: string; version: number | 'latest' };

export interface PullCommand {
  command: 'pull';
  coordinator: string;
  token: string;
  /** `--ca-file`, `--pin-sha256`, `--insecure`. */
  tls: TlsFlags;
  out: string;
  source: PullSource;
  /** `--public-key`: the coordinator's Ed25519 key (base64 of 32 bytes) to pin instead of asking it. */
  publicKey: string | undefined;
  /** Where the pinned key lives (`coordinator-key.json`); the same default as `run`. */
  workDir: string;
  /** `--input-size`: overrides the release's input size (and is the global model's, default 224). */
  inputSize: number | undefined;
  /** `--allow-unsigned`: accept a release made before signed manifests (digest signature only), with a warning. */
  allowUnsigned: boolean;
}

export const PULL_USAGE =
  '  fedaln-site pull --coordinator URL --token TOKEN --out DIR [--release N|latest] [--study ID]\n' +
  '                   [--public-key BASE64] [--work-dir DIR] [--input-size N] [--allow-unsigned]\n' +
  `                   ${CONNECTION_USAGE}\n` +
  '  fedaln-site pull --coordinator URL --token TOKEN --out DIR --study ID --version N|latest   (unsigned global model)';

/** An Ed25519 public key as `GET /api/keys` gives it: standard base64 of exactly 32 raw bytes. */
function publicKeyFlag(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const raw = Buffer.from(text, 'base64');
  if (raw.length !== 32 || raw.toString('base64') !== text) {
    throw new UsageError(
      `fedaln-site pull: --public-key "${text}" is not an Ed25519 public key; expected the base64 of 32 bytes ` +
        '(44 characters ending in "="), as GET /api/keys of the coordinator shows it to the lead',
    );
  }
  return text;
}

function versionFlag(flag: string, text: string): number | 'latest' {
  if (text === 'latest') return 'latest';
  if (!/^\d+$/.test(text))
    throw new UsageError(
      `fedaln-site pull: --${flag} "${text}" is not a version; expected an integer ≥ 0 or latest`,
    );
  return Number(text);
}

/**
 * Parses the flags of `fedaln-site pull` (after the word `pull`). By default the newest release the
 * site may read; `--version` asks for a global model instead, which needs `--study` and excludes
 * `--release` and `--public-key` (a global model is not signed).
 *
 * @example
 * parsePull(['--coordinator', 'https://c.org', '--token', 't', '--out', 'm'], {}).source
 * // { kind: 'release', release: 'latest', study: undefined }
 */
export function parsePull(argv: readonly string[], token: (flag: string | undefined) => string): PullCommand {
  const { flags } = parseCommandFlags('pull', argv, {
    coordinator: { kind: 'string', required: true, hint: 'https://fedaln.example.org' },
    token: { kind: 'string', hint: '<enrolment token from the lead>' },
    out: { kind: 'string', required: true, hint: 'models/latest' },
    release: { kind: 'string', hint: '3 (or latest)' },
    version: { kind: 'string', hint: '3 (or latest)' },
    study: { kind: 'string', hint: '<study id (a UUID)>' },
    'public-key': { kind: 'string', hint: '<base64 key from GET /api/keys>' },
    'work-dir': { kind: 'string', default: 'fedaln-site-work', hint: '/var/lib/fedaln-site' },
    'input-size': { kind: 'string', hint: '224' },
    ...CONNECTION_FLAGS,
    'allow-unsigned': { kind: 'switch' },
  });
  const inputSize = flags['input-size'];
  if (inputSize !== undefined && integerIn(inputSize, { min: 32 }) === undefined)
    throw new UsageError(
      `fedaln-site pull: --input-size "${inputSize}" is not an integer ≥ 32; pass e.g. --input-size 224`,
    );
  let source: PullSource;
  if (flags.version !== undefined) {
    if (flags.release !== undefined)
      throw new UsageError(
        'fedaln-site pull: --release and --version exclude each other; --release pulls a signed release, --version an unsigned global model',
      );
    if (flags['public-key'] !== undefined)
      throw new UsageError(
        'fedaln-site pull: --public-key has no use with --version (global models are not signed); drop one of them',
      );
    if (flags.study === undefined)
      throw new UsageError(
        'fedaln-site pull: --version pulls a global model of one study; pass --study ID as well',
      );
    source = { kind: 'global', study: flags.study, version: versionFlag('version', flags.version) };
  } else {
    source = {
      kind: 'release',
      release: versionFlag('release', flags.release ?? 'latest'),
      study: flags.study,
    };
  }
  const coordinator = coordinatorUrl('pull', flags.coordinator, flags.insecure);
  return {
    command: 'pull',
    coordinator,
    token: token(flags.token),
    tls: connectionFlags('pull', coordinator, flags),
    out: flags.out,
    source,
    publicKey: publicKeyFlag(flags['public-key']),
    workDir: flags['work-dir'],
    inputSize: inputSize === undefined ? undefined : Number(inputSize),
    allowUnsigned: flags['allow-unsigned'],
  };
}
