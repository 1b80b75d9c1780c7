import { spawn } from 'node:child_process';

/**
 * Runs a built benchmark script as `npm run bench:*` would, in a Node process of its own, with
 * `env` on top of this process's environment (and no inherited NODE_OPTIONS, such as Jest's);
 * resolves with its exit code and everything it printed, stdout and stderr together. For the
 * benchmarks' smoke tests.
 */
export function runBuiltScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}
