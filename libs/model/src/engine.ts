/**
 * Engine selection (DESIGN.md "Engines"). `FEDALN_ENGINE` or an explicit preference picks one of
 * `auto | tensorflow-gpu | tensorflow | wasm | cpu`; `auto` tries, in order, tfjs-node-gpu, tfjs-node
 * (both optional: they download libtensorflow at install time, so they are absent on most build
 * machines), the wasm backend and the pure-JS cpu backend. Every engine runs the same tfjs code.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import './kernels';
import * as os from 'node:os';

export const ENGINE_NAMES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type EnginePreference = (typeof ENGINE_NAMES)[number];
export type EngineName = Exclude<EnginePreference, 'auto'>;

export interface EngineInfo {
  /** The engine in use. */
  name: EngineName;
  /** The tfjs backend name behind it (`tensorflow`, `wasm`, `cpu`). */
  backend: string;
  /** True when a GPU is in use. */
  gpu: boolean;
  /** Logical cores of this machine. */
  cores: number;
  /** Engines tried before this one and why each was skipped. */
  skipped: { name: EngineName; reason: string }[];
}

/** Hooks run once after a backend is first activated (e.g. registering extra wasm kernels). */
const backendHooks: Record<string, Array<() => void>> = {};
const hooksDone = new Set<string>();

/** Registers a hook run once when `backend` becomes active through {@link selectEngine}. */
export function onBackendReady(backend: string, hook: () => void): void {
  (backendHooks[backend] ??= []).push(hook);
  if (hooksDone.has(backend) && tf.getBackend() === backend) hook();
}

export function parseEnginePreference(value: string | undefined, source = 'FEDALN_ENGINE'): EnginePreference {
  const v = (value ?? 'auto').trim() || 'auto';
  if ((ENGINE_NAMES as readonly string[]).includes(v)) return v as EnginePreference;
  throw new Error(`${source}="${v}" is not an engine; expected one of ${ENGINE_NAMES.join(', ')}`);
}

function tryRequire(moduleName: string): string | null {
  try {
    require(moduleName);
    return null;
  } catch (err) {
    return `${moduleName} not loadable (${(err as Error).message.split('\n')[0]}); install it with \`npm install ${moduleName}@4.22.0\` at a site that has libtensorflow`;
  }
}

async function activate(name: EngineName): Promise<string | null> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const missing = tryRequire(
        name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node',
      );
      if (missing) return missing;
      if (!(await tf.setBackend('tensorflow'))) return 'the tensorflow backend failed to initialise';
      return null;
    }
    case 'wasm':
      return (await tf.setBackend('wasm')) ? null : 'the wasm backend failed to initialise';
    case 'cpu':
      return (await tf.setBackend('cpu')) ? null : 'the cpu backend failed to initialise';
  }
}

/**
 * Activates the preferred engine (default: `FEDALN_ENGINE`, else `auto`) and returns what is in use.
 * An explicit engine that cannot start is an error naming the engine and the fix; `auto` falls through.
 */
export async function selectEngine(
  preference: EnginePreference = parseEnginePreference(process.env.FEDALN_ENGINE),
  log: (message: string) => void = () => undefined,
): Promise<EngineInfo> {
  const order: EngineName[] =
    preference === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [preference];
  const skipped: EngineInfo['skipped'] = [];
  for (const name of order) {
    const reason = await activate(name);
    if (reason) {
      skipped.push({ name, reason });
      continue;
    }
    const backend = tf.getBackend();
    if (!hooksDone.has(backend)) {
      hooksDone.add(backend);
      for (const hook of backendHooks[backend] ?? []) hook();
    }
    const info: EngineInfo = {
      name,
      backend,
      gpu: name === 'tensorflow-gpu',
      cores: os.cpus().length,
      skipped,
    };
    log(`engine: ${name} (backend ${backend}, ${info.cores} cores${info.gpu ? ', GPU' : ''})`);
    return info;
  }
  const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  throw new Error(`engine "${preference}" could not start (${why}); set FEDALN_ENGINE=auto or --engine cpu`);
}
