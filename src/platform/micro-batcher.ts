// Gathers calls that arrive together into one batch: one database statement serves many concurrent
// requests (a group commit), and each caller is answered only once the batch that holds it is done.
// The notary's submissions and the credential issuer's records both go through it.

/** Runs a batch; must return one result per item, in order. */
export type BatchRunner<Item, Result> = (items: Item[]) => Promise<Result[]>;

export interface MicroBatcherOptions<Item> {
  /** Most weight in one batch (default 64); an item of this weight or more runs alone, at once. */
  maxBatch?: number;
  /** An item's weight (default 1): a submission of 300 documents weighs 300. */
  weight?: (item: Item) => number;
  /**
   * A batch leaves as soon as it holds this much weight, without waiting for the end of the
   * event-loop turn (default: maxBatch). Below the number of concurrent callers, they split into
   * groups: one group's batch is written while the next group is still computing its items.
   */
  flushAt?: number;
  /** Batches running at once (default 1). */
  maxInFlight?: number;
  /**
   * While this says more items are on their way, a batch short of `flushAt` waits for them instead of
   * leaving at the end of the event-loop turn (default: never waits).
   */
  moreComing?: () => boolean;
  /**
   * Whether an item arriving while nothing runs leaves at once, alone (true), or waits one turn of
   * the event loop for companions (false, the default). Items arriving while a batch runs always
   * wait for it and go together in the next one.
   */
  flushWhenIdle?: boolean;
  /**
   * After a batch, stay busy until the event loop's next poll, then send everything that queued
   * (default false): requests that reached the socket during the batch are parsed first and join
   * the next one, instead of the first of them leaving alone. Under load, groups grow and commits
   * get fewer; when idle it costs one loop turn.
   */
  joinAfterBatch?: boolean;
}

/**
 * Returns a function that queues `item` and resolves with its result. Calls arriving while batches
 * run form the next one, which starts after the event loop's next poll: requests that reached the
 * socket meanwhile are parsed first and join it. A failing batch rejects every call in it.
 */
export function microBatcher<Item, Result>(run: BatchRunner<Item, Result>, options: MicroBatcherOptions<Item> = {}): (item: Item) => Promise<Result> {
  const maxBatch = options.maxBatch ?? 64;
  const weight = options.weight ?? (() => 1);
  const flushAt = Math.min(options.flushAt ?? maxBatch, maxBatch);
  const maxInFlight = options.maxInFlight ?? 1;
  const moreComing = options.moreComing ?? (() => false);
  const queue: Array<{ item: Item; weight: number; resolve: (result: Result) => void; reject: (error: unknown) => void }> = [];
  let queuedWeight = 0;
  let inFlight = 0;
  let scheduled = false;
  const flush = async () => {
    inFlight++;
    let taken = 0;
    let size = 0;
    while (taken < queue.length && (taken === 0 || size + queue[taken]!.weight <= maxBatch)) size += queue[taken++]!.weight;
    const batch = queue.splice(0, taken);
    queuedWeight -= size;
    try {
      const results = await run(batch.map((entry) => entry.item));
      batch.forEach((entry, i) => entry.resolve(results[i]!));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      const next = () => {
        inFlight--;
        if (queue.length === 0) return;
        if (options.joinAfterBatch) void flush();
        else schedule();
      };
      if (options.joinAfterBatch) setImmediate(next);
      else next();
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (queue.length === 0 || inFlight >= maxInFlight) return; // a batch ending schedules the next
      if (queuedWeight < flushAt && moreComing()) schedule();
      else void flush();
    });
  };
  return (item) => {
    const itemWeight = weight(item);
    // A batch's worth on its own: it is a batch of its own, and waits for nothing.
    if (itemWeight >= maxBatch) return run([item]).then((results) => results[0]!);
    return new Promise<Result>((resolve, reject) => {
      queue.push({ item, weight: itemWeight, resolve, reject });
      queuedWeight += itemWeight;
      const idle = inFlight === 0 && !scheduled;
      if (inFlight < maxInFlight && (queuedWeight >= flushAt || (options.flushWhenIdle && idle))) void flush();
      else if (inFlight < maxInFlight) schedule();
    });
  };
}
