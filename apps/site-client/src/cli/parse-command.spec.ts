import { UsageError } from '@fedaln/cli-flags';
import { describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCommand } from './parse-command';

/** `pull` of a global model of study `s` from a coordinator on this machine. */
const globalPull = (version: string) => [
  'pull',
  '--coordinator',
  'http://localhost',
  '--token',
  't',
  '--study',
  's',
  '--out',
  'o',
  '--version',
  version,
];
const run = ['run', '--coordinator', 'https://c.example/', '--token', 'tok', '--data', '/d'];

function usageError(argv: string[], env: NodeJS.ProcessEnv = {}): UsageError {
  try {
    parseCommand(argv, env);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`no UsageError for ${argv.join(' ')}`);
}

describe('parseCommand', () => {
  it('reads run with its defaults, trimming the trailing slash of the coordinator URL', () => {
    expect(parseCommand(run, {})).toEqual({
      command: 'run',
      coordinator: 'https://c.example',
      token: 'tok',
      data: '/d',
      engine: 'auto',
      workDir: 'fedaln-site-work',
      arch: 'densenet201',
      inputSize: 224,
      seed: 1,
      minPerClass: 2,
      once: false,
      idleExit: 0,
      tls: { caFile: undefined, pinSha256: undefined, insecure: false },
    });
  });

  it('takes --flag=value, switches, and the token from FEDALN_SITE_TOKEN', () => {
    const argv = [
      'run',
      '--coordinator=http://h:3000',
      '--insecure',
      '--data=/d',
      '--engine=cpu',
      '--once',
      '--input-size',
      '32',
    ];
    expect(parseCommand(argv, { FEDALN_SITE_TOKEN: 'from-env' })).toMatchObject({
      coordinator: 'http://h:3000',
      tls: { insecure: true },
      token: 'from-env',
      engine: 'cpu',
      once: true,
      inputSize: 32,
    });
  });

  it('reads the token from FEDALN_SITE_TOKEN_FILE (a Docker secret), without its newline', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-token-')), 'site_token');
    fs.writeFileSync(file, 'from-file\n');
    expect(
      parseCommand([...run.slice(0, 3), '--data', '/d'], { FEDALN_SITE_TOKEN_FILE: file }),
    ).toMatchObject({
      token: 'from-file',
    });
    expect(
      usageError([...run.slice(0, 3), '--data', '/d'], { FEDALN_SITE_TOKEN_FILE: `${file}.missing` }).message,
    ).toContain(`FEDALN_SITE_TOKEN_FILE "${file}.missing" cannot be read`);
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it('reads predict positionals and evaluate choices', () => {
    expect(parseCommand(['predict', '--model', 'm', 'a.png', 'b.jpg', '--batch', '4'], {})).toEqual({
      command: 'predict',
      model: 'm',
      images: ['a.png', 'b.jpg'],
      out: undefined,
      batch: 4,
      workDir: 'fedaln-site-work',
      allowUnsigned: false,
    });
    expect(
      parseCommand(['evaluate', '--model', 'm', '--data', 'd', '--split', 'all', '--json'], {}),
    ).toMatchObject({
      split: 'all',
      json: true,
      allowUnsigned: false,
    });
    expect(
      parseCommand(['predict', '--model', 'm', 'a.png', '--allow-unsigned', '--work-dir', 'w'], {}),
    ).toMatchObject({ allowUnsigned: true, workDir: 'w' });
    expect(parseCommand(['evaluate', '--model', 'm', '--data', 'd', '--allow-unsigned'], {})).toMatchObject({
      allowUnsigned: true,
    });
    expect(parseCommand(globalPull('3'), {})).toMatchObject({
      source: { kind: 'global', study: 's', version: 3 },
    });
  });

  it('reads inspect-data', () => {
    expect(parseCommand(['inspect-data', '--data', 'site', '--json', '--dump-png', 'out'], {})).toEqual({
      command: 'inspect-data',
      data: 'site',
      json: true,
      dumpPng: 'out',
      seed: 1,
    });
    expect(() => parseCommand(['inspect-data'], {})).toThrow('--data');
  });

  it('reads the connection flags of run and pull; http:// to loopback needs no --insecure', () => {
    const pin = Buffer.alloc(32, 7).toString('base64');
    expect(parseCommand([...run, '--ca-file', 'ca.crt', '--pin-sha256', pin], {})).toMatchObject({
      tls: { caFile: 'ca.crt', pinSha256: pin, insecure: false },
    });
    expect(
      parseCommand(['pull', '--coordinator', 'http://[::1]:8080', '--token', 't', '--out', 'o'], {}),
    ).toMatchObject({ coordinator: 'http://[::1]:8080', tls: { insecure: false } });
  });

  it.each([
    [['run', '--data', '/d', '--token', 't'], '--coordinator is required'],
    [
      ['run', '--coordinator', 'http://localhost', '--data', '/d'],
      'pass --token TOKEN or set FEDALN_SITE_TOKEN',
    ],
    [
      [...run, '--engine', 'gpu'],
      '--engine "gpu" is not a valid choice; expected one of auto, tensorflow-gpu, tensorflow, wasm, cpu',
    ],
    [[...run, '--input-size', '16'], '--input-size "16" is not an integer ≥ 32; pass e.g. --input-size 224'],
    [[...run, '--input-size', '2.5e2'], '--input-size "2.5e2" is not an integer ≥ 32'],
    [[...run, '--epochs', '3'], 'unknown flag "--epochs"; expected one of --coordinator'],
    [[...run, '--once=yes'], '--once takes no value'],
    [[...run, '--data', '/e'], '--data is given twice'],
    [
      ['run', '--coordinator', 'not a url', '--token', 't', '--data', 'd'],
      '--coordinator "not a url" is not a URL',
    ],
    [['run', '--coordinator', '--token', 't', '--data', 'd'], '--coordinator needs a value'],
    [['predict', '--model', 'm'], 'no images'],
    [globalPull('v2'), '--version "v2" is not a version'],
    [['train'], 'unknown command "train"'],
    [
      ['run', '--coordinator', 'http://192.0.2.2:8080', '--token', 't', '--data', 'd'],
      '--coordinator "http://192.0.2.2:8080" is plain http:// to another machine',
    ],
    [
      ['pull', '--coordinator', 'http://fedaln.example.org', '--token', 't', '--out', 'o'],
      'use https://fedaln.example.org (with --ca-file FILE if the consortium runs its own CA), or add --insecure',
    ],
    [[...run, '--insecure'], '--insecure only allows plain http:// to another machine'],
    [
      ['run', '--coordinator', 'http://127.0.0.1:8080', '--token', 't', '--data', 'd', '--ca-file', 'ca.crt'],
      '--ca-file has no use with --coordinator http://127.0.0.1:8080',
    ],
    [[...run, '--pin-sha256', 'abc'], '--pin-sha256 "abc" is not a sha256 in base64'],
  ])('refuses %j with exit code 2 and says %s', (argv, message) => {
    const err = usageError(argv);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(message);
  });

  it.each([
    [
      [...run, '--epochs', '3'],
      'fedaln-site run: unknown flag "--epochs"; expected one of --coordinator, --token, --data, --engine, ' +
        '--work-dir, --arch, --input-size, --seed, --min-per-class, --once, --idle-exit, --ca-file, --pin-sha256, ' +
        '--insecure (see fedaln-site --help)',
    ],
    [
      ['predict', '--model', 'm', 'a.png', '--batch'],
      'fedaln-site predict: --batch needs a value; pass e.g. --batch 16',
    ],
    [
      ['evaluate', '--model', 'm', '--data', 'd', '--split'],
      'fedaln-site evaluate: --split needs a value; expected one of test, train, all',
    ],
    [
      ['predict', '--model', 'm', 'a.png', '--batch', '0'],
      'fedaln-site predict: --batch "0" is not an integer ≥ 1; pass e.g. --batch 16',
    ],
    [
      [...run, '--seed', '-3'],
      'fedaln-site run: --seed "-3" starts with "-" like a flag; if it is the value, write --seed=-3',
    ],
    [[...run, '--seed=-3'], 'fedaln-site run: --seed "-3" is not an integer ≥ 0; pass e.g. --seed 1'],
    [[...run, 'extra'], 'fedaln-site run: unexpected argument "extra"; see fedaln-site --help'],
    [
      ['evaluate', '--model', 'm', '--data', 'd', '--split', 'dev'],
      'fedaln-site evaluate: --split "dev" is not a valid choice; expected one of test, train, all',
    ],
  ])('refuses %j with exactly: %s', (argv, message) => {
    expect(usageError(argv).message).toBe(message);
  });
});
