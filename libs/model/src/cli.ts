/**
 * `fedaln-model`: summary of a DenseNet, conversion between the tfjs layers format and the weights
 * blob, and inspection of either. The only file of this package that talks to the terminal.
 * Exit codes: 0 done, 2 bad flags or bad input files (the message names the flag or file), 1 bugs.
 */
import { choiceFlag, integerFlag, parseFlags, UsageError, type FlagOptions } from '@fedaln/cli-flags';
import { blobSha256, readBlobHeader, TENSOR_ENCODINGS } from '@fedaln/protocol';
import type * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ARCHITECTURES, DENSENET_SPECS, finalFeatureSize, isArchitecture } from './densenet/architectures';
import type { Head } from './densenet/build-model';

const MODEL_JSON = 'model.json';

/**
 * tfjs takes a second or more to load on a busy machine; flags are checked before it is, so a typo
 * fails at once. Typed as the modules themselves.
 */
function loadModelCode() {
  const tfCore = require('@tensorflow/tfjs-core') as typeof import('@tensorflow/tfjs-core');
  // The cpu backend's "install tfjs-node" banner is noise for a CLI that never trains.
  tfCore.env().set('PROD', true);
  return {
    ...(require('./engine') as typeof import('./engine')),
    ...(require('./densenet/build-model') as typeof import('./densenet/build-model')),
    ...(require('./densenet/model-summary') as typeof import('./densenet/model-summary')),
    ...(require('./io/blob-conversion') as typeof import('./io/blob-conversion')),
    ...(require('./io/layers-format') as typeof import('./io/layers-format')),
    ...(require('./io/import-keras') as typeof import('./io/import-keras')),
  };
}

const USAGE = `usage:
  fedaln-model summary --arch ${ARCHITECTURES.join('|')} [--input 224] [--classes 1000|1] [--no-top] [--json]
  fedaln-model convert --in DIR_WITH_MODEL_JSON --out FILE.blob [--encoding f32|f16|q8]
  fedaln-model convert --in FILE.blob --out DIR [--input 224]
  fedaln-model import-keras FILE.h5 --arch ${ARCHITECTURES.join('|')} [--no-top] [--classes 1000] [--input 224] --out DIR
  fedaln-model inspect FILE.blob|DIR [--json]`;

const print = (line: string) => process.stdout.write(`${line}\n`);
// `fedaln-model summary ... | head` closes stdout early; that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

/** What to pass, for a flag given without its value. */
const EXPECTED = {
  arch: `expected one of ${ARCHITECTURES.join(', ')}`,
  input: 'pass e.g. --input 224',
  classes: 'pass e.g. --classes 1',
  in: 'pass a layers-format directory or a .blob file',
  'no-top': 'a switch: pass --no-top alone',
  out: 'pass e.g. --out model.blob',
  encoding: `expected one of ${TENSOR_ENCODINGS.join(', ')}`,
};

// Bad flags and input throw UsageError: exit 2 with a message naming the value, what was expected and what to fix.
const parse = <O extends FlagOptions>(args: string[], options: O) =>
  parseFlags({ args, options, allowPositionals: true, help: 'fedaln-model --help', expected: EXPECTED });

async function summary(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, {
    arch: { type: 'string' },
    input: { type: 'string' },
    classes: { type: 'string' },
    'no-top': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (positionals.length)
    throw new UsageError(`summary takes no positional arguments; got "${positionals.join(' ')}"`);
  const arch = values.arch;
  if (typeof arch !== 'string' || !isArchitecture(arch)) {
    throw new UsageError(
      `--arch "${arch ?? ''}" is not a DenseNet; expected one of ${ARCHITECTURES.join(', ')}`,
    );
  }
  const input = integerFlag('--input', values.input, { min: 1, default: 224 });
  if (finalFeatureSize(DENSENET_SPECS[arch], input) < 1) {
    throw new UsageError(`--input ${input} is too small for ${arch}; expected at least 32`);
  }
  const classes = integerFlag('--classes', values.classes, { min: 1, default: 1000 });
  if (values['no-top'] && values.classes !== undefined) {
    throw new UsageError(
      `--no-top and --classes ${classes} contradict; drop one (--no-top has no classifier)`,
    );
  }
  const head: Head = values['no-top'] ? 'none' : classes === 1 ? 'binary' : 'imagenet';
  const { selectEngine, buildModel, describeModel } = loadModelCode();
  await selectEngine('cpu');
  const model = buildModel({ arch, inputSize: input, head, classes, seed: 0 });
  try {
    const { lines, json } = describeModel(model, arch, input);
    lines.forEach((l) => print(l));
    if (values.json) print(JSON.stringify(json));
  } finally {
    model.dispose();
  }
}

async function isLayersDir(p: string): Promise<boolean> {
  return fs.stat(path.join(p, MODEL_JSON)).then(
    () => true,
    () => false,
  );
}

async function convert(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, {
    in: { type: 'string' },
    out: { type: 'string' },
    encoding: { type: 'string' },
    input: { type: 'string' },
  });
  if (positionals.length)
    throw new UsageError(`convert takes --in and --out; got extra "${positionals.join(' ')}"`);
  const from = values.in;
  const to = values.out;
  if (typeof from !== 'string' || typeof to !== 'string')
    throw new UsageError('convert needs both --in and --out');
  const encoding = choiceFlag('--encoding', values.encoding, TENSOR_ENCODINGS, 'f32');
  const inputSize = integerFlag('--input', values.input, { min: 1, default: 224 });
  const { selectEngine, layersDirToBlob, blobToLayersDir } = loadModelCode();
  await selectEngine('cpu');
  if (await isLayersDir(from)) {
    if (!to.endsWith('.blob'))
      throw new UsageError(`--out "${to}" should be a .blob file when --in is a layers-format directory`);
    const blob = await layersDirToBlob(from, { encoding, inputSize }).catch((err: Error) => {
      throw new UsageError(`--in ${from}: ${err.message}`);
    });
    await fs.writeFile(to, blob.bytes);
    print(
      `${to}: ${blob.arch} (${blob.head} head), ${blob.bytes.length} bytes, ${encoding}, sha256 ${blob.sha256}`,
    );
    return;
  }
  const bytes = await fs.readFile(from).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(
      `--in "${from}" is neither a layers-format directory (no ${MODEL_JSON}) nor a readable blob file (${err.code ?? err.message})`,
    );
  });
  const recognised = await blobToLayersDir(bytes, to, { inputSize }).catch((err: Error) => {
    throw new UsageError(`--in ${from}: ${err.message}`);
  });
  print(
    `${to}: ${recognised.arch} (${recognised.head} head), input ${inputSize}, from blob sha256 ${blobSha256(bytes)}`,
  );
}

/** Progress of a long import on stderr, every tenth of the bytes, so stdout stays the result. */
function progressReporter(file: string) {
  let shown = 0;
  return ({
    tensors,
    totalTensors,
    bytes,
    totalBytes,
  }: {
    tensors: number;
    totalTensors: number;
    bytes: number;
    totalBytes: number;
  }) => {
    if (totalBytes < 8e6) return; // a small file is done before a line would help
    const tenth = Math.floor((10 * bytes) / Math.max(totalBytes, 1));
    if (tenth <= shown && tensors < totalTensors) return;
    shown = tenth;
    process.stderr.write(
      `fedaln-model: ${file}: read ${tensors}/${totalTensors} tensors, ${(bytes / 1e6).toFixed(1)}/${(totalBytes / 1e6).toFixed(1)} MB\n`,
    );
  };
}

async function importKeras(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, {
    arch: { type: 'string' },
    out: { type: 'string' },
    input: { type: 'string' },
    classes: { type: 'string' },
    'no-top': { type: 'boolean' },
  });
  const file = positionals[0];
  if (positionals.length !== 1 || file === undefined)
    throw new UsageError(
      `import-keras takes one FILE.h5; got ${positionals.length ? `"${positionals.join(' ')}"` : 'none'}`,
    );
  const arch = values.arch;
  if (typeof arch !== 'string' || !isArchitecture(arch)) {
    throw new UsageError(
      `--arch "${arch ?? ''}" is not a DenseNet; expected one of ${ARCHITECTURES.join(', ')} (the Keras application the file was saved from)`,
    );
  }
  const out = values.out;
  if (typeof out !== 'string')
    throw new UsageError('import-keras needs --out DIR (the layers-format directory to write)');
  const inputSize = integerFlag('--input', values.input, { min: 1, default: 224 });
  if (finalFeatureSize(DENSENET_SPECS[arch], inputSize) < 1) {
    throw new UsageError(`--input ${inputSize} is too small for ${arch}; expected at least 32`);
  }
  const noTop = values['no-top'] === true;
  if (noTop && values.classes !== undefined) {
    throw new UsageError('--no-top and --classes contradict; drop one (--no-top has no classifier)');
  }
  const classes = integerFlag('--classes', values.classes, { min: 1, default: 1000 });
  const { selectEngine, importKerasH5 } = loadModelCode();
  await selectEngine('cpu');
  const result = await importKerasH5(file, out, {
    arch,
    noTop,
    classes,
    inputSize,
    onProgress: progressReporter(file),
  }).catch((err: Error) => {
    // Bad input (not HDF5, truncated, names or shapes that do not fit): exit 2 with the message.
    if (err.name === 'Hdf5Error' || err.name === 'KerasImportError') throw new UsageError(err.message);
    throw err;
  });
  print(
    `${out}: ${result.arch} (${result.head === 'none' ? 'no top' : `top of ${result.classes} classes`}) from ${file} (${result.layout}), ` +
      `${result.tensors} tensors, ${result.params} values`,
  );
}

interface TensorRow {
  name: string;
  shape: number[];
  encoding: string;
  bytes: number;
}

function printTensors(rows: TensorRow[]): void {
  const width = Math.max(...rows.map((r) => r.name.length), 4);
  for (const r of rows)
    print(
      `  ${r.name.padEnd(width)}  ${`[${r.shape.join(',')}]`.padEnd(18)}  ${r.encoding.padEnd(7)}  ${r.bytes}`,
    );
}

async function inspect(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  const file = positionals[0];
  if (positionals.length !== 1 || file === undefined)
    throw new UsageError('inspect takes one FILE (a .blob or a layers-format directory)');
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  let report: Record<string, unknown>;
  if (await isLayersDir(file)) {
    const { manifestEntryBytes } = loadModelCode();
    const modelJson = JSON.parse(await fs.readFile(path.join(file, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
    const entries = (modelJson.weightsManifest ?? []).flatMap((g) => g.weights);
    const shardBytes: Buffer[] = [];
    const shards = [];
    for (const p of (modelJson.weightsManifest ?? []).flatMap((g) => g.paths)) {
      const bytes = await fs.readFile(path.join(file, p));
      shardBytes.push(bytes);
      shards.push({ path: p, bytes: bytes.length, sha256: sha(bytes) });
    }
    // Each tensor's stored bytes hashed on their own, so a tensor can be compared with another
    // reader's (e.g. h5py's float32 little-endian bytes) without printing values.
    const all = Buffer.concat(shardBytes);
    let offset = 0;
    const tensors = entries.map((e) => {
      const bytes = manifestEntryBytes(e) ?? 0;
      const row = {
        name: e.name,
        shape: e.shape,
        encoding: e.quantization?.dtype ?? e.dtype,
        bytes,
        sha256: offset + bytes <= all.length ? sha(all.subarray(offset, offset + bytes)) : null,
      };
      offset += bytes;
      return row;
    });
    report = { file, kind: 'layers-model', format: modelJson.format ?? null, shards, tensors };
    print(
      `${file}: tfjs ${modelJson.format ?? 'layers-model'}, ${tensors.length} tensors in ${shards.length} shards`,
    );
    for (const s of shards) print(`  ${s.path}  ${s.bytes} bytes  sha256 ${s.sha256}`);
    printTensors(tensors);
  } else {
    const bytes = await fs.readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(
        `FILE "${file}" cannot be read (${err.code ?? err.message}); expected a .blob or a layers-format directory`,
      );
    });
    let header: ReturnType<typeof readBlobHeader>['header'];
    try {
      header = readBlobHeader(bytes).header;
    } catch (err) {
      throw new UsageError(`FILE "${file}" is not a weights blob: ${(err as Error).message}`);
    }
    const tensors = header.tensors.map((t) => ({
      name: t.name,
      shape: t.shape,
      encoding: t.encoding,
      bytes: t.length,
    }));
    const params = header.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    report = {
      file,
      kind: 'blob',
      format: header.format,
      sha256: blobSha256(bytes),
      bytes: bytes.length,
      params,
      tensors,
    };
    const encodings = [...new Set(tensors.map((t) => t.encoding))].join(', ');
    print(
      `${file}: weights blob format ${header.format}, ${tensors.length} tensors, ${params} values, ${bytes.length} bytes`,
    );
    print(`  sha256 ${report.sha256 as string}; encodings ${encodings}`);
    printTensors(tensors);
  }
  if (values.json) print(JSON.stringify(report));
}

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  summary,
  convert,
  inspect,
  'import-keras': importKeras,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help') {
    print(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  try {
    if (!run)
      throw new UsageError(
        `unknown command "${command}"; expected one of ${Object.keys(COMMANDS).join(', ')}`,
      );
    await run(rest);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`fedaln-model: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`fedaln-model: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
