/** Port: can the database answer a query right now? */
export abstract class DatabaseHealth {
  abstract ping(): Promise<void>;
}
