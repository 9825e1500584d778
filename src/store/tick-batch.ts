/**
 * Sending work together under load, shared by the stores (Redis admissions and
 * completions, SQLite completions): while calls are on the wire, what arrives in one event-loop tick is held
 * and sent as one call at the tick's end (after every promise continuation of the tick,
 * so the work they start joins in), or at once when `size` of it is held, so Redis
 * works on one call while this process builds the next.
 */
export class TickBatch<T> {
  private held: T[] | null = null;
  private weight = 0;

  constructor(
    private readonly size: number,
    private readonly send: (items: T[]) => void,
    private readonly weigh: (item: T) => number = () => 1,
  ) {}

  add(item: T): void {
    if (!this.held) {
      this.held = [];
      this.weight = 0;
      process.nextTick(() => this.flush());
    }
    this.held.push(item);
    this.weight += this.weigh(item);
    if (this.weight >= this.size) this.flush();
  }

  private flush(): void {
    if (!this.held) return;
    const items = this.held;
    this.held = null;
    this.send(items);
  }
}

/** Counts the calls of one kind awaiting their reply. */
export class InFlight {
  count = 0;

  async track<T>(call: Promise<T>): Promise<T> {
    this.count++;
    try {
      return await call;
    } finally {
      this.count--;
    }
  }
}
