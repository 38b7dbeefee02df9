import * as path from 'node:path';
import { DomainError } from '../domain/domain-error';
import type { StudySpec } from '../domain/study-spec';
import { InitialModelFactory } from './initial-model.factory';

/**
 * Version 0 from `@fedaln/model`: a freshly initialised DenseNet of the study's arch and input size
 * with the binary ALN head; or the weights of a tfjs layers-format model.json; or the features of a
 * Keras HDF5 weights file (`.h5`, `.weights.h5`: e.g. Keras's ImageNet DenseNet201) under a seeded
 * binary head, Keras's classifier dropped. Encoded as an f32 weights blob by `@fedaln/protocol`. The
 * libraries (and tfjs) load on first use so the coordinator starts fast and a deployment that never
 * starts a study never loads tfjs.
 */
export class DenseNetInitialModelFactory extends InitialModelFactory {
  /** @param baseDir directory that relative `init_weights` paths are resolved against */
  constructor(private readonly baseDir: string) {
    super();
  }

  async create(spec: StudySpec): Promise<Uint8Array> {
    const model = await import('@fedaln/model');
    const { encodeBlob } = await import('@fedaln/protocol');
    await model.selectEngine(); // decoding a layers-format model needs a ready tfjs backend too
    if (spec.init_weights !== 'random' && !/\.h5$/i.test(spec.init_weights)) {
      const dir = path.dirname(path.resolve(this.baseDir, spec.init_weights));
      return encodeBlob(await model.readLayersFormatWeights(dir)).bytes;
    }
    if (!model.isArchitecture(spec.arch)) {
      throw new DomainError(
        'STUDY_SPEC_INVALID',
        `arch "${spec.arch}" is not one of ${model.ARCHITECTURES.join(', ')}`,
      );
    }
    const built = model.buildModel({
      arch: spec.arch,
      inputSize: spec.input_size,
      head: 'binary',
      seed: spec.seed ?? 0,
    });
    let initial: ReturnType<typeof model.namedWeights>;
    try {
      initial = model.namedWeights(built);
    } finally {
      built.dispose();
    }
    if (spec.init_weights === 'random') return encodeBlob(initial).bytes;

    // Keras weights: the file's features (every one checked by name and shape), then the seeded
    // head of the random model (`aln_output`), so both kinds of study start from the same head.
    const head = initial.filter((w) => w.name.startsWith('aln_'));
    initial = [];
    const file = path.resolve(this.baseDir, spec.init_weights);
    const keras = await model
      .readKerasH5Weights(file, { arch: spec.arch, noTop: true, inputSize: spec.input_size })
      .catch((err: Error) => {
        if (err.name !== 'Hdf5Error' && err.name !== 'KerasImportError') throw err;
        throw new DomainError(
          'STUDY_SPEC_INVALID',
          `init_weights "${spec.init_weights}": ${err.message.replace(/pass --arch (\S+)/, 'set "arch" to "$1"')}`,
        );
      });
    return encodeBlob([...keras.weights, ...head]).bytes;
  }
}
