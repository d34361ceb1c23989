/**
 * The stream versions a draft knows at its head (Draft invariant 2): the engine's
 * map, never written here, plus this draft's changes on top of it (an overlay). Every change
 * pushes its undo onto the draft's journal, so the draft's rollback() restores it.
 */
export class StreamVersions {
  readonly #base: ReadonlyMap<string, number>;
  readonly #overlay = new Map<string, number | undefined>();
  #cleared = false;
  readonly #journal: (() => void)[];

  constructor(base: ReadonlyMap<string, number>, journal: (() => void)[]) {
    this.#base = base;
    this.#journal = journal;
  }

  /** The version of a stream, if known. */
  get(stream: string): number | undefined {
    if (this.#overlay.has(stream)) return this.#overlay.get(stream);
    return this.#cleared ? undefined : this.#base.get(stream);
  }

  set(stream: string, version: number): void {
    const had = this.#overlay.has(stream);
    const before = this.#overlay.get(stream);
    this.#overlay.set(stream, version);
    this.#journal.push(() => (had ? this.#overlay.set(stream, before) : this.#overlay.delete(stream)));
  }

  /** Forgets every known version (the log before the head is about to change). */
  clear(): void {
    const overlay = [...this.#overlay];
    const cleared = this.#cleared;
    this.#overlay.clear();
    this.#cleared = true;
    this.#journal.push(() => {
      this.#cleared = cleared;
      for (const [stream, version] of overlay) this.#overlay.set(stream, version);
    });
  }

  /** Writes this draft's stream versions into the engine's map (after the commit). */
  mergeInto(target: Map<string, number>): void {
    if (this.#cleared) target.clear();
    for (const [stream, version] of this.#overlay) {
      if (version === undefined) target.delete(stream);
      else target.set(stream, version);
    }
  }
}
