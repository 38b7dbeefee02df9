import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NO_NATIVE_MASKING_WARNING, nativeFrameMasking } from '@fedaln/protocol';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { AdminAuthService } from './auth/admin-auth.service';
import type { AppConfig } from './config/app-config';
import { mountDashboard } from './dashboard/mount-dashboard';
import { DomainErrorFilter } from './http/domain-error.filter';
import { createLogger } from './logging/logger';
import { PinoNestLogger } from './logging/pino-nest-logger';
import { requestLogging } from './logging/request-logging';
import { DenseNetInitialModelFactory } from './models/densenet-initial-model.factory';
import { openDatabase } from './persistence/data-source';
import { TypeOrmAdminTokenRepository } from './persistence/typeorm-admin-token.repository';
import { TypeOrmAuditLog } from './persistence/typeorm-audit-log';
import { LiveRounds } from './orchestration/live-rounds';
import { STUDY_VALIDATION } from './studies/validate-study-spec';

/**
 * `fedaln-coordinator serve`: opens (and migrates) the database, makes sure an admin token exists,
 * starts HTTP, and shuts down cleanly on SIGTERM/SIGINT (HTTP closed, then the database).
 */
export async function serve(config: AppConfig): Promise<void> {
  const log = createLogger(config.logLevel);
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

  const live = new LiveRounds(config, log);
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({
      config,
      dataSource: db.dataSource,
      logger: log,
      adminAuth,
      initialModels: new DenseNetInitialModelFactory(process.cwd()),
      dispatcher: live.dispatcher,
    }),
    { logger: new PinoNestLogger(log) },
  );
  app.use(requestLogging(log));
  mountDashboard(app);
  app.useGlobalPipes(new ValidationPipe({ ...STUDY_VALIDATION, transform: true }));
  app.useGlobalFilters(new DomainErrorFilter());
  await app.listen(config.port);
  await live.start(app); // socket.io on the same HTTP server; rebuilds rounds in flight before "listening"
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ port }, 'listening');
  if (!nativeFrameMasking()) log.warn(NO_NATIVE_MASKING_WARNING);

  let closing = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    try {
      await live.stop();
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
