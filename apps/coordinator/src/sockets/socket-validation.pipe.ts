import type { PipeTransform } from '@nestjs/common';
import { validatePayload } from './socket-payload';

/**
 * The gateway's pipe for one message body: validates and transforms the payload into `dto` with
 * {@link validatePayload} (a failure is acked `bad_request` naming the fields). The handler types
 * its parameter with the protocol's interface, whose design type (Object) the app's global REST
 * ValidationPipe passes through untouched, so only this pipe judges socket payloads.
 *
 * @example
 * hello(@MessageBody(new SocketValidationPipe(HelloDto)) hello: HelloPayload) { … }
 */
export class SocketValidationPipe<T extends object> implements PipeTransform<unknown, Promise<T>> {
  constructor(private readonly dto: new () => T) {}

  transform(value: unknown): Promise<T> {
    return validatePayload(this.dto, value);
  }
}
