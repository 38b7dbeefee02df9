import { UsageError } from '@fedaln/cli-flags';
import { ENGINE_NAMES, type EnginePreference } from '@fedaln/model';
import { readFileSync } from 'node:fs';
import type { TlsFlags } from '../tls/coordinator-tls';
import { CONNECTION_FLAGS, CONNECTION_USAGE, connectionFlags, coordinatorUrl } from './coordinator-url';
import { parseCommandFlags } from './parse-flags';
import {
  INSPECT_DATA_EXIT,
  INSPECT_DATA_USAGE,
  parseInspectData,
  type InspectDataCommand,
} from './parse-inspect-data';
import { parsePull, PULL_USAGE, type PullCommand } from './parse-pull';

export type { PullCommand } from './parse-pull';
export type { InspectDataCommand } from './parse-inspect-data';

export const EVAL_SPLITS = ['test', 'train', 'all'] as const;
export type EvalSplit = (typeof EVAL_SPLITS)[number];

export interface RunCommand {
  command: 'run';
  coordinator: string;
  token: string;
  /** `--ca-file`, `--pin-sha256`, `--insecure`. */
  tls: TlsFlags;
  data: string;
  engine: EnginePreference;
  workDir: string;
  /** Used until a task names its own: architecture for the warm-up, input size for images. */
  arch: string;
  inputSize: number;
  /** Seed of the stratified split for rows without a `split`. */
  seed: number;
  minPerClass: number;
  /** Exit 0 once the study's last round (`task.rounds`) has been served: its evaluate task reported. */
  once: boolean;
  /** Exit 0 when, after at least one task, no task came for this many seconds (0 = never). */
  idleExit: number;
}
export interface PredictCommand {
  command: 'predict';
  model: string;
  images: string[];
  out: string | undefined;
  batch: number;
  /** Where the pinned coordinator key lives; the model folder's manifest is verified against it. */
  workDir: string;
  /** `--allow-unsigned`: use a model folder that is not a verified signed release, with a warning. */
  allowUnsigned: boolean;
  /** `--labels`: a labels.csv whose feature columns give the combined model's probability (issue 15). */
  labels?: string;
}
export interface EvaluateCommand {
  command: 'evaluate';
  model: string;
  data: string;
  json: boolean;
  split: EvalSplit;
  seed: number;
  batch: number;
  workDir: string;
  allowUnsigned: boolean;
}
/** `fedaln-site adapt`: AdaBN of a model folder on a new site's unlabelled images (README "Strategies"). */
export interface AdaptCommand {
  command: 'adapt';
  model: string;
  /** A folder of the new site's images (PNG, JPEG or DICOM); labels are neither needed nor read. */
  data: string;
  out: string;
  batch: number;
  workDir: string;
  allowUnsigned: boolean;
}
export type Command =
  | RunCommand
  | PullCommand
  | PredictCommand
  | EvaluateCommand
  | AdaptCommand
  | InspectDataCommand
  | { command: 'help' };

export const USAGE = `fedaln-site — the FedALN site client

  fedaln-site run --coordinator URL --token TOKEN --data DIR [--engine auto|tensorflow-gpu|tensorflow|wasm|cpu]
                  [--work-dir DIR] [--arch densenet201] [--input-size 224] [--seed 1] [--min-per-class 2]
                  [--once] [--idle-exit SECONDS] ${CONNECTION_USAGE}
${PULL_USAGE}
  fedaln-site predict --model DIR IMAGE... [--out preds.csv] [--batch 16] [--work-dir DIR] [--allow-unsigned]
      [--labels labels.csv]  (with the release's nomogram.json: recalibrated, and combined where the features are)
  fedaln-site evaluate --model DIR --data DIR [--split test|train|all] [--json] [--seed 1] [--batch 16]
                       [--work-dir DIR] [--allow-unsigned]
  fedaln-site adapt --model DIR --data IMAGES_DIR --out DIR [--batch 16] [--work-dir DIR] [--allow-unsigned]
${INSPECT_DATA_USAGE}

${INSPECT_DATA_EXIT}

adapt (AdaBN) re-estimates every BatchNorm layer's statistics on a new site's unlabelled images (all
PNG/JPEG/DICOM files of IMAGES_DIR) and writes the adapted model to --out (a new folder); the adapted
folder is no longer the signed release, so predict takes it with --allow-unsigned.

predict and evaluate use only a model pulled from a signed release (its manifest verified against the
coordinator key pinned in --work-dir); --allow-unsigned uses any model folder, with a warning.

The token may also come from the environment variable FEDALN_SITE_TOKEN, or from the file named by
FEDALN_SITE_TOKEN_FILE (a Docker secret); it then stays out of \`ps\`.
--coordinator must be https:// unless it is this machine (127.0.0.1, localhost) or --insecure is given.
--ca-file FILE trusts the consortium's own CA; the coordinator's TLS key is pinned in the work dir
(coordinator-tls.json) at first contact, or ahead of it with --pin-sha256 BASE64.`;

const tokenFlag = { kind: 'string', hint: '<enrolment token from the lead>' } as const;
const coordinatorFlag = { kind: 'string', required: true, hint: 'https://fedaln.example.org' } as const;
const inputSizeFlag = { kind: 'int', default: 224, min: 32, hint: '224' } as const;
const seedFlag = { kind: 'int', default: 1, min: 0, hint: '1' } as const;
const batchFlag = { kind: 'int', default: 16, min: 1, hint: '16' } as const;
const workDirFlag = { kind: 'string', default: 'fedaln-site-work', hint: '/var/lib/fedaln-site' } as const;

/** `--token`, else `FEDALN_SITE_TOKEN`, else the file `FEDALN_SITE_TOKEN_FILE` names (a Docker secret). */
function token(command: string, flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const value = flag ?? env.FEDALN_SITE_TOKEN ?? tokenFile(command, env.FEDALN_SITE_TOKEN_FILE);
  if (value === undefined || value.trim() === '') {
    throw new UsageError(
      `fedaln-site ${command}: no enrolment token; pass --token TOKEN or set FEDALN_SITE_TOKEN or FEDALN_SITE_TOKEN_FILE (the lead issues it)`,
    );
  }
  return value.trim();
}

function tokenFile(command: string, file: string | undefined): string | undefined {
  if (file === undefined || file === '') return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(
      `fedaln-site ${command}: FEDALN_SITE_TOKEN_FILE "${file}" cannot be read (${(e as Error).message}); point it at the file holding the enrolment token`,
    );
  }
}

/**
 * Parses the command line (without `node` and the script). Throws {@link UsageError} (exit 2) naming
 * the bad flag and the fix.
 *
 * @example
 * parseCommand(['predict', '--model', 'm', 'a.png'], {}); // { command: 'predict', model: 'm', images: ['a.png'], out: undefined, batch: 16 }
 */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  const [name, ...rest] = argv;
  switch (name) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { command: 'help' };
    case 'run': {
      const { flags } = parseCommandFlags('run', rest, {
        coordinator: coordinatorFlag,
        token: tokenFlag,
        data: { kind: 'string', required: true, hint: '/data/aln-ultrasound' },
        engine: { kind: 'choice', values: ENGINE_NAMES, default: 'auto' },
        'work-dir': workDirFlag,
        arch: { kind: 'string', default: 'densenet201', hint: 'densenet201' },
        'input-size': inputSizeFlag,
        seed: seedFlag,
        'min-per-class': { kind: 'int', default: 2, min: 1, hint: '2' },
        once: { kind: 'switch' },
        'idle-exit': { kind: 'int', default: 0, min: 0, hint: '60' },
        ...CONNECTION_FLAGS,
      });
      const coordinator = coordinatorUrl('run', flags.coordinator, flags.insecure);
      return {
        command: 'run',
        coordinator,
        token: token('run', flags.token, env),
        tls: connectionFlags('run', coordinator, flags),
        data: flags.data,
        engine: flags.engine as EnginePreference,
        workDir: flags['work-dir'],
        arch: flags.arch,
        inputSize: flags['input-size'],
        seed: flags.seed,
        minPerClass: flags['min-per-class'],
        once: flags.once,
        idleExit: flags['idle-exit'],
      };
    }
    case 'pull':
      return parsePull(rest, (flag) => token('pull', flag, env));
    case 'predict': {
      const { flags, positionals } = parseCommandFlags(
        'predict',
        rest,
        {
          model: { kind: 'string', required: true, hint: 'models/latest' },
          out: { kind: 'string', hint: 'preds.csv' },
          batch: batchFlag,
          'work-dir': workDirFlag,
          'allow-unsigned': { kind: 'switch' },
          labels: { kind: 'string', hint: 'labels.csv' },
        },
        { positionals: true },
      );
      if (positionals.length === 0) {
        throw new UsageError(
          'fedaln-site predict: no images; pass image paths after the flags, e.g. scans/*.png',
        );
      }
      return {
        command: 'predict',
        model: flags.model,
        images: positionals,
        out: flags.out,
        batch: flags.batch,
        workDir: flags['work-dir'],
        allowUnsigned: flags['allow-unsigned'],
        ...(flags.labels === undefined ? {} : { labels: flags.labels }),
      };
    }
    case 'evaluate': {
      const { flags } = parseCommandFlags('evaluate', rest, {
        model: { kind: 'string', required: true, hint: 'models/latest' },
        data: { kind: 'string', required: true, hint: '/data/aln-ultrasound' },
        json: { kind: 'switch' },
        split: { kind: 'choice', values: EVAL_SPLITS, default: 'test' },
        seed: seedFlag,
        batch: batchFlag,
        'work-dir': workDirFlag,
        'allow-unsigned': { kind: 'switch' },
      });
      return {
        command: 'evaluate',
        model: flags.model,
        data: flags.data,
        json: flags.json,
        split: flags.split as EvalSplit,
        seed: flags.seed,
        batch: flags.batch,
        workDir: flags['work-dir'],
        allowUnsigned: flags['allow-unsigned'],
      };
    }
    case 'adapt': {
      const { flags } = parseCommandFlags('adapt', rest, {
        model: { kind: 'string', required: true, hint: 'models/latest' },
        data: { kind: 'string', required: true, hint: '/data/new-site-images' },
        out: { kind: 'string', required: true, hint: 'models/adapted' },
        batch: batchFlag,
        'work-dir': workDirFlag,
        'allow-unsigned': { kind: 'switch' },
      });
      return {
        command: 'adapt',
        model: flags.model,
        data: flags.data,
        out: flags.out,
        batch: flags.batch,
        workDir: flags['work-dir'],
        allowUnsigned: flags['allow-unsigned'],
      };
    }
    case 'inspect-data':
      return parseInspectData(rest);
    default:
      throw new UsageError(
        `fedaln-site: unknown command "${name}"; expected run, pull, predict, evaluate, adapt or inspect-data`,
      );
  }
}
