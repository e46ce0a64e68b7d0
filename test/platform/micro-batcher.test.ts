// The group commit helper and the signing turns, without a database: batching, early flushes while
// another batch runs, holding a batch while more items are on their way, and one caller per turn.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { microBatcher } from '../../src/platform/micro-batcher';
import { TurnQueue } from '../../src/identity/credentials/issuance/turn-queue';

/** A runner whose batches finish when the test says so. */
function controlledRunner() {
  const batches: number[][] = [];
  const finish: Array<() => void> = [];
  const run = (items: number[]) =>
    new Promise<number[]>((resolve) => {
      batches.push(items);
      finish.push(() => resolve(items.map((i) => i * 10)));
    });
  return { batches, finish, run };
}

describe('microBatcher', () => {
  it('fills batches by weight, runs an item of a batch\'s weight alone at once, and starts a lone item at once when asked', async () => {
    const batches: number[][] = [];
    const call = microBatcher(
      async (items: number[]) => {
        batches.push(items);
        return items;
      },
      { maxBatch: 10, weight: (item) => item, flushWhenIdle: true },
    );
    // 4 starts alone (idle); 3, 5 and 4 arrive while it runs: 3 + 5 fit the next batch, 4 the one after.
    const answers = Promise.all([call(4), call(3), call(5), call(4)]);
    const heavy = call(12); // heavier than a batch: its own batch, not waiting for the others
    expect(await answers).toEqual([4, 3, 5, 4]);
    expect(await heavy).toBe(12);
    expect(batches).toEqual([[4], [12], [3, 5], [4]]);
  });


  it('serves calls made together with one batch, results in order', async () => {
    const batches: number[][] = [];
    const call = microBatcher(async (items: number[]) => {
      batches.push(items);
      return items.map((i) => i * 2);
    });
    expect(await Promise.all([1, 2, 3].map(call))).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('rejects every call of a failing batch, and serves the next batch', async () => {
    let fail = true;
    const call = microBatcher(async (items: number[]) => {
      if (fail) throw new Error('boom');
      return items;
    });
    const failed = await Promise.allSettled([call(1), call(2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await call(3)).toBe(3);
  });

  it('sends a batch as soon as it holds flushAt items, beside one still running, and no more than maxInFlight', async () => {
    const { batches, finish, run } = controlledRunner();
    const call = microBatcher(run, { flushAt: 2, maxInFlight: 2 });
    const results = [1, 2, 3, 4, 5].map(call);
    // two full batches left at once, without waiting for the end of the turn; the fifth waits for a slot
    expect(batches).toEqual([[1, 2], [3, 4]]);
    await nextTurn();
    expect(batches).toHaveLength(2);
    finish[0]!();
    await nextTurn();
    await nextTurn();
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    finish[1]!();
    finish[2]!();
    expect(await Promise.all(results)).toEqual([10, 20, 30, 40, 50]);
  });

  it('holds a batch short of flushAt while more items are on their way', async () => {
    const { batches, finish, run } = controlledRunner();
    let coming = 2;
    const call = microBatcher(run, { flushAt: 8, moreComing: () => coming > 0 });
    const results = [call(1)];
    await nextTurn();
    await nextTurn();
    expect(batches).toEqual([]); // waiting for the two announced items
    results.push(call(2), call(3));
    coming = 0;
    await nextTurn();
    await nextTurn();
    expect(batches).toEqual([[1, 2, 3]]);
    finish[0]!();
    expect(await Promise.all(results)).toEqual([10, 20, 30]);
  });
});

describe('microBatcher joinAfterBatch', () => {
  it('keeps calls that arrive as a batch ends together, instead of sending the first alone', async () => {
    for (const joinAfterBatch of [false, true]) {
      const batches: number[][] = [];
      let finish: (() => void) | undefined;
      const call = microBatcher<number, number>(
        async (items) => {
          batches.push(items);
          if (batches.length === 1) await new Promise<void>((resolve) => (finish = resolve));
          return items;
        },
        { maxBatch: 10, flushWhenIdle: true, joinAfterBatch },
      );
      const first = call(0);
      await nextTurn();
      finish!();
      // Three requests read right after the first batch's commit (its continuation runs first).
      const late = first.then(() => Promise.all([call(1), call(2), call(3)]));
      await late;
      expect(batches, `joinAfterBatch ${joinAfterBatch}`).toEqual(joinAfterBatch ? [[0], [1, 2, 3]] : [[0], [1], [2, 3]]);
    }
  });
});

describe('TurnQueue', () => {
  it('gives each caller a turn of its own, in arrival order, with other work served in between', async () => {
    const turns = new TurnQueue();
    const events: string[] = [];
    const callers = [0, 1, 2].map(async (i) => {
      await turns.next();
      events.push(`turn ${i}`);
      // work queued during a turn (as an I/O completion would be) runs before the turn after next
      setImmediate(() => events.push(`after ${i}`));
    });
    expect(turns.waiting).toBe(3);
    await Promise.all(callers);
    await nextTurn();
    await nextTurn();
    expect(events.filter((e) => e.startsWith('turn'))).toEqual(['turn 0', 'turn 1', 'turn 2']);
    expect(events.indexOf('after 0')).toBeLessThan(events.indexOf('turn 2'));
    expect(turns.waiting).toBe(0);
  });
});
