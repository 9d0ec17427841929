/** Requests parked by a `hold` fault until the test releases them. */
export class HoldGate {
  private parked: (() => void)[] = [];
  private watchers: { count: number; resolve: () => void }[] = [];

  get size(): number {
    return this.parked.length;
  }

  hold(): Promise<void> {
    return new Promise((resolve) => {
      this.parked.push(resolve);
      for (const w of this.watchers.filter((x) => this.parked.length >= x.count)) w.resolve();
      this.watchers = this.watchers.filter((x) => this.parked.length < x.count);
    });
  }

  /** Resolves when at least `count` requests are parked. */
  waitFor(count = 1): Promise<void> {
    if (this.parked.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push({ count, resolve }));
  }

  release(): number {
    const parked = this.parked;
    this.parked = [];
    for (const resume of parked) resume();
    return parked.length;
  }
}
