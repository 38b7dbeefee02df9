/**
 * Read-only access to an HDF5 file through h5wasm (the HDF5 C library compiled to WebAssembly, no
 * install script). Its node build opens the file in place (Emscripten NODERAWFS), so a dataset is
 * copied once out of the wasm heap and the file is never held whole in memory: DenseNet201's 80 MB
 * of weights read in about a second with a peak RSS of about 200 MB (jsfive 0.4.2, the pure-JS
 * reader, needs the whole file in an ArrayBuffer and returns plain number arrays: 404 MB).
 *
 * The two failures every user meets first, a file that is not HDF5 and a truncated download, are
 * recognised from the superblock before the library sees the file, so they come back as named
 * errors instead of the library's diagnostic stack.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

type H5wasm = typeof import('h5wasm/node');
type H5File = InstanceType<H5wasm['File']>;

/** `\x89HDF\r\n\x1a\n`, at offset 0 or a power of two from 512 on (after a user block). */
const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** h5wasm's type class for floating point (HDF5's `H5T_FLOAT`). */
const H5T_FLOAT = 1;

export class Hdf5Error extends Error {
  override name = 'Hdf5Error';
}

let loading: Promise<H5wasm> | undefined;

/** h5wasm is ESM-only and loads a 4 MB wasm module; load it once, on first use. */
function loadH5wasm(): Promise<H5wasm> {
  loading ??= import('h5wasm/node').then(async (m) => {
    await m.ready;
    return m;
  });
  return loading;
}

/**
 * Where the superblock is and how long it says the file is: the End of File Address of superblock
 * versions 0–3 (HDF5 File Format Specification 3.0, "Superblock"), relative to the base address
 * (the signature's offset).
 */
async function superblockEnd(file: string): Promise<{ at: number; end: number; size: number }> {
  const handle = await fs.open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new Hdf5Error(`${file} cannot be read (${err.code ?? err.message})`);
  });
  try {
    const { size } = await handle.stat();
    for (let at = 0; at + 64 <= size || at === 0; at = at === 0 ? 512 : at * 2) {
      const head = Buffer.alloc(64);
      const { bytesRead } = await handle.read(head, 0, 64, at);
      if (bytesRead < 16 || !head.subarray(0, 8).equals(SIGNATURE)) {
        if (at + 64 > size) break;
        continue;
      }
      const version = head[8]!;
      const offsets = version <= 1 ? head[13]! : head[9]!;
      const eofAt = version === 0 ? 24 + 2 * offsets : version === 1 ? 28 + 2 * offsets : 12 + 2 * offsets;
      if (version > 3 || ![2, 4, 8].includes(offsets) || eofAt + offsets > bytesRead) {
        throw new Hdf5Error(
          `${file}: HDF5 superblock version ${version} with ${offsets}-byte addresses is not supported`,
        );
      }
      const eof = Number(head.readUIntLE(eofAt, Math.min(offsets, 6)));
      return { at, end: at + eof, size };
    }
    throw new Hdf5Error(
      `${file} is not an HDF5 file (no HDF5 signature); expected a Keras .h5 / .weights.h5 weights file`,
    );
  } finally {
    await handle.close();
  }
}

/**
 * An open HDF5 file. Paths are `/`-separated from the root (`model_weights/conv1_conv`); names may
 * themselves hold `/` only as group separators, as in HDF5.
 *
 * @example
 * const h5 = await Hdf5File.open('densenet201.h5');
 * try { h5.readFloat32('conv1/conv/conv1/conv/kernel:0').shape } finally { h5.close() } // [7, 7, 3, 64]
 */
export class Hdf5File {
  private constructor(
    readonly file: string,
    private readonly h5: H5File,
    private readonly lib: H5wasm,
  ) {}

  static async open(file: string): Promise<Hdf5File> {
    const absolute = path.resolve(file);
    const { end, size } = await superblockEnd(absolute);
    if (size < end) {
      throw new Hdf5Error(
        `${file} is truncated: its HDF5 superblock says ${end} bytes, the file has ${size}; download or copy it again`,
      );
    }
    const lib = await loadH5wasm();
    const h5 = quiet(() => new lib.File(absolute, 'r'));
    if (!h5.file_id || h5.file_id < 0n) throw new Hdf5Error(`${file}: HDF5 could not open it`);
    return new Hdf5File(file, h5, lib);
  }

  close(): void {
    this.h5.close();
  }

  /** Groups and member lists already walked: DenseNet201's root has ~700 members, read once. */
  private readonly groups = new Map<string, InstanceType<H5wasm['Group']> | null>();
  private readonly members = new Map<string, string[]>();

  private memberNames(p: string, g: InstanceType<H5wasm['Group']>): string[] {
    let names = this.members.get(p);
    if (!names) {
      names = g.keys();
      this.members.set(p, names);
    }
    return names;
  }

  private group(p: string): InstanceType<H5wasm['Group']> | null {
    const key = p.split('/').filter(Boolean).join('/');
    if (key === '') return this.h5;
    const cached = this.groups.get(key);
    if (cached !== undefined) return cached;
    const cut = key.lastIndexOf('/');
    const parentKey = cut < 0 ? '' : key.slice(0, cut);
    const name = key.slice(cut + 1);
    const parent = this.group(parentKey);
    let found: InstanceType<H5wasm['Group']> | null = null;
    // Walk with the member list so a missing name is a null here, not an HDF5 error stack on stderr.
    if (parent && this.memberNames(parentKey, parent).includes(name)) {
      const next = quiet(() => parent.get(name));
      if (next instanceof this.lib.Group) found = next;
    }
    this.groups.set(key, found);
    return found;
  }

  /** Whether `p` names a group. */
  isGroup(p: string): boolean {
    return this.group(p) !== null;
  }

  /** Member names of the group `p`, or null when `p` is not a group. */
  keys(p: string): string[] | null {
    const g = this.group(p);
    return g ? [...this.memberNames(p.split('/').filter(Boolean).join('/'), g)] : null;
  }

  /** A string-array attribute of the group `p` (Keras's `layer_names`, `weight_names`), or null. */
  stringsAttr(p: string, name: string): string[] | null {
    const g = this.group(p);
    if (!g || !Object.keys(g.attrs).includes(name)) return null;
    const value = quiet(() => g.attrs[name]!.value);
    const list = Array.isArray(value) ? value : [value];
    // h5py writes Keras's names as fixed-length byte strings, padded with NULs.
    return list.map((v) => (typeof v === 'string' ? v.replace(/\0+$/, '') : String(v)));
  }

  /** The shape of dataset `p`, or null when there is none. */
  datasetShape(p: string): number[] | null {
    const d = this.dataset(p);
    return d ? [...(d.shape ?? [])] : null;
  }

  private dataset(p: string): InstanceType<H5wasm['Dataset']> | null {
    const cut = p.lastIndexOf('/');
    const parentKey = cut < 0 ? '' : p.slice(0, cut).split('/').filter(Boolean).join('/');
    const parent = this.group(parentKey);
    const name = cut < 0 ? p : p.slice(cut + 1);
    if (!parent || !this.memberNames(parentKey, parent).includes(name)) return null;
    const d = quiet(() => parent.get(name));
    return d instanceof this.lib.Dataset ? d : null;
  }

  /**
   * Dataset `p` as float32 (float64 is narrowed as Keras's `float32` variables would be); other
   * types throw, naming the dataset and its type.
   */
  readFloat32(p: string): { shape: number[]; values: Float32Array } {
    const d = this.dataset(p);
    if (!d) throw new Hdf5Error(`${this.file}: no dataset ${p}`);
    const meta = d.metadata;
    if (meta.type !== H5T_FLOAT || (meta.size !== 4 && meta.size !== 8)) {
      throw new Hdf5Error(
        `${this.file}: dataset ${p} holds ${meta.type === H5T_FLOAT ? `float${meta.size * 8}` : `HDF5 type class ${meta.type}, size ${meta.size}`}; expected float32 weights`,
      );
    }
    const value = quiet(() => d.value);
    const shape = [...(meta.shape ?? [])];
    const values =
      value instanceof Float32Array
        ? value
        : Float32Array.from(value as ArrayLike<number> & Iterable<number>);
    return { shape, values };
  }
}

/**
 * Runs a synchronous h5wasm call with HDF5's diagnostic stack (printed through console.error by the
 * wasm module) kept off the terminal; if the call fails, the library's last "minor" reason is added
 * to the error so the message still says what HDF5 found.
 */
function quiet<T>(call: () => T): T {
  const write = process.stderr.write;
  const captured: string[] = [];
  process.stderr.write = ((chunk: string | Uint8Array) => {
    captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stderr.write;
  try {
    return call();
  } catch (err) {
    const reasons = [...captured.join('').matchAll(/minor: (.+)/g)].map((m) => m[1]!.trim());
    throw new Hdf5Error(
      `HDF5 read failed (${(err as Error).message ?? String(err)}${reasons.length ? `: ${reasons.at(-1)}` : ''})`,
    );
  } finally {
    process.stderr.write = write;
  }
}
