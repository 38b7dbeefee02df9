import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NO_NATIVE_MASKING_WARNING, nativeFrameMasking } from '@fedaln/protocol';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule, type CoordinatorParts } from './app.module';
import { AdminAuthService } from './auth/admin-auth.service';
import type { AppConfig } from './config/app-config';
import { armCrashPoint } from './config/crash-point';
import { HTTP_KEEP_ALIVE_TIMEOUT_MS, httpsOptions, proxyWarning } from './config/listen-config';
import { mountDashboard } from './dashboard/mount-dashboard';
import { DomainErrorFilter } from './http/domain-error.filter';
import { STUDY_VALIDATION } from './studies/validate-study-spec';
import { DenseNetInitialModelFactory } from './models/densenet-initial-model.factory';
import { openDatabase } from './persistence/data-source';
import { TypeOrmAdminTokenRepository } from './persistence/typeorm-admin-token.repository';
import { TypeOrmAuditLog } from './persistence/typeorm-audit-log';
import { privateDataDir, PRIVATE_DIR_MODE } from './persistence/private-dir';
import { createLogger } from './telemetry/logger';
import { PinoNestLogger } from './telemetry/pino-nest-logger';
import { requestLogging } from './telemetry/request-logging';

/**
 * `fedaln-coordinator serve`: opens (and migrates) the database, makes sure an admin token exists,
 * builds the app (AppModule: REST, the `/site` and `/monitor` gateways on the same HTTP(S) server;
 * rounds in flight are rebuilt before it listens on `config.listen.host`), and shuts down cleanly on SIGTERM/SIGINT
 * (sockets and HTTP closed, then the database).
 */
export async function serve(config: AppConfig): Promise<void> {
  const log = createLogger(config.logLevel);
  armCrashPoint(config.crashAt);
  if (config.crashAt)
    log.warn({ point: config.crashAt }, 'FEDALN_CRASH_AT is set: a test hook will SIGKILL this process');
  // Sites' reports, weights and releases live here: owner only, whatever the umask (issue 14).
  const before = privateDataDir(config.dataDir);
  if (before !== null && before !== PRIVATE_DIR_MODE)
    log.info({ dataDir: config.dataDir, was: before.toString(8) }, 'data directory narrowed to mode 700');
  const db = await openDatabase(config.database);
  log.info({ database: config.database.kind, dataDir: config.dataDir }, 'database ready');

  const adminAuth = new AdminAuthService(
    new TypeOrmAdminTokenRepository(db.dataSource),
    config.adminToken,
    new TypeOrmAuditLog(db.dataSource),
  );
  const fresh = await adminAuth.initialise();
  if (fresh) {
    // Printed once, outside the JSON log stream: only its hash is stored, so it cannot be shown again.
    process.stderr.write(`\nFEDALN admin token (shown only now; keep it safe):\n  ${fresh}\n\n`);
  }

  const app = await createApp({
    config,
    dataSource: db.dataSource,
    logger: log,
    adminAuth,
    initialModels: new DenseNetInitialModelFactory(process.cwd()),
  });
  const { host, tls, behindProxy } = config.listen;
  await app.listen(config.port, host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const scheme = tls ? 'https' : 'http';
  log.info({ host, port, scheme, ...(tls && { cert: tls.certFile }), behindProxy }, 'listening');
  const warning = proxyWarning(config.listen, config.trustedProxies);
  if (warning) log.warn(warning);
  if (!nativeFrameMasking()) log.warn(NO_NATIVE_MASKING_WARNING);

  let closing = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    try {
      await app.close();
      await db.close();
      log.info('stopped');
      process.exit(0);
    } catch (e) {
      log.error({ err: e }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

/**
 * The coordinator app from its parts, as `serve` runs it (and the medium tests, on their own
 * database): request logging, the dashboard, REST validation and the domain-error filter. Nest
 * builds everything else from `AppModule`. Call `listen` to start it; `close` stops timers,
 * sockets and HTTP.
 *
 * @example
 * const app = await createApp(parts);
 * await app.listen(0);
 */
export async function createApp(parts: CoordinatorParts): Promise<NestExpressApplication> {
  const tls = parts.config.listen.tls;
  // With a certificate the one server is HTTPS, so the socket.io gateways on it speak WSS.
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(parts), {
    logger: new PinoNestLogger(parts.logger),
    ...(tls && { httpsOptions: httpsOptions(tls) }),
  });
  const server = app.getHttpServer();
  server.keepAliveTimeout = HTTP_KEEP_ALIVE_TIMEOUT_MS;
  // Above the idle timeout, as Node asks, so a slow client's headers are not cut at the old 60 s.
  server.headersTimeout = HTTP_KEEP_ALIVE_TIMEOUT_MS + 1_000;
  app.use(requestLogging(parts.logger));
  mountDashboard(app);
  // Validates REST bodies, queries and params. It also runs on gateway message bodies, which are
  // typed with the protocol's interfaces (design type Object, which it skips) and validated by
  // the gateway's own pipe, which refuses in the socket protocol's terms.
  app.useGlobalPipes(new ValidationPipe({ ...STUDY_VALIDATION, transform: true }));
  app.useGlobalFilters(new DomainErrorFilter());
  return app;
}
