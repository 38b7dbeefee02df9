import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { HttpRequest, HttpResponse } from '../http/http-types';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Express middleware: a request id (the caller's `X-Request-Id` when well-formed, else a UUID), echoed
 * in the response header, and one log line per request when it finishes.
 */
export function requestLogging(log: Logger) {
  return (req: HttpRequest, res: HttpResponse, next: () => void): void => {
    const header = req.headers['x-request-id'];
    const id = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info(
        { reqId: id, method: req.method, url: req.originalUrl ?? req.url, status: res.statusCode, ms },
        'request',
      );
    });
    next();
  };
}
