import { chmod, mkdir } from 'node:fs/promises';

/**
 * A folder readable by the user only (0700), with one such folder per agent in it: made on first
 * use, and put back to 0700 if an earlier version made it wider. A failed first make is tried again
 * on the next use.
 */
export class PrivateFolder {
  private rootReady: Promise<void> | undefined;

  constructor(readonly dir: string) {}

  /** Makes sure the folder and its sub-folder `dir` (a path inside it) exist, the user's alone. */
  async ready(dir: string): Promise<string> {
    this.rootReady ??= (async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await chmod(this.dir, 0o700);
    })().catch((error: unknown) => {
      this.rootReady = undefined;
      throw error;
    });
    await this.rootReady;
    await mkdir(dir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await chmod(dir, 0o700);
    return dir;
  }
}
