// Best-effort machine load on Linux (/proc), for the benchmarks' machine line: the figures
// are only comparable when the machine was idle. Both return CPU-seconds (or undefined).
import { readFile, readdir } from 'node:fs/promises';

const TICKS = 100; // USER_HZ on Linux

/** CPU-seconds the whole machine has spent busy (user nice system irq softirq). */
export async function machineBusy() {
  try {
    const cpu = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return (cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6]) / TICKS;
  } catch {
    return undefined;
  }
}

/** CPU-seconds of this process and its descendants (ended children count towards their parent). */
export async function ownTreeBusy() {
  try {
    const procs = new Map();
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime stime cutime cstime
      if (f.length > 15) procs.set(Number(pid), { ppid: Number(f[1]), cpu: (+f[11] + +f[12] + +f[13] + +f[14]) / TICKS });
    }
    const mine = (pid) => {
      for (let p = pid; p > 1; p = procs.get(p)?.ppid ?? 0) if (p === process.pid) return true;
      return false;
    };
    let total = 0;
    for (const [pid, p] of procs) if (mine(pid)) total += p.cpu;
    return total;
  } catch {
    return undefined;
  }
}
