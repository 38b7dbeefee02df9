import { EventEmitter } from 'node:events';

/** What TypeORM's postgres driver uses of a `pg` client and pool. */
interface PgClient {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}
type ConnectCallback = (err: Error | null, client: unknown, done: (err?: Error) => void) => void;
interface PgPool extends EventEmitter, PgClient {
  connect(cb: ConnectCallback): unknown;
  end(cb: (err: Error | null) => void): void;
}

const BEGIN = /^\s*(START\s+TRANSACTION|BEGIN)\b/i;
const END = /^\s*(COMMIT|ROLLBACK|END|ABORT)\s*;?\s*$/i;

/** A first-come first-served lock. */
class Gate {
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let open!: () => void;
    const done = new Promise<void>((resolve) => (open = resolve));
    const turn = this.tail.then(() => {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        open();
      };
    });
    this.tail = this.tail.then(() => done);
    return turn;
  }
}

/**
 * One TypeORM query runner's view of the single PGlite connection. A statement outside a transaction
 * waits for the gate and holds it for that statement; `START TRANSACTION` takes the gate until
 * `COMMIT` or `ROLLBACK`, so no other runner's statement lands inside someone else's transaction.
 */
class Session extends EventEmitter {
  private held: (() => void) | null = null;

  constructor(
    private readonly connection: PgClient,
    private readonly gate: Gate,
  ) {
    super();
  }

  async query(sql: string, params?: unknown[]): Promise<unknown> {
    if (this.held) {
      try {
        return await this.connection.query(sql, params);
      } finally {
        // A failed COMMIT ends the transaction too.
        if (END.test(sql)) this.let();
      }
    }
    const release = await this.gate.acquire();
    if (!BEGIN.test(sql)) {
      try {
        return await this.connection.query(sql, params);
      } finally {
        release();
      }
    }
    try {
      const result = await this.connection.query(sql, params);
      this.held = release;
      return result;
    } catch (e) {
      release();
      throw e;
    }
  }

  /** Released back to the pool: a transaction left open is rolled back and the gate let go. */
  async end(): Promise<void> {
    if (!this.held) return;
    try {
      await this.connection.query('ROLLBACK');
    } finally {
      this.let();
    }
  }

  private let(): void {
    const release = this.held;
    this.held = null;
    release?.();
  }
}

/**
 * Wraps typeorm-pglite's driver so that transactions are isolated. PGlite has ONE connection and
 * typeorm-pglite hands the same one to every query runner, so without this a statement of one
 * request would run inside another request's open transaction (and be rolled back with it), and a
 * second `START TRANSACTION` would join the first. With it, a transaction has the connection to
 * itself until it ends; everything else waits. Consequence: code inside a transaction must not wait
 * on a query made outside it (that query waits for the transaction: a deadlock) — services use the
 * repositories `Transactions.run` gives them.
 *
 * @example
 * coordinatorDataSource({ driver: oneTransactionAtATime(new PGliteDriver({ dataDir }).driver) });
 */
export function oneTransactionAtATime(driver: unknown): unknown {
  const Inner = (driver as { Pool: new (options?: unknown) => PgPool }).Pool;
  class Pool extends EventEmitter {
    private readonly inner: PgPool;
    private readonly gate = new Gate();

    constructor(options?: unknown) {
      super();
      this.inner = new Inner(options);
      this.inner.on('error', (e: unknown) => this.emit('error', e));
    }

    connect(cb: ConnectCallback): void {
      void this.inner.connect((err, client) => {
        if (err || !client) return cb(err ?? new Error('PGlite did not connect'), null, () => undefined);
        const session = new Session(client as PgClient, this.gate);
        cb(null, session, () => {
          session.end().catch((e: unknown) => this.emit('error', e));
        });
      });
    }

    query(sql: string, params?: unknown[]): Promise<unknown> {
      return new Session(this.inner, this.gate).query(sql, params);
    }

    end(cb: (err: Error | null) => void): void {
      this.inner.end(cb);
    }
  }
  return { Pool };
}
