/** Expected failures (port in use, binary missing, bad config …): printed as plain words, no stack trace. */
import { accessSync, constants, mkdirSync, type Stats, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** What an errno code (EACCES, ENOTDIR …) means, in words. */
export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'no such file or folder';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'EEXIST':
      return 'a file of that name is in the way';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return err?.message ?? String(e);
  }
}

/**
 * One plain line for an error that carries an errno-style `code` (a failed open, write, mkdir …):
 * "cannot open /x/y: permission denied (EACCES)". Null for anything else (a bug: keep its stack).
 */
export function plainErrno(e: unknown): string | null {
  if (typeof e !== 'object' || e === null) return null;
  const err = e as NodeJS.ErrnoException;
  if (typeof err.code !== 'string' || err.code === '') return null;
  if (err.syscall !== undefined && err.path !== undefined) {
    return `cannot ${err.syscall} ${err.path}: ${errnoText(err)} (${err.code})`;
  }
  return (err.message ?? String(e)).split('\n')[0];
}

function statOrError(path: string): Stats | NodeJS.ErrnoException {
  try {
    return statSync(path);
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
}

/**
 * `mkdir -p` that cannot loop: finds the nearest existing ancestor (which must be a writable folder),
 * then creates each missing level once. (Node's recursive mkdir retries forever where a parent
 * exists but refuses new entries, e.g. under /proc.) Every failure is a UserError.
 */
export function makeDirs(path: string): void {
  const target = resolve(path);
  const missing: string[] = [];
  let cur = target;
  for (;;) {
    const st = statOrError(cur);
    if (st instanceof Error) {
      if (st.code !== 'ENOENT' && st.code !== 'ENOTDIR') {
        throw new UserError(`cannot create ${target}: ${cur}: ${errnoText(st)}`);
      }
      const parent = dirname(cur);
      if (parent === cur) throw new UserError(`cannot create ${target}: ${errnoText(st)}`);
      missing.push(cur);
      cur = parent;
      continue;
    }
    if (!st.isDirectory()) {
      throw new UserError(
        cur === target
          ? `${target} is a file, not a folder`
          : `cannot create ${target}: ${cur} is a file, not a folder`,
      );
    }
    break;
  }
  if (missing.length === 0) return;
  try {
    accessSync(cur, constants.W_OK);
  } catch {
    throw new UserError(`cannot create ${target}: the folder ${cur} is not writable`);
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (e) {
      const st = statOrError(dir);
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && !(st instanceof Error) && st.isDirectory()) {
        continue; // created meanwhile by someone else
      }
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(
        code === 'ENOENT'
          ? `cannot create ${target}: ${dirname(dir)} does not accept new folders`
          : `cannot create ${target}: ${dir}: ${errnoText(e)}`,
      );
    }
  }
}
