/**
 * One limiter per open store, so two local APIs in one process (tests) never
 * share counters, and a closed store's counters are garbage-collected with it.
 */
import type { Store } from "../store/store.js";
import { SlidingWindowLimiter } from "./sliding-window.js";

const limiters = new WeakMap<Store, SlidingWindowLimiter>();

export function limiterFor(store: Store): SlidingWindowLimiter {
  let l = limiters.get(store);
  if (!l) {
    l = new SlidingWindowLimiter();
    limiters.set(store, l);
  }
  return l;
}

/**
 * Sweeps expired counters on a timer, so an idle server releases them too (traffic sweeps a few
 * per check). Real time only: under the test clock, time moves with requests. Unref'd.
 */
export function startCounterSweeps(store: Store, everyMs = 30_000, clock: () => number = Date.now): () => void {
  const timer = setInterval(() => limiterFor(store).sweep(clock()), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
