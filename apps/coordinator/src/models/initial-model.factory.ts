import type { StudySpec } from '../domain/study-spec';

/**
 * Port: the weights blob (libs/protocol wire format) of a study's version-0 global model. The
 * adapter that builds it with `@fedaln/model` lives beside this file; tests use a fake.
 */
export abstract class InitialModelFactory {
  abstract create(spec: StudySpec): Promise<Uint8Array>;
}
