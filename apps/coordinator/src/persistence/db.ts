import type { EntityManager } from 'typeorm';

/**
 * What an adapter needs of the database: the DataSource (each statement on its own) or a
 * transaction's EntityManager (`TypeOrmTransactions`), which both provide.
 */
export type Db = Pick<EntityManager, 'getRepository' | 'query'>;
