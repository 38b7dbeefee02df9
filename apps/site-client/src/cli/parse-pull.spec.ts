import { UsageError } from '@fedaln/cli-flags';
import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { parseCommand } from './parse-command';

const base = ['pull', '--coordinator', 'https://c.example/', '--token', 'tok', '--out', 'm'];

/** A real Ed25519 public key in the coordinator's format: base64 of the raw 32 bytes (RFC 8032 §5.1.5). */
const KEY =
  (generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as { x: string }).x
    .replace(/-/g, '+')
    .replace(/_/g, '/') + '=';

function usageError(argv: string[]): UsageError {
  try {
    parseCommand(argv, {});
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`no UsageError for ${argv.join(' ')}`);
}

describe('parseCommand pull', () => {
  it('defaults to the newest release, pinning the key in the run work dir', () => {
    expect(parseCommand(base, {})).toEqual({
      command: 'pull',
      coordinator: 'https://c.example',
      token: 'tok',
      tls: { caFile: undefined, pinSha256: undefined, insecure: false },
      out: 'm',
      source: { kind: 'release', release: 'latest', study: undefined },
      publicKey: undefined,
      workDir: 'fedaln-site-work',
      inputSize: undefined,
      allowUnsigned: false,
    });
    expect(parseCommand([...base, '--allow-unsigned'], {})).toMatchObject({ allowUnsigned: true });
  });

  it('reads --release, --study, --public-key, --work-dir and --input-size', () => {
    const argv = [...base, '--release', '4', '--study', 's1', '--public-key', KEY, '--work-dir=/w'];
    expect(parseCommand([...argv, '--input-size', '64'], {})).toMatchObject({
      source: { kind: 'release', release: 4, study: 's1' },
      publicKey: KEY,
      workDir: '/w',
      inputSize: 64,
    });
  });

  it('pulls a global model only with an explicit --version and --study', () => {
    expect(parseCommand([...base, '--study', 's1', '--version', 'latest'], {})).toMatchObject({
      source: { kind: 'global', study: 's1', version: 'latest' },
    });
    expect(parseCommand([...base, '--study', 's1', '--version', '0'], {})).toMatchObject({
      source: { kind: 'global', study: 's1', version: 0 },
    });
  });

  it.each([
    [[...base, '--release', 'newest'], '--release "newest" is not a version'],
    [[...base, '--release=-1'], '--release "-1" is not a version'],
    [
      [...base, '--release', '-1'],
      'fedaln-site pull: --release "-1" starts with "-" like a flag; if it is the value, write --release=-1',
    ],
    [[...base, '--version', '2'], '--version pulls a global model of one study; pass --study ID'],
    [
      [...base, '--study', 's', '--version', '2', '--release', '1'],
      '--release and --version exclude each other',
    ],
    [
      [...base, '--study', 's', '--version', '2', '--public-key', KEY],
      '--public-key has no use with --version',
    ],
    [[...base, '--public-key', 'abc'], '--public-key "abc" is not an Ed25519 public key'],
    // 33 bytes: a key with one byte too many is refused, not truncated.
    [[...base, '--public-key', Buffer.alloc(33, 7).toString('base64')], 'expected the base64 of 32 bytes'],
    [[...base, '--input-size', '16'], '--input-size "16" is not an integer ≥ 32'],
    [[...base, 'extra'], 'unexpected argument "extra"'],
    [['pull', '--coordinator', 'https://c.example', '--token', 't'], '--out is required'],
  ])('refuses %j with exit code 2 and says %s', (argv, message) => {
    const err = usageError(argv);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(message);
  });
});
