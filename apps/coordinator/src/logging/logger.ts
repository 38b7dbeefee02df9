import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/app-config';

/**
 * JSON logs on stdout (one object a line) for `docker logs` and log shippers.
 *
 * @example
 * const log = createLogger('info');
 * log.info({ studyId, roundId }, 'round transition');
 */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'fedaln-coordinator' }, timestamp: pino.stdTimeFunctions.isoTime });
}
