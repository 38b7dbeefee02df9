import type { DataSource } from 'typeorm';
import { DatabaseHealth } from '../telemetry/database-health';

export class TypeOrmDatabaseHealth extends DatabaseHealth {
  constructor(private readonly ds: DataSource) {
    super();
  }
  async ping(): Promise<void> {
    await this.ds.query('SELECT 1');
  }
}
