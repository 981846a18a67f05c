/**
 * Virtual time for the simulator, the scenario runner and the bench.
 *
 * `VirtualClock` keeps XState's clock contract (`setTimeout(fn, ms)` / `clearTimeout(handle)`, plus
 * `now()`), so it can be passed as `createActor(machine, { clock })`, but it is a binary min-heap
 * keyed by (time, insertion sequence): deterministic order, O(log n) per timer, and cancellation by
 * lazy deletion (a cancelled timer stays in the heap, flagged, until it reaches the top or the heap
 * is compacted). XState's own SimulatedClock re-sorts on every flush and does not scale (LAB.md).
 *
 * Time only moves inside the async drivers (`advanceBy`, `advanceTo`, `runUntil`, `runUntilIdle`).
 * Between two timers they let promise chains settle, so code written as `await driver.call()` with
 * several awaits makes progress before virtual time jumps again.
 */
import type { Clock } from '../env.js';

class VirtualTimer {
  state: 'pending' | 'fired' | 'cancelled' = 'pending';
  constructor(
    readonly time: number,
    readonly seq: number,
    readonly fn: () => void,
  ) {}
}

/** Opaque handle returned by `setTimeout`. */
export type VirtualTimerHandle = object;

export interface VirtualClockOptions {
  /** Virtual epoch ms at creation. Default 0, so trace lines read as seconds since start. */
  start?: number;
  /** Quiet setImmediate turns required per settle (default 1). */
  settleTurns?: number;
  /**
   * `node` (default): settle until a turn passes with no clock activity and no immediate or fs
   * request pending in Node. `microtasks`: until the microtask queue has drained, which runs every
   * promise chain; for runs whose code under test does no real I/O and schedules no immediates or
   * ticks of its own (the bench). Both are deterministic; `microtasks` is about twice as fast.
   */
  settle?: 'node' | 'microtasks';
}

export interface RunLimit {
  /** Absolute virtual time (epoch ms) not to pass. Default: 24 virtual hours after the call. */
  maxTime?: number;
}

const DEFAULT_RUN_SPAN_MS = 24 * 3600 * 1000;
/** A settle still busy after this many turns is a loop, not a chain (about 0.2 s of real time). */
const MAX_SETTLE_TURNS = 100_000;

/** Work queued in Node that promise chains wait on: immediates and file-system requests. */
const PENDING_WORK: ReadonlySet<string> = new Set(['Immediate', 'FSReqCallback', 'FSReqPromise']);

function nodeQueuesBusy(): boolean {
  return process.getActiveResourcesInfo().some((r) => PENDING_WORK.has(r));
}

function macrotaskTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Resolves once every promise chain has run: a tick queued from inside a microtask runs only after
 * V8 has drained the whole microtask queue (the `await` puts us inside one). The same as a
 * setImmediate turn for code that schedules no immediates or ticks of its own, without a trip
 * through the event loop (a poll per fired timer was a tenth of the bench's time).
 */
async function microtasksDrained(): Promise<void> {
  await undefined;
  await new Promise<void>((resolve) => process.nextTick(resolve));
}

function earlier(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

export class VirtualClock implements Clock {
  private current: number;
  private heap: VirtualTimer[] = [];
  private seq = 0;
  private live = 0;
  private cancelledInHeap = 0;
  /** Bumped on every schedule and cancel: `settle` watches it to see chains still moving. */
  private activity = 0;
  private advancing = false;
  private readonly settleTurns: number;
  private readonly settleMode: 'node' | 'microtasks';
  /** Timers whose callback ran. */
  timersFired = 0;
  /** Timers ever scheduled. */
  timersScheduled = 0;

  constructor(opts: VirtualClockOptions = {}) {
    this.current = opts.start ?? 0;
    this.settleTurns = Math.max(1, opts.settleTurns ?? 1);
    this.settleMode = opts.settle ?? 'node';
  }

  now(): number {
    return this.current;
  }

  /** Timers scheduled and neither fired nor cancelled. */
  get pending(): number {
    return this.live;
  }

  /** Time of the next live timer, or undefined when none is pending. */
  nextTime(): number | undefined {
    return this.peek()?.time;
  }

  /** A negative, NaN or past delay fires at `now` (after the timers already due). */
  setTimeout(fn: () => void, ms: number): VirtualTimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer = new VirtualTimer(this.current + delay, this.seq++, fn);
    this.push(timer);
    this.live++;
    this.timersScheduled++;
    this.activity++;
    return timer;
  }

  clearTimeout(handle: unknown): void {
    // Clearing a fired or foreign handle is a no-op, as with Node's clearTimeout.
    if (!(handle instanceof VirtualTimer) || handle.state !== 'pending') return;
    handle.state = 'cancelled';
    this.activity++;
    this.live--;
    this.cancelledInHeap++;
    if (this.cancelledInHeap > 1024 && this.cancelledInHeap * 2 > this.heap.length) this.compact();
  }

  /**
   * Let promise chains run: setImmediate turns until one passes with no clock activity and with no
   * other immediate or file-system request pending in Node (code under test that awaits its own
   * setImmediate or fs call is still moving). Real network I/O is not waited for.
   */
  async settle(): Promise<void> {
    if (this.settleMode === 'microtasks') return microtasksDrained();
    let quiet = 0;
    for (let turn = 0; turn < MAX_SETTLE_TURNS; turn++) {
      const mark = this.activity;
      await macrotaskTurn();
      quiet = this.activity === mark && !nodeQueuesBusy() ? quiet + 1 : 0;
      if (quiet >= this.settleTurns) return;
    }
    throw new Error(`virtual clock: still busy after ${MAX_SETTLE_TURNS} setImmediate turns (a loop scheduling timers or immediates?)`);
  }

  async advanceBy(ms: number): Promise<void> {
    await this.advanceTo(this.current + Math.max(0, ms));
  }

  /** Fire every timer due up to `t` in order, settling after each, and leave the clock at `t`. */
  async advanceTo(t: number): Promise<void> {
    if (t < this.current) throw new RangeError(`virtual clock: cannot go back from ${this.current} to ${t}`);
    await this.exclusive(async () => {
      await this.fireUntil(t);
      this.current = t;
      await this.settle();
    });
  }

  /**
   * Fire timers until `predicate()` holds (checked after every settle). Resolves true when it
   * held; false when no timer is left (the clock stays where it is) or the next one is past
   * `maxTime` (the clock stops at `maxTime`).
   */
  async runUntil(predicate: () => boolean, limit: RunLimit = {}): Promise<boolean> {
    const maxTime = limit.maxTime ?? this.current + DEFAULT_RUN_SPAN_MS;
    return this.exclusive(async () => {
      if (await this.fireUntil(maxTime, predicate)) return true;
      if (this.live > 0) this.current = Math.max(this.current, maxTime);
      return false;
    });
  }

  /** Fire timers until none is pending (true) or the next is past `maxTime` (false, clock at maxTime). */
  async runUntilIdle(limit: RunLimit = {}): Promise<boolean> {
    return this.runUntil(() => false, limit).then(() => this.live === 0);
  }

  // --- internals -----------------------------------------------------------------------------

  private async exclusive<T>(run: () => Promise<T>): Promise<T> {
    if (this.advancing) throw new Error('virtual clock: already advancing (two drivers awaited at once?)');
    this.advancing = true;
    try {
      return await run();
    } finally {
      this.advancing = false;
    }
  }

  /** Fire due timers up to `limit`; true as soon as `stop` holds. */
  private async fireUntil(limit: number, stop?: () => boolean): Promise<boolean> {
    await this.settle();
    if (stop?.()) return true;
    for (;;) {
      const next = this.peek();
      if (next === undefined || next.time > limit) return false;
      this.pop();
      next.state = 'fired';
      this.live--;
      this.current = Math.max(this.current, next.time);
      this.timersFired++;
      next.fn();
      await this.settle();
      if (stop?.()) return true;
    }
  }

  /** Top live timer, discarding cancelled ones on the way. */
  private peek(): VirtualTimer | undefined {
    let top = this.heap[0];
    while (top !== undefined && top.state === 'cancelled') {
      this.pop();
      this.cancelledInHeap--;
      top = this.heap[0];
    }
    return top;
  }

  private push(timer: VirtualTimer): void {
    const heap = this.heap;
    let i = heap.push(timer) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!earlier(timer, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    this.siftDown(0);
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[start]!;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && earlier(heap[right]!, heap[left]!)) child = right;
      if (!earlier(heap[child]!, item)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = item;
  }

  /** Drop cancelled timers and re-heapify in O(n), so mass cancellation does not leak memory. */
  private compact(): void {
    this.heap = this.heap.filter((t) => t.state === 'pending');
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
    this.cancelledInHeap = 0;
  }
}

/** Kept here for the sim's callers; the one implementation is src/env/timing.ts. */
export { sleep } from '../timing.js';
