/** Undo steps, run last-in first-out on exit, error or Ctrl-C. */
export class Cleanups {
  private readonly steps: { name: string; run: () => Promise<unknown> }[] = [];
  push(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }
  async runAll(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.run();
      } catch (error) {
        console.error(`cleanup "${step.name}" failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  /** On Ctrl-C: `onInterrupt` (so the run stops at its next step), then every undo step, then exit 130. */
  runOnInterrupt(onInterrupt: () => void): void {
    process.once('SIGINT', () => {
      onInterrupt();
      console.error('\ninterrupted: cleaning up…');
      void this.runAll().finally(() => process.exit(130));
    });
  }
}
