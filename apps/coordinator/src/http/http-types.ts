/**
 * The few Express request/response members the coordinator uses (Express's own types are not
 * installed; these are structural subsets of express 5's `Request` and `Response`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../auth/principal';

export interface HttpRequest extends IncomingMessage {
  /** Set by the request-id middleware. */
  id?: string;
  /** Set by the auth guards. */
  principal?: Principal;
  params: Record<string, string>;
  originalUrl?: string;
}

export interface HttpResponse extends ServerResponse {
  status(code: number): HttpResponse;
  json(body: unknown): HttpResponse;
}
