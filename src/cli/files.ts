/**
 * File access for the CLI: reading inputs with clear errors, and writing
 * outputs so that nothing already on disk is ever lost: a file is written to
 * a temporary name beside its destination, flushed, then renamed over it
 * (rename is atomic on POSIX file systems).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statfsSync, statSync, writeSync } from 'node:fs';
import { dirname, join, basename, resolve } from 'node:path';
import { BpttError } from '../core/errors.js';

export function readBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw fileError(error, path, what);
  }
}

/** A file system error as a one-line BpttError. */
export function fileError(error: unknown, path: string, what: string): BpttError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new BpttError(`${what} ${path} does not exist`, 'check the path');
  if (code === 'EISDIR') return new BpttError(`${what} ${path} is a directory`, 'give the path of a file');
  if (code === 'EACCES' || code === 'EPERM')
    return new BpttError(`${what} ${path} cannot be accessed (permission denied)`, 'check the file permissions or choose another path');
  if (code === 'ENOSPC') return new BpttError(`no space left on the device to write ${what} ${path}`, 'free some disk space or choose another path');
  if (code === 'EROFS') return new BpttError(`${what} ${path} is on a read-only file system`, 'choose another path');
  return new BpttError(`${what} ${path}: ${(error as Error).message}`, 'check the path');
}

/** The temporary file a process writes before renaming it to `path`: hidden, beside it, named by the pid. */
export function temporaryPath(path: string, pid: number = process.pid): string {
  return join(dirname(path), `.${basename(path)}.${pid}.tmp`);
}

/** Writes every byte to a new file (or truncates an existing one) and flushes it to the disk. */
function writeAndFlush(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes bytes to path via a temporary file and a rename: the old file stays intact until the new one is
 * complete, and a failed write (disk full, a kill) never leaves a torn file under the real name.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, what: string): void {
  refuseSpecialFile(path, what); // renaming over /dev/null or a FIFO would replace it, not write into it
  const temporary = temporaryPath(path);
  try {
    writeAndFlush(temporary, bytes);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    const failure = fileError(error, path, what);
    // Say that nothing was lost: the previous file is still there, whole.
    if (existsSync(path)) throw new BpttError(`${failure.message.slice(0, -failure.hint.length - 2)} (the previous ${what} is kept)`, failure.hint);
    throw failure;
  }
}

/** Throws if `path` exists and is a device, FIFO or socket (e.g. /dev/full), which bptt never replaces. */
function refuseSpecialFile(path: string, what: string): void {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return; // does not exist (yet): fine
  }
  if (stats.isDirectory()) throw new BpttError(`${what} ${path} is a directory`, 'give the path of a file inside it');
  if (!stats.isFile()) throw new BpttError(`${what} ${path} is not a regular file (a device, FIFO or socket)`, 'give the path of an ordinary file');
}

/** Megabytes, for messages. */
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

/**
 * Fails now if the file systems of `targets` lack the free space their files will take (summed per file
 * system, since a checkpoint and a model file often share one). Each new file is written beside the old one
 * before the rename, so the old file's size does not count as free.
 */
export function checkFreeSpace(targets: readonly { path: string; bytes: number; what: string }[]): void {
  const byDevice = new Map<number, { folder: string; bytes: number; names: string[] }>();
  for (const { path, bytes, what } of targets) {
    const folder = dirname(path);
    const device = statSync(folder).dev;
    const entry = byDevice.get(device) ?? { folder, bytes: 0, names: [] };
    entry.bytes += bytes;
    entry.names.push(`${what} ${path}`);
    byDevice.set(device, entry);
  }
  for (const { folder, bytes, names } of byDevice.values()) {
    const stats = statfsSync(folder);
    const free = stats.bavail * stats.bsize;
    if (bytes > free) {
      throw new BpttError(
        `not enough disk space for ${names.join(' and ')}: about ${megabytes(bytes)} needed, ${megabytes(free)} free in ${folder}`,
        'free some disk space or choose another path',
      );
    }
  }
}

/** The file checkWritable writes and deletes beside `path`. */
export function probePath(path: string): string {
  return join(dirname(path), `.${basename(path)}.probe`);
}

/**
 * Fails now, before any training, if `path` cannot take a new file: its folder
 * is missing or read-only, the disk is full, or the path is a directory or a
 * device. (checkFreeSpace compares the free space with the size to come.)
 */
export function checkWritable(path: string, what: string): void {
  const folder = dirname(path);
  if (!existsSync(folder)) throw new BpttError(`the folder ${folder} for ${what} ${path} does not exist`, 'create it first or choose another path');
  refuseSpecialFile(path, what);
  const probe = probePath(path);
  try {
    writeAndFlush(probe, new Uint8Array(64 * 1024));
  } catch (error) {
    const failure = fileError(error, path, what); // e.g. no space left on the device, a read-only file system
    throw new BpttError(failure.message.split('; ')[0].replaceAll(probe, path), failure.hint);
  } finally {
    rmSync(probe, { force: true });
  }
}

/** A file named on the command line: the flag that named it and its path (undefined: not given). */
export interface NamedPath {
  flag: string;
  path: string | undefined;
}

/**
 * What a path is, whatever its spelling: device and inode when the file exists (so a hard link, a
 * symbolic link, `./x` and `../d/x` are the same file), else its folder's real path and its name.
 */
function identity(path: string): string {
  try {
    const stats = statSync(path);
    return `inode ${stats.dev}:${stats.ino}`;
  } catch {
    let folder = resolve(dirname(path));
    try {
      folder = realpathSync(folder);
    } catch {
      // a missing folder: checkWritable reports it
    }
    return `path ${join(folder, basename(path))}`;
  }
}

/**
 * Refuses, before anything is written, an output that is the same file as an input or as another output
 * (compared by identity, not spelling). `mayEqual` lists the pairs [output flag, input flag] that may be one
 * file (a resumed run updates the checkpoint it resumed from).
 */
export function refuseOverlaps(inputs: readonly NamedPath[], outputs: readonly NamedPath[], mayEqual: readonly (readonly [string, string])[] = []): void {
  const inputIds = inputs.filter((i) => i.path !== undefined).map((i) => ({ ...i, id: identity(i.path!) }));
  const seen: (NamedPath & { id: string })[] = [];
  for (const output of outputs) {
    if (output.path === undefined) continue;
    const id = identity(output.path);
    const input = inputIds.find((i) => i.id === id && !mayEqual.some(([o, inp]) => o === output.flag && inp === i.flag));
    if (input)
      throw new BpttError(
        `${output.flag} ${output.path} is the same file as ${input.flag} ${input.path}: writing it would destroy the input`,
        `give ${output.flag} another path`,
      );
    const other = seen.find((o) => o.id === id);
    if (other) throw new BpttError(`${other.flag} and ${output.flag} name the same file ${output.path}`, `give ${output.flag} another path`);
    seen.push({ ...output, id });
  }
}
