/** Describes the machine a benchmark ran on, printed and stored with every result. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly disk: string;
}

function diskOf(dir: string): string {
  try {
    const out = execFileSync('df', ['-hT', dir], { encoding: 'utf8' }).trim().split('\n')[1] ?? '';
    const [device, type, size] = out.split(/\s+/);
    return `${device ?? '?'} (${type ?? '?'}, ${size ?? '?'})`;
  } catch {
    return 'unknown';
  }
}

export function describeMachine(dataDir: string): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    disk: diskOf(dataDir),
  };
}

export function machineLine(m: MachineInfo): string {
  return `${m.cores} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, disk ${m.disk}, Node ${m.node}, ${m.platform}`;
}
