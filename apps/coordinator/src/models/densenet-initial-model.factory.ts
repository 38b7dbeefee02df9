import * as path from 'node:path';
import { DomainError } from '../domain/domain-error';
import type { StudySpec } from '../domain/study-spec';
import { InitialModelFactory } from './initial-model.factory';

/**
 * Version 0 from `@fedaln/model`: a freshly initialised DenseNet of the study's arch and input size
 * with the binary ALN head, or the weights of a tfjs layers-format model.json, encoded as an f32
 * weights blob by `@fedaln/protocol`. The libraries (and tfjs) load on first use so the coordinator
 * starts fast and a deployment that never starts a study never loads tfjs.
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
    if (spec.init_weights !== 'random') {
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
    try {
      return encodeBlob(model.namedWeights(built)).bytes;
    } finally {
      built.dispose();
    }
  }
}
