/**
 * A weights blob that cannot be encoded or decoded. `tensor` names the offending tensor when the
 * problem is confined to one, so a site operator or the coordinator log can say which layer is bad.
 */
export class BlobFormatError extends Error {
  override readonly name = 'BlobFormatError';
  constructor(
    message: string,
    readonly tensor?: string,
  ) {
    super(tensor === undefined ? message : `tensor "${tensor}": ${message}`);
  }
}
