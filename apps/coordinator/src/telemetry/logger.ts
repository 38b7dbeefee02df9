import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/app-config';

/** The coordinator's structured logger (pino), as services see it. */
export type AppLogger = Logger;

/** DI token of the {@link AppLogger} (a pino logger is not a class Nest can inject by type). */
export const APP_LOGGER = Symbol('AppLogger');

/**
 * JSON logs on stdout (one object a line) for `docker logs` and log shippers.
 *
 * @example
 * const log = createLogger('info');
 * log.info({ studyId, roundId }, 'round transition');
 */
export function createLogger(level: LogLevel): AppLogger {
  return pino({ level, base: { service: 'fedaln-coordinator' }, timestamp: pino.stdTimeFunctions.isoTime });
}
