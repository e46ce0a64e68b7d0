// Gathers calls that arrive together into one batch: one database statement serves many concurrent
// requests (a group commit), while a lone call waits no longer than one turn of the event loop.

/** Runs a batch; must return one result per item, in order. */
export type BatchRunner<Item, Result> = (items: Item[]) => Promise<Result[]>;

/**
 * Returns a function that queues `item` and resolves with its result. One batch runs at a time;
 * calls arriving meanwhile form the next one (up to `maxBatch` items). A failing batch rejects
 * every call in it.
 */
export function microBatcher<Item, Result>(run: BatchRunner<Item, Result>, maxBatch = 64): (item: Item) => Promise<Result> {
  const queue: Array<{ item: Item; resolve: (result: Result) => void; reject: (error: unknown) => void }> = [];
  let busy = false;
  const flush = async () => {
    const batch = queue.splice(0, maxBatch);
    try {
      const results = await run(batch.map((entry) => entry.item));
      batch.forEach((entry, i) => entry.resolve(results[i]!));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      if (queue.length > 0) setImmediate(() => void flush());
      else busy = false;
    }
  };
  return (item) =>
    new Promise<Result>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (busy) return;
      busy = true;
      setImmediate(() => void flush());
    });
}
