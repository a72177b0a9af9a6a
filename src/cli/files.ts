/**
 * File access for the CLI: reading inputs with clear errors, and writing
 * outputs so that nothing already on disk is ever lost: a file is written to
 * a temporary name beside its destination, flushed, then renamed over it
 * (rename is atomic on POSIX file systems).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
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
  if (code === 'EACCES' || code === 'EPERM') return new BpttError(`${what} ${path} cannot be accessed (permission denied)`, 'check the file permissions or choose another path');
  if (code === 'ENOSPC') return new BpttError(`no space left on the device to write ${what} ${path}`, 'free some disk space or choose another path');
  if (code === 'EROFS') return new BpttError(`${what} ${path} is on a read-only file system`, 'choose another path');
  return new BpttError(`${what} ${path}: ${(error as Error).message}`, 'check the path');
}

/** Writes bytes to path via a temporary file and a rename: the old file stays intact until the new one is complete. */
export function writeFileAtomic(path: string, bytes: Uint8Array, what: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const fd = openSync(temporary, 'w');
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw fileError(error, path, what);
  }
}

/**
 * Fails now, before any training, if `path` cannot take a new file: its folder
 * is missing or read-only, the disk is full, or the path is a directory.
 */
export function checkWritable(path: string, what: string): void {
  const folder = dirname(path);
  if (!existsSync(folder)) throw new BpttError(`the folder ${folder} for ${what} ${path} does not exist`, 'create it first or choose another path');
  if (existsSync(path) && statSync(path).isDirectory()) throw new BpttError(`${what} ${path} is a directory`, 'give the path of a file inside it');
  const probe = join(folder, `.${basename(path)}.probe`);
  try {
    writeFileAtomic(probe, new Uint8Array(64 * 1024), what);
  } catch (error) {
    const cause = error instanceof BpttError ? error.message.replace(probe, path) : String(error);
    throw new BpttError(`cannot write ${what} ${path}: ${cause.split('; ')[0]}`, 'choose another path or free some disk space');
  } finally {
    rmSync(probe, { force: true });
  }
}
