/** Undo steps, run last-in first-out exactly once, each one whatever the others did. */
export class Cleanup {
  readonly #steps: { name: string; run: () => Promise<unknown> | unknown }[] = [];
  #running: Promise<void> | undefined;

  add(name: string, run: () => Promise<unknown> | unknown): void {
    this.#steps.push({ name, run });
  }

  run(): Promise<void> {
    this.#running ??= (async () => {
      for (const step of this.#steps.reverse()) {
        const started = performance.now();
        try {
          await step.run();
        } catch (error) {
          console.error(`cleanup: ${step.name} failed: ${(error as Error).message}`);
        }
        const took = performance.now() - started;
        if (took > 2_000) console.error(`cleanup: ${step.name} took ${(took / 1000).toFixed(1)} s`);
      }
    })();
    return this.#running;
  }
}
