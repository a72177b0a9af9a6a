/**
 * Output locks: while `bptt train` runs, `<file>.lock` marks each file it will
 * write (its checkpoint and its model file), so a second training aimed at the
 * same file is refused at once instead of both overwriting each other's
 * results for an hour.
 *
 * A lock file holds the pid of its owner and is created atomically (written
 * under a temporary name, then hard-linked to `<file>.lock`, which fails if
 * the lock exists), so no one ever reads a half-written lock. It is removed
 * when the process exits, whatever the exit path (done, error, Ctrl-C). A
 * process killed outright (kill -9, a power cut) cannot remove it: a lock whose
 * pid no longer runs is stale, and the next run takes it over with a notice
 * and deletes the temporary files dead runs may have left beside its output.
 *
 * Limits: a stale lock whose pid has since been reused by an unrelated process
 * looks alive (the message names the pid and the lock file to delete), and two
 * runs taking over the same stale lock in the same instant are not told apart.
 */
import { linkSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BpttError } from '../core/errors.js';
import { fileError } from './files.js';

/** Whether a process with this pid exists (EPERM: it does, but belongs to another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid a lock file names, or undefined if it names none. */
function ownerOf(lockPath: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockPath, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // removed in the meantime
  }
}

/**
 * Takes `<path>.lock` for this process, or throws a BpttError naming the
 * process that holds it. `notice` receives the one line said when a stale
 * lock is taken over. The lock is released when the process exits.
 */
export function lockOutput(path: string, what: string, notice: (line: string) => void): void {
  const lockPath = `${path}.lock`;
  const staging = join(dirname(lockPath), `.${basename(lockPath)}.${process.pid}`);
  try {
    writeFileSync(staging, `${process.pid}\n`);
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(staging, lockPath); // atomic: fails with EEXIST if the lock is there
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      }
      const owner = ownerOf(lockPath);
      if (owner !== undefined && owner !== process.pid && isRunning(owner)) {
        throw new BpttError(
          `${what} ${path} is being written by another bptt train (pid ${owner}, lock file ${lockPath})`,
          `wait for it to finish or choose another path; if no such run exists, delete ${lockPath}`,
        );
      }
      notice(`bptt: taking over the stale lock ${lockPath} of a run that ended without releasing it (pid ${owner ?? 'unknown'})\n`);
      rmSync(lockPath, { force: true });
    }
  } catch (error) {
    throw error instanceof BpttError ? error : fileError(error, lockPath, 'lock file');
  } finally {
    rmSync(staging, { force: true });
  }
  removeLeftovers(path);
  process.once('exit', () => {
    if (ownerOf(lockPath) === process.pid) rmSync(lockPath, { force: true });
  });
}

/**
 * Deletes what killed runs left beside `path`: temporary files of an interrupted write (.<name>.<pid>.tmp)
 * and of an interrupted locking (.<name>.lock.<pid>), when their pid no longer runs. Holding the lock,
 * this process is the only bptt writing `path`, so no live run's file is touched.
 */
function removeLeftovers(path: string): void {
  const folder = dirname(path);
  const name = basename(path);
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch {
    return;
  }
  for (const entry of entries) {
    const pid = pidOf(entry, `.${name}.`, '.tmp') ?? pidOf(entry, `.${name}.lock.`, ''); // see temporaryPath and the staging name above
    if (pid !== undefined && pid !== process.pid && !isRunning(pid)) rmSync(join(folder, entry), { force: true });
  }
}

/** The pid in `entry` = prefix + pid + suffix, or undefined if it is not of that form. */
function pidOf(entry: string, prefix: string, suffix: string): number | undefined {
  if (!entry.startsWith(prefix) || !entry.endsWith(suffix)) return undefined;
  const digits = entry.slice(prefix.length, entry.length - suffix.length);
  return /^\d+$/.test(digits) ? Number(digits) : undefined;
}
