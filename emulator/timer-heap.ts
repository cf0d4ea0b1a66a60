/** What the heap orders by: the instant a firing is due, then the order firings were made. */
export interface Due {
  due: number;
  id: number;
}

const before = (a: Due, b: Due): boolean => a.due < b.due || (a.due === b.due && a.id < b.id);

/** A binary min-heap of timer firings by (due, id): the earliest first, ties in the order they were made. */
export class TimerHeap<T extends Due> {
  readonly items: T[] = [];

  push(e: T): void {
    const h = this.items;
    h.push(e);
    for (let i = h.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
