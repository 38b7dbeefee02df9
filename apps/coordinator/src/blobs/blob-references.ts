/**
 * Port: every blob sha256 the database still needs, across all studies (a blob is named by its
 * content, so two studies can hold the same one): each global model version's weights and FedAdam
 * server state, each release's weights, and the updates of every round not yet over (completed or
 * failed) — a round that retries keeps its participants' updates, and aggregation or a recovery
 * reads them.
 */
export abstract class BlobReferences {
  abstract referenced(): Promise<ReadonlySet<string>>;
}
