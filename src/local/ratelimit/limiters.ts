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
