/**
 * CPU time (user + system, ms) a process has used so far, from `/proc/<pid>/stat` (Linux), so each
 * server's CPU cost per request can be reported independently of how busy the machine is.
 * Null where /proc is not available.
 */
import { readFile } from 'node:fs/promises';

const TICKS_PER_SEC = 100; // USER_HZ on Linux

export async function processCpuMs(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), 1-based: utime is 14, stime is 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return ((utime + stime) * 1000) / TICKS_PER_SEC;
  } catch {
    return null;
  }
}
